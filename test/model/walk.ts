/**
 * A seeded random walk over operations and faults against the model as a target, with a second model as
 * checker fed every completion in completion order. Shared by the coverage and checker tests.
 */
import { assign } from "../../model/assignors.ts";
import { ClusterModel } from "../../model/cluster.ts";
import type { CoverageRecorder } from "../../model/coverage.ts";
import { Prng } from "../../model/prng.ts";
import type { ClusterSetup, Verdict } from "../../spec/adapter.ts";
import type { Assignor, ClientOp, Fault, Operation, Outcome, Partitioner } from "../../spec/operations.ts";
import { isFault } from "../../spec/operations.ts";

export interface WalkResult {
  setup: ClusterSetup;
  ops: number;
  completions: Array<{ op: Operation; outcome: Outcome }>;
  rejections: Array<{ op: Operation; outcome: Outcome; reason: string }>;
  target: ClusterModel;
}

const TOPICS = ["t0", "t1", "t2"];
const CLIENTS = ["c0", "c1", "c2", "c3"];
const GROUPS = ["g0", "g1"];
const ASSIGNORS: Assignor[] = ["range", "roundrobin", "sticky"];
const SUBSCRIPTIONS: Record<string, string[]> = { c0: ["t0"], c1: ["t0", "t1"], c2: ["t1"], c3: ["t0"] };

interface Membership {
  groupId: string;
  generation: number;
  memberId: string;
  leader: boolean;
  members: Array<{ memberId: string; topics: string[] }>;
  assignor: Assignor;
}

