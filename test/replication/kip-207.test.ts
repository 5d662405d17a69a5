/**
 * KIP-207: a new leader's high watermark can sit below the start offset of its own leader epoch (it
 * replicated records as a follower before learning they were committed). Until the HW reaches that
 * start, the "latest" offset it could name may be below one the previous leader already gave out, so
 * Kafka's Partition.fetchOffsetForTimestamp answers ListOffsets latest with OFFSET_NOT_AVAILABLE while
 * earliest is still answered. The model sweep's replay for this fix no longer reaches the state, so this
 * test drives the simulator there directly.
 *
 * Scenario, replicas [L, F, G] with L leading: G is paused (its session kept alive by a long timeout), so
 * L's HW cannot pass what G has; acks=1 writes reach F, whose log end then exceeds its HW. L is killed and
 * its session expired: F is elected at a new epoch whose start offset is F's log end, above F's HW, and G
 * (still registered, still in the ISR) holds the HW down until it resumes and fetches, or F drops it from
 * the ISR. G is paused rather than cut off: the simulated network drops what a cut link carries, and the
 * simulator does not re-send a lost LeaderAndIsr as the TCP runtime does, so a cut-off G would never learn
 * of F's leadership.
 */
import { describe, expect, it } from "vitest";
import {
  decodeController,
  decodePartitionState,
  decodeTopicAssignment,
  ZkPaths,
} from "../../impl/metadata/layout.ts";
import type { ClientRequest, ClientResponse } from "../../impl/node/requests.ts";
import type { PartitionReplica } from "../../impl/replication/replica.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";

const TOPIC = "t";

function call(sim: SimCluster, broker: number, request: ClientRequest): ClientResponse {
  let out: ClientResponse | null | undefined;
  expect(
    sim.sendClient(broker, request, (r) => {
      out = r;
    }),
  ).not.toBeNull();
  sim.runUntil(() => out !== undefined);
  if (!out) throw new Error(`no response from broker ${broker} to ${request.api}`);
  return out;
}

const listOffsets = (sim: SimCluster, broker: number, timestamp: -1 | -2) =>
  call(sim, broker, { api: "listOffsets", topic: TOPIC, partition: 0, timestamp });

function replicaOn(sim: SimCluster, broker: number): PartitionReplica {
  const node = sim.brokers.get(broker)?.node;
  const r = node && [...node.replicas.values()].find((x) => x.topic === TOPIC && x.partition === 0);
  if (!r) throw new Error(`broker ${broker} hosts no replica of ${TOPIC}-0`);
  return r;
}

function partitionState(sim: SimCluster) {
  return decodePartitionState(sim.tree.get(sim.observerSession, ZkPaths.partitionState(TOPIC, 0))!.data);
}

function assignment(sim: SimCluster): number[] {
  const a = decodeTopicAssignment(TOPIC, sim.tree.get(sim.observerSession, ZkPaths.topic(TOPIC))!.data);
  return a.partitions.get(0)!;
}

function controller(sim: SimCluster): number {
  const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
  return c === null ? -1 : decodeController(c.data).brokerId;
}

/**
 * Drives a cluster to a new leader F whose HW (`committed`) is below its epoch start (`committed` +
 * `uncommitted`), with follower G paused and still in the ISR.
 */
