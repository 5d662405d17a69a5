/**
 * Controlled shutdown in the simulator (Kafka's ControlledShutdown, key 7): a broker about to stop asks
 * the controller to move leadership off it. The controller elects a new leader from the ISR minus the
 * stopping broker for each partition it leads, takes it out of the ISR of the rest, and answers what is
 * left; the broker retries. Then the broker may die with nothing to elect and no session timeout to wait
 * for: every partition keeps a leader and acks=all produces go on at once.
 */
import { describe, expect, it } from "vitest";
import { decodeController, decodePartitionState, ZkPaths } from "../../impl/metadata/layout.ts";
import type { ClientResponse } from "../../impl/node/requests.ts";
import type { LogRecord } from "../../impl/replication/replica-log.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";

function call(
  sim: SimCluster,
  broker: number,
  request: Parameters<SimCluster["sendClient"]>[1],
  advanceMs = 0,
): ClientResponse {
  let out: ClientResponse | null | undefined;
  sim.sendClient(broker, request, (r) => {
    out = r;
  });
  sim.runUntil(() => out !== undefined);
  // Retries wait on timers: let virtual time pass until the answer comes.
  for (let waited = 0; out === undefined && waited < advanceMs; waited += 1_000) sim.advance(1_000);
  if (!out) throw new Error(`no response to ${request.api}`);
  return out;
}

const record = (): LogRecord[] => [{ key: null, value: Buffer.from("x") }];

function boot(seed: number): SimCluster {
  const sim = new SimCluster({ seed, brokers: 3, seededFaults: [] });
  for (let id = 1; id <= 3; id++) sim.startBroker(id);
  sim.settle();
  return sim;
}

function controllerOf(sim: SimCluster): number {
  const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
  return c === null ? -1 : decodeController(c.data).brokerId;
}

function stateOf(sim: SimCluster, topic: string, p: number) {
  return decodePartitionState(sim.tree.get(sim.observerSession, ZkPaths.partitionState(topic, p))!.data);
}

function createTopic(sim: SimCluster, name: string, partitions: number, rf: number): void {
  expect(
    call(sim, controllerOf(sim), {
      api: "createTopics",
      name,
      numPartitions: partitions,
      replicationFactor: rf,
      config: { minInsyncReplicas: 2, uncleanLeaderElection: false },
    }),
  ).toEqual({ api: "createTopics", error: null });
  sim.settle();
}

function produce(sim: SimCluster, topic: string, p: number) {
  return call(sim, stateOf(sim, topic, p).leader, {
    api: "produce",
    topic,
    partition: p,
    acks: -1,
    timeoutMs: 5000,
    records: record(),
  });
}