export async function walk(
  seed: number,
  steps: number,
  coverage?: CoverageRecorder,
  onStep?: (step: number, target: ClusterModel) => void,
): Promise<WalkResult> {
  const rng = new Prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)];
  const brokers = 3 + rng.int(2);
  const setup: ClusterSetup = {
    brokers,
    seed,
    config: {
      "replica.lag.time.max.ms": pick([5000, 10000, 30000]),
      "zookeeper.session.timeout.ms": pick([6000, 18000]),
      "offsets.retention.ms": pick([60000, 604800000]),
      "log.flush.interval.messages": pick([0, 0, 1, 3]),
    },
  };
  const target = new ClusterModel(coverage ? { coverage } : {});
  const checker = new ClusterModel();
  await target.start(setup);
  checker.begin(setup);
  const completions: WalkResult["completions"] = [];
  const rejections: WalkResult["rejections"] = [];
  const order: Array<{ op: Operation; outcome: Outcome }> = [];
  const memberships = new Map<string, Membership>();
  let brokerIds = Array.from({ length: brokers }, (_, i) => i + 1);
  let values = 0;

  const record = (op: Operation, outcome: Outcome) => {
    order.push({ op, outcome });
    if (op.kind === "joinGroup" && outcome.status === "ok") {
      const v = outcome.value as {
        groupId: string;
        generation: number;
        memberId: string;
        leader: string;
        members: Membership["members"];
      };
      memberships.set(`${v.groupId}/${op.member}`, {
        groupId: v.groupId,
        generation: v.generation,
        memberId: v.memberId,
        leader: v.leader === v.memberId,
        members: v.members,
        assignor: op.assignor,
      });
    }
  };
  const feed = () => {
    for (const c of order.splice(0)) {
      completions.push(c);
      const verdict: Verdict = checker.check(c.op as ClientOp | Fault, c.outcome);
      if (!verdict.ok) rejections.push({ ...c, reason: verdict.reason });
    }
  };
  const invoke = (op: ClientOp | Fault) => {
    checker.invoke(op);
    const p = isFault(op) ? target.inject(op) : target.execute(op);
    void p.then((o) => record(op, o));
  };

  const randomPartitioner = (): Partitioner =>
    pick<Partitioner>([
      { kind: "murmur2" },
      { kind: "murmur2" },
      { kind: "roundRobin" },
      { kind: "explicit", partition: rng.int(4) },
      {
        kind: "custom",
        name: pick(["partitionZero", "firstAvailable", "keyHashAvailable", "lastPartition"]),
      },
    ]);

  const clientOp = (): ClientOp => {
    const r = rng.int(100);
    const topic = pick(TOPICS);
    if (r < 8)
      return {
        kind: "createTopic",
        topic,
        partitions: rng.int(12) === 0 ? 0 : 1 + rng.int(4),
        replicationFactor: 1 + rng.int(4),
        config: { minInsyncReplicas: 1 + rng.int(2), uncleanLeaderElection: rng.int(3) === 0 },
      };
    if (r < 11) return { kind: "addPartitions", topic, totalCount: 1 + rng.int(6) };
    if (r < 40)
      return {
        kind: "produce",
        producer: pick(["p0", "p1"]),
        topic,
        key: rng.int(4) === 0 ? null : `k${rng.int(20)}`,
        value: `v${values++}`,
        partitioner: randomPartitioner(),
        acks: pick([0, 1, -1, -1] as const),
        idempotent: false,
      };
    if (r < 52)
      return {
        kind: "fetch",
        consumer: pick(CLIENTS),
        topic,
        partition: rng.int(4),
        offset: rng.int(6),
        maxRecords: 1 + rng.int(10),
      };
    if (r < 55)
      return { kind: "listOffsets", topic, partition: rng.int(4), at: pick(["earliest", "latest"] as const) };
    const client = pick(CLIENTS);
    const groupId = pick(GROUPS);
    const m = memberships.get(`${groupId}/${client}`);
    // Clients mostly keep one subscription, so groups can settle into Stable between rebalances.
    const usual = SUBSCRIPTIONS[client];
    if (r < 66)
      return {
        kind: "joinGroup",
        groupId: rng.int(15) === 0 ? null : groupId,
        member: client,
        topics:
          rng.int(5) === 0
            ? [pick(TOPICS), ...(rng.int(2) === 0 ? [pick(TOPICS)] : [])].filter(
                (t, i, a) => a.indexOf(t) === i,
              )
            : usual,
        assignor: rng.int(6) === 0 ? pick(ASSIGNORS) : "range",
        sessionTimeoutMs: pick([6000, 30000, 30000]),
        rebalanceTimeoutMs: pick([10000, 30000]),
      };
    if (r < 76) {
      const generation = m !== undefined && rng.int(5) > 0 ? m.generation : rng.int(4);
      if (m?.leader) {
        const obs = target.observation();
        const counts: Record<string, number> = {};
        for (const p of obs.partitions) counts[p.topic] = Math.max(counts[p.topic] ?? 0, p.partition + 1);
        return {
          kind: "syncGroup",
          groupId,
          member: client,
          generation,
          assignments: assign(m.assignor, m.members, counts),
        };
      }
      return { kind: "syncGroup", groupId, member: client, generation };
    }
    if (r < 84)
      return {
        kind: "heartbeat",
        groupId,
        member: client,
        generation: m !== undefined && rng.int(5) > 0 ? m.generation : rng.int(4),
      };
    if (r < 87) return { kind: "leaveGroup", groupId, member: client };
    if (r < 94) {
      const simple = rng.int(4) === 0;
      return {
        kind: "commitOffsets",
        groupId,
        member: simple ? "" : client,
        generation: simple ? -1 : (m?.generation ?? rng.int(3)) - (rng.int(5) === 0 ? 1 : 0),
        offsets: [{ topic, partition: rng.int(3), offset: rng.int(10) }],
      };
    }
    return {
      kind: "fetchOffsets",
      groupId,
      partitions: [
        { topic, partition: 0 },
        { topic, partition: 1 },
      ],
    };
  };

  const fault = (): Fault => {
    const r = rng.int(100);
    const b = pick(brokerIds);
    if (r < 12) return { kind: "crash", broker: b };
    if (r < 26) return { kind: "restart", broker: b };
    if (r < 34) return { kind: "pause", broker: b };
    if (r < 44) return { kind: "resume", broker: b };
    if (r < 52) {
      const shuffled = [...brokerIds].sort(() => rng.next() - 0.5);
      const cut = rng.int(shuffled.length + 1);
      return { kind: "isolate", sides: [shuffled.slice(0, cut), shuffled.slice(cut)] };
    }
    if (r < 62) return { kind: "heal" };
    if (r < 68) return { kind: "expireSession", broker: b };
    if (r < 70) {
      const id = Math.max(...brokerIds) + 1;
      brokerIds = [...brokerIds, id];
      return { kind: "addBroker", broker: id };
    }
    return {
      kind: "advanceTime",
      ms: pick([100, 100, 1000, 1000, 5000, 12000, 20000, 35000, 400000, 700000000]),
    };
  };

  for (let i = 0; i < steps; i++) {
    const r = rng.int(100);
    if (r < 70) invoke(clientOp());
    else if (r < 96) invoke(fault());
    else {
      // A controlled shutdown is a harness action, not an operation: a black-box checker sees the broker
      // go away as a crash (it loses nothing, which a crash allows too); `restart` brings it back.
      const b = pick(brokerIds);
      if (target.snapshots().brokers.get(b)?.value === "running") {
        target.shutdown(b);
        order.push({ op: { kind: "crash", broker: b }, outcome: { status: "ok", value: {} } });
      }
    }
    await target.settle();
    feed();
    onStep?.(i, target);
    const verdict = checker.adopt(target.observation());
    if (!verdict.ok)
      rejections.push({
        op: { kind: "heal" },
        outcome: { status: "ok", value: {} },
        reason: `adopt: ${verdict.reason}`,
      });
  }
  await target.stop();
  await Promise.resolve();
  feed();
  return { setup, ops: steps, completions, rejections, target };
}
