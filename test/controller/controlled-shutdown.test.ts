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

  it("answers the partitions no other ISR member can take, and the broker gives up after max retries", () => {
    const sim = boot(5);
    createTopic(sim, "t", 3, 2);
    const controller = controllerOf(sim);
    // A broker other than the controller leads some partition (if any does); its only follower dies and
    // leaves the ISR (a dead controller is replaced once its session expires).
    const led = [0, 1, 2].map((p) => stateOf(sim, "t", p));
    const target = led.find((s) => s.leader !== controller) ?? led[0];
    const follower = target.isr.find((b) => b !== target.leader)!;
    const stopping = target.leader;
    sim.crashBroker(follower);
    sim.advance(25_000); // the follower's session expires; the controller removes it from the ISRs
    const now = [0, 1, 2].map((p) => stateOf(sim, "t", p));
    const stuck = [0, 1, 2].filter((p) => now[p].leader === stopping && now[p].isr.length === 1);
    expect(stuck.length).toBeGreaterThan(0);

    const r = call(sim, stopping, { api: "prepareShutdown" }, 60_000);
    expect(r.api).toBe("prepareShutdown");
    if (r.api !== "prepareShutdown") return;
    expect(r.outcome.ok).toBe(false);
    expect(r.outcome.attempts).toBe(3); // controlled.shutdown.max.retries
    expect(r.outcome.remaining.map((p) => p.partition).sort()).toEqual(
      expect.arrayContaining(stuck.map((p) => p)),
    );
    // Nothing was elected out of the ISR on the way.
    for (const p of stuck) expect(stateOf(sim, "t", p).leader).toBe(stopping);
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