function reachLaggingLeader(seed: number, committed: number, uncommitted: number) {
  // Sessions expire only when the test expires them: G's stays alive while it is paused.
  const sim = new SimCluster({
    seed,
    brokers: 3,
    config: { "zookeeper.session.timeout.ms": 600_000 },
  });
  for (let id = 1; id <= 3; id++) sim.startBroker(id);
  sim.settle();
  const create = call(sim, controller(sim), {
    api: "createTopics",
    name: TOPIC,
    numPartitions: 1,
    replicationFactor: 3,
    config: { minInsyncReplicas: 1, uncleanLeaderElection: false },
  });
  expect(create).toEqual({ api: "createTopics", error: null });
  sim.settle();
  const initial = partitionState(sim);
  const [L, F, G] = assignment(sim);
  expect(initial.leader).toBe(L);
  // A paused controller could elect nobody; the seeds used here place it elsewhere.
  expect(controller(sim)).not.toBe(G);

  const produce = (n: number) =>
    call(sim, L, {
      api: "produce",
      topic: TOPIC,
      partition: 0,
      acks: 1,
      timeoutMs: 5_000,
      records: Array.from({ length: n }, (_, i) => ({ key: null, value: Buffer.from(`r${i}`) })),
    });
  if (committed > 0) {
    expect(produce(committed)).toMatchObject({ error: null });
    sim.advance(1_000); // every follower fetches them and learns the HW
    for (const b of [L, F, G]) expect(replicaOn(sim, b).highWatermark).toBe(committed);
  }

  expect(sim.pauseBroker(G)).toBe(true);
  expect(produce(uncommitted)).toMatchObject({ error: null, baseOffset: committed });
  sim.advance(1_000); // F fetches the new records; G, paused, holds L's HW down
  const f = replicaOn(sim, F);
  expect(f.role).toBe("follower");
  expect(f.logEndOffset).toBe(committed + uncommitted);
  expect(f.highWatermark).toBe(committed);
  expect(replicaOn(sim, L).highWatermark).toBe(committed);

  sim.crashBroker(L);
  sim.expireSession(L);
  sim.settle();
  const elected = partitionState(sim);
  expect(elected.leader).toBe(F);
  expect(elected.leaderEpoch).toBeGreaterThan(initial.leaderEpoch);
  expect(elected.isr).toContain(G);
  expect(f.role).toBe("leader");
  expect(f.highWatermark).toBe(committed);
  expect(f.highWatermarkBelowEpochStart).toBe(true);
  return { sim, L, F, G, leader: f };
}

describe("KIP-207: ListOffsets latest from a leader whose HW is below its epoch start", () => {
  // The controller is F at seed 1 and L at seeds 2 and 3 (a failover first); never G, which is paused.
  for (const seed of [1, 2, 3]) {
    it(`answers OFFSET_NOT_AVAILABLE until the follower catches up, then the HW (seed ${seed})`, () => {
      const { sim, F, G, leader } = reachLaggingLeader(seed, 2, 3);
      expect(listOffsets(sim, F, -1)).toEqual({
        api: "listOffsets",
        error: "OFFSET_NOT_AVAILABLE",
        offset: -1,
      });
      // Earliest needs no HW and is answered.
      expect(listOffsets(sim, F, -2)).toEqual({ api: "listOffsets", error: null, offset: 0 });
      // Time alone (short of the ISR lag bound) changes nothing while G stays paused.
      sim.advance(10_000);
      expect(leader.highWatermarkBelowEpochStart).toBe(true);
      expect(listOffsets(sim, F, -1)).toMatchObject({ error: "OFFSET_NOT_AVAILABLE" });

      expect(sim.resumeBroker(G)).toBe(true);
      sim.advance(2_000); // G fetches from F up to its log end: the HW reaches the epoch start
      expect(leader.highWatermark).toBe(5);
      expect(listOffsets(sim, F, -1)).toEqual({ api: "listOffsets", error: null, offset: 5 });
      // From here "latest" is the HW as it moves.
      expect(
        call(sim, F, {
          api: "produce",
          topic: TOPIC,
          partition: 0,
          acks: -1,
          timeoutMs: 5_000,
          records: [{ key: null, value: Buffer.from("after") }],
        }),
      ).toMatchObject({ error: null, baseOffset: 5 });
      sim.settle();
      expect(listOffsets(sim, F, -1)).toEqual({ api: "listOffsets", error: null, offset: 6 });
    });
  }

  it("answers the HW once the lagging follower leaves the ISR and the HW reaches the epoch start", () => {
    const { sim, F, G, leader } = reachLaggingLeader(5, 0, 4);
    expect(listOffsets(sim, F, -1)).toMatchObject({ error: "OFFSET_NOT_AVAILABLE" });
    expect(listOffsets(sim, F, -2)).toEqual({ api: "listOffsets", error: null, offset: 0 });
    // G never fetches: after replica.lag.time.max.ms (30 s) F shrinks the ISR to itself.
    sim.advance(50_000); // the ISR check runs every 15 s
    expect(partitionState(sim).isr).not.toContain(G);
    expect(leader.highWatermark).toBe(4);
    expect(listOffsets(sim, F, -1)).toEqual({ api: "listOffsets", error: null, offset: 4 });
  });
});