describe("controlled shutdown (simulator)", () => {
  for (const [seed, which] of [
    [1, "a follower-and-leader broker"],
    [2, "the controller"],
    [3, "a follower-and-leader broker"],
    [4, "the controller"],
  ] as const) {
    it(`moves leadership off ${which} before it stops; acks=all produces go on without waiting (seed ${seed})`, () => {
      const sim = boot(seed);
      createTopic(sim, "t", 6, 3);
      const controller = controllerOf(sim);
      const stopping = which === "the controller" ? controller : [1, 2, 3].find((b) => b !== controller)!;
      const before = [0, 1, 2, 3, 4, 5].map((p) => stateOf(sim, "t", p));
      expect(before.some((s) => s.leader === stopping)).toBe(true);

      const r = call(sim, stopping, { api: "prepareShutdown" });
      expect(r).toMatchObject({ api: "prepareShutdown", error: null, outcome: { ok: true, attempts: 1 } });
      sim.settle();
      for (let p = 0; p < 6; p++) {
        const s = stateOf(sim, "t", p);
        expect(s.leader).not.toBe(stopping);
        expect(s.isr).not.toContain(stopping);
        expect(s.isr.length).toBe(2);
        // One change, one epoch: a moved leader or a shrunk ISR bumps it once.
        expect(s.leaderEpoch).toBe(before[p].leaderEpoch + 1);
      }
      const active = sim.brokers.get(controller)!.node!.controller;
      expect(active.brokersShuttingDown()).toEqual([stopping]);

      // The broker stops now (kill: its session lingers, so no controller reacts for a session timeout).
      sim.crashBroker(stopping);
      for (let p = 0; p < 6; p++) expect(produce(sim, "t", p)).toMatchObject({ api: "produce", error: null });
    });
  }

  it("answers the partitions a live follower could take once back in the ISR; the broker gives up after max retries", () => {
    const sim = boot(5);
    createTopic(sim, "t", 3, 2);
    const controller = controllerOf(sim);
    // The partition whose two replicas are not the controller: its leader cannot reach its follower any
    // more (both still reach ZooKeeper and the controller), so the follower drops out of the ISR, alive.
    const p = [0, 1, 2].find((q) => !stateOf(sim, "t", q).isr.includes(controller))!;
    const stopping = stateOf(sim, "t", p).leader;
    const follower = stateOf(sim, "t", p).isr.find((b) => b !== stopping)!;
    sim.isolate([stopping, follower], [follower]);
    // A record the follower cannot fetch; after replica.lag.time.max.ms the leader shrinks the ISR.
    call(sim, stopping, {
      api: "produce",
      topic: "t",
      partition: p,
      acks: 1,
      timeoutMs: 5000,
      records: record(),
    });
    sim.advance(50_000); // ISR checks run every replica.lag.time.max.ms / 2
    expect(stateOf(sim, "t", p)).toMatchObject({ leader: stopping, isr: [stopping] });

    const r = call(sim, stopping, { api: "prepareShutdown" }, 60_000);
    expect(r.api).toBe("prepareShutdown");
    if (r.api !== "prepareShutdown") return;
    expect(r.outcome).toMatchObject({ ok: false, attempts: 3, error: null }); // controlled.shutdown.max.retries
    expect(r.outcome.remaining).toEqual([{ topic: "t", partition: p }]);
    // Nothing was elected out of the ISR on the way.
    expect(stateOf(sim, "t", p).leader).toBe(stopping);
  });

  it("does not hold the broker for partitions no other replica could take (the others dead or stopping)", () => {
    const sim = boot(7);
    createTopic(sim, "t", 3, 3);
    const controller = controllerOf(sim);
    const [a, b] = [1, 2, 3].filter((x) => x !== controller);
    // Every broker stops at once: each one's partitions can only move to brokers that are stopping too.
    for (const x of [a, b]) {
      const r = call(sim, x, { api: "prepareShutdown" });
      expect(r).toMatchObject({ api: "prepareShutdown", outcome: { ok: true, attempts: 1 } });
    }
    const last = call(sim, controller, { api: "prepareShutdown" });
    expect(last).toMatchObject({ api: "prepareShutdown", outcome: { ok: true, attempts: 1, remaining: [] } });
    // The last one still leads everything: no replica was there to take over, and none was made up.
    for (let p = 0; p < 3; p++) expect(stateOf(sim, "t", p).leader).toBe(controller);
  });

  it("is refused by a broker that is not the controller, for an unknown broker, and for an old broker epoch", () => {
    const sim = boot(6);
    const controller = controllerOf(sim);
    const other = [1, 2, 3].find((b) => b !== controller)!;
    expect(call(sim, other, { api: "controlledShutdown", brokerId: other, brokerEpoch: -1 })).toMatchObject({
      api: "controlledShutdown",
      error: "NOT_CONTROLLER",
    });
    expect(call(sim, controller, { api: "controlledShutdown", brokerId: 9, brokerEpoch: -1 })).toMatchObject({
      error: "BROKER_NOT_AVAILABLE",
    });
    const czxid = sim.tree.exists(sim.observerSession, ZkPaths.brokerId(other))!.czxid;
    expect(
      call(sim, controller, { api: "controlledShutdown", brokerId: other, brokerEpoch: czxid - 1 }),
    ).toMatchObject({ error: "STALE_BROKER_EPOCH" });
    expect(
      call(sim, controller, { api: "controlledShutdown", brokerId: other, brokerEpoch: czxid }),
    ).toMatchObject({ error: null, remaining: [] });
  });
});

describe("KAFKA_STORAGE_ERROR in a LeaderAndIsr answer (simulator)", () => {
  for (const seed of [1, 2, 3]) {
    it(`the controller takes that replica offline: another leader, out of the ISR (seed ${seed})`, () => {
      const sim = boot(seed);
      const broken = 2;
      const disk = sim.brokers.get(broken)!.disk;
      const open = disk.open.bind(disk);
      disk.open = (topic, partition) => {
        if (topic === "t") throw Object.assign(new Error("EIO: i/o error, open"), { code: "EIO" });
        return open(topic, partition);
      };
      createTopic(sim, "t", 3, 3);
      for (let p = 0; p < 3; p++) {
        const s = stateOf(sim, "t", p);
        expect(s.leader).not.toBe(broken);
        expect(s.leader).toBeGreaterThan(0);
        expect(s.isr).not.toContain(broken);
        expect(produce(sim, "t", p)).toMatchObject({ api: "produce", error: null });
      }
      // Restarting the broker (a new disk state) brings its replicas back as ordinary followers.
      disk.open = open;
      sim.crashBroker(broken);
      sim.startBroker(broken);
      sim.advance(30_000);
      sim.advance(30_000);
      for (let p = 0; p < 3; p++) expect(stateOf(sim, "t", p).isr).toContain(broken);
    });
  }
});
