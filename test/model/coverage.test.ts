/**
 * Drives the model through hand-written scenarios and a seeded random walk, and asserts that every state
 * and every transition of every machine was taken. The report is printed.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import { CoverageRecorder, coverageReport, formatCoverage } from "../../model/coverage.ts";
import type { ClientOp } from "../../spec/operations.ts";
import { walk } from "./walk.ts";

const coverage = new CoverageRecorder();

async function model(brokers = 3, config: Record<string, number | boolean> = {}) {
  const m = new ClusterModel({ coverage });
  await m.start({ brokers, seed: 3, config });
  return m;
}

const join = (member: string, groupId = "g", topics = ["t"]): ClientOp => ({
  kind: "joinGroup",
  groupId,
  member,
  topics,
  assignor: "range",
  sessionTimeoutMs: 10000,
  rebalanceTimeoutMs: 30000,
});

/** Members join one by one (earlier members rejoin each round), then the leader and followers sync. */
async function stableGroup(m: ClusterModel, members: string[], groupId = "g") {
  for (let i = 0; i < members.length; i++) {
    const round = [
      m.execute(join(members[i], groupId)),
      ...members.slice(0, i).map((e) => m.execute(join(e, groupId))),
    ];
    await m.settle();
    await Promise.all(round);
  }
  const g = (await m.observe()).groups.find((x) => x.groupId === groupId)!;
  const leaderClient = g.members.find((x) => x.memberId === g.leader)!.client;
  const syncs = members
    .filter((c) => c !== leaderClient)
    .map((c) => m.execute({ kind: "syncGroup", groupId, member: c, generation: g.generation }));
  await m.execute({
    kind: "syncGroup",
    groupId,
    member: leaderClient,
    generation: g.generation,
    assignments: {},
  });
  await Promise.all(syncs);
  return { generation: g.generation, leaderClient };
}

describe("coverage of the model's machines", () => {
  it("scenario: group life cycle in Stable (follower rejoin, stale generation, leaves, expiry, unload)", async () => {
    const m = await model();
    await m.execute({ kind: "createTopic", topic: "t", partitions: 2, replicationFactor: 1, config: {} });
    expect(
      await m.execute({ kind: "createTopic", topic: "z", partitions: 0, replicationFactor: 1, config: {} }),
    ).toEqual({
      status: "failed",
      error: "INVALID_PARTITIONS",
    });
    const { generation, leaderClient } = await stableGroup(m, ["a", "b", "c"]);
    expect((await m.observe()).groups[0].state).toBe("Stable");
    const follower = ["a", "b", "c"].find((c) => c !== leaderClient)!;
    // A follower that rejoins with the same subscription gets the current generation back.
    expect(await m.execute(join(follower))).toMatchObject({ status: "ok", value: { generation } });
    expect(
      await m.execute({ kind: "heartbeat", groupId: "g", member: follower, generation: generation - 1 }),
    ).toEqual({
      status: "failed",
      error: "ILLEGAL_GENERATION",
    });
    // A late sync in Stable gets the member's assignment.
    expect(await m.execute({ kind: "syncGroup", groupId: "g", member: follower, generation })).toEqual({
      status: "ok",
      value: { assignment: [] },
    });
    expect(
      await m.execute({ kind: "syncGroup", groupId: "g", member: follower, generation: generation - 1 }),
    ).toEqual({
      status: "failed",
      error: "ILLEGAL_GENERATION",
    });
    expect(
      await m.execute({
        kind: "commitOffsets",
        groupId: "g",
        member: follower,
        generation: generation - 1,
        offsets: [],
      }),
    ).toEqual({ status: "failed", error: "ILLEGAL_GENERATION" });
    expect(await m.execute({ kind: "leaveGroup", groupId: "g", member: "zz" })).toEqual({
      status: "failed",
      error: "UNKNOWN_MEMBER_ID",
    });
    expect(await m.execute({ kind: "leaveGroup", groupId: "g", member: follower })).toEqual({
      status: "ok",
      value: {},
    });
    // Two left in PreparingRebalance; one rejoins, the other leaves, which completes the join phase.
    const rest = ["a", "b", "c"].filter((c) => c !== follower);
    void m.execute(join(rest[0]));
    await m.execute({ kind: "leaveGroup", groupId: "g", member: rest[1] });
    expect((await m.observe()).groups[0].state).toBe("CompletingRebalance");
    await m.execute({
      kind: "syncGroup",
      groupId: "g",
      member: rest[0],
      generation: generation + 1,
      assignments: {},
    });
    // The last member leaves a Stable group: Empty.
    await m.execute({ kind: "leaveGroup", groupId: "g", member: rest[0] });
    expect((await m.observe()).groups[0].state).toBe("Empty");
    // Two members; one falls silent: session expiry rebalances a Stable group.
    await stableGroup(m, ["a", "b"]);
    await m.inject({ kind: "advanceTime", ms: 6000 });
    await m.execute({
      kind: "heartbeat",
      groupId: "g",
      member: "a",
      generation: (await m.observe()).groups[0].generation,
    });
    await m.inject({ kind: "advanceTime", ms: 5000 });
    expect((await m.observe()).groups[0].state).toBe("PreparingRebalance");
    // The last member leaves during a rebalance: Empty.
    await m.execute({ kind: "leaveGroup", groupId: "g", member: "a" });
    expect((await m.observe()).groups[0].state).toBe("Empty");
    // A member leaves while the others sync: the rebalance starts over.
    void m.execute(join("a", "r"));
    await m.settle();
    void m.execute(join("b", "r"));
    void m.execute(join("a", "r"));
    await m.settle();
    await m.execute({ kind: "leaveGroup", groupId: "r", member: "b" });
    expect((await m.observe()).groups.find((g) => g.groupId === "r")!.state).toBe("PreparingRebalance");
    // Nobody rejoins (the member heart-beats but never joins): at the rebalance timeout the group is Empty.
    await m.inject({ kind: "advanceTime", ms: 9000 });
    await m.execute({ kind: "heartbeat", groupId: "r", member: "a", generation: 2 });
    await m.inject({ kind: "advanceTime", ms: 9000 });
    await m.execute({ kind: "heartbeat", groupId: "r", member: "a", generation: 2 });
    await m.inject({ kind: "advanceTime", ms: 9000 });
    await m.execute({ kind: "heartbeat", groupId: "r", member: "a", generation: 2 });
    await m.inject({ kind: "advanceTime", ms: 3000 });
    expect((await m.observe()).groups.find((g) => g.groupId === "r")!.state).toBe("Empty");
    // A member falls silent while the group waits for the leader's sync: the rebalance starts over.
    void m.execute(join("a", "s"));
    await m.settle();
    void m.execute(join("b", "s"));
    void m.execute(join("a", "s"));
    await m.settle();
    await m.inject({ kind: "advanceTime", ms: 6000 });
    await m.execute({ kind: "heartbeat", groupId: "s", member: "a", generation: 2 });
    await m.inject({ kind: "advanceTime", ms: 5000 });
    expect((await m.observe()).groups.find((g) => g.groupId === "s")!.state).toBe("PreparingRebalance");
    // The coordinator unloads groups in every state.
    m.unloadGroup("g");
    await stableGroup(m, ["a"], "h");
    m.unloadGroup("h");
    void m.execute(join("a", "p"));
    void m.execute(join("b", "p"));
    await m.settle();
    m.unloadGroup("p");
    void m.execute(join("a", "q"));
    await m.settle();
    m.unloadGroup("q");
    expect(
      (await m.observe()).groups
        .filter((g) => g.state === "Dead")
        .map((g) => g.groupId)
        .sort(),
    ).toEqual(["g", "h", "p", "q"]);
    // A reloaded group keeps its generation.
    expect(await m.execute(join("a", "h"))).toMatchObject({ status: "ok", value: { generation: 2 } });
  });

  it("scenario: no controller (every broker loses the store), and a resigned controller's write refused", async () => {
    const m = await model(3, { "zookeeper.session.timeout.ms": 6000 });
    await m.execute({ kind: "createTopic", topic: "t", partitions: 1, replicationFactor: 3, config: {} });
    const controller = (await m.observe()).controller.broker!;
    await m.inject({ kind: "pause", broker: controller });
    await m.inject({ kind: "isolate", sides: [[], [1, 2, 3]] });
    await m.inject({ kind: "advanceTime", ms: 6000 });
    expect((await m.observe()).controller.broker).toBeNull();
    expect(
      await m.execute({ kind: "createTopic", topic: "u", partitions: 1, replicationFactor: 1, config: {} }),
    ).toEqual({
      status: "failed",
      error: "NOT_CONTROLLER",
    });
    expect(await m.execute({ kind: "addPartitions", topic: "t", totalCount: 2 })).toEqual({
      status: "failed",
      error: "NOT_CONTROLLER",
    });
    // Nobody was elected, so the old controller's epoch is still the latest; with nobody holding the seat its
    // write is refused all the same.
    const epoch = (await m.observe()).controller.epoch;
    await m.inject({ kind: "resume", broker: controller });
    expect(m.fenced).toContain(`controller ${controller} epoch ${epoch}: STALE_CONTROLLER_EPOCH`);
    await m.inject({ kind: "heal" });
    expect((await m.observe()).controller.epoch).toBe(epoch + 1);
  });

  it("scenario: a broker restarting behind its old session, crashed again; a broker cut from the store while starting", async () => {
    const m = await model(3, { "zookeeper.session.timeout.ms": 6000 });
    await m.execute({ kind: "createTopic", topic: "t", partitions: 1, replicationFactor: 3, config: {} });
    await m.inject({ kind: "crash", broker: 2 });
    await m.inject({ kind: "advanceTime", ms: 6000 });
    // New partitions need the topic's replication factor in live brokers.
    expect(await m.execute({ kind: "addPartitions", topic: "t", totalCount: 2 })).toEqual({
      status: "failed",
      error: "INVALID_REPLICATION_FACTOR",
    });
    await m.inject({ kind: "restart", broker: 2 });
    await m.inject({ kind: "crash", broker: 2 });
    await m.inject({ kind: "restart", broker: 2 });
    expect((await m.observe()).brokers.find((b) => b.id === 2)!.state).toBe("restarting");
    await m.inject({ kind: "crash", broker: 2 });
    await m.inject({ kind: "restart", broker: 2 });
    // SIGSTOP while restarting: its old session expires, but a stopped process does not register.
    await m.inject({ kind: "pause", broker: 2 });
    await m.inject({ kind: "advanceTime", ms: 6000 });
    expect((await m.observe()).brokers.find((b) => b.id === 2)!.state).toBe("restarting");
    await m.inject({ kind: "resume", broker: 2 });
    await m.inject({ kind: "advanceTime", ms: 1 });
    expect((await m.observe()).brokers.find((b) => b.id === 2)!.state).toBe("running");
    await m.inject({ kind: "isolate", sides: [[1, 2, 3], [4]] });
    await m.inject({ kind: "addBroker", broker: 4 });
    expect((await m.observe()).brokers.find((b) => b.id === 4)!.state).toBe("starting");
    await m.inject({ kind: "pause", broker: 4 });
    await m.inject({ kind: "resume", broker: 4 });
    await m.inject({ kind: "crash", broker: 4 });
    m.shutdown(3);
    await m.inject({ kind: "crash", broker: 3 });
    expect((await m.observe()).brokers.find((b) => b.id === 3)!.state).toBe("crashed");
    m.shutdown(1);
    await m.inject({ kind: "advanceTime", ms: 1 });
    await m.inject({ kind: "restart", broker: 1 });
    expect((await m.observe()).brokers.find((b) => b.id === 1)!.state).toBe("running");
  });

  it("scenario: a leader writes its ISR while no controller is elected; a leaderless partition hears from a zombie", async () => {
    const m = await model(3, { "zookeeper.session.timeout.ms": 6000, "replica.lag.time.max.ms": 5000 });
    await m.execute({ kind: "createTopic", topic: "t", partitions: 3, replicationFactor: 2, config: {} });
    const obs = await m.observe();
    const controller = obs.controller.broker!;
    // Pause the controller (its session expires) and a follower of a partition led elsewhere.
    const p = obs.partitions.find(
      (x) => x.leader !== controller && x.replicas.some((r) => r !== x.leader && r !== controller),
    );
    if (p !== undefined) {
      const follower = p.replicas.find((r) => r !== p.leader)!;
      await m.inject({ kind: "pause", broker: controller });
      await m.inject({ kind: "pause", broker: follower });
      await m.inject({ kind: "advanceTime", ms: 6000 });
      await m.inject({ kind: "resume", broker: follower });
      await m.inject({ kind: "resume", broker: controller });
    }
    // A topic with one replica whose broker dies: leaderless; then the old controller, paused, comes back.
    const m2 = await model(2, { "zookeeper.session.timeout.ms": 6000 });
    await m2.execute({ kind: "createTopic", topic: "t", partitions: 2, replicationFactor: 1, config: {} });
    const o2 = await m2.observe();
    const c2 = o2.controller.broker!;
    const other = c2 === 1 ? 2 : 1;
    await m2.inject({ kind: "pause", broker: c2 });
    await m2.inject({ kind: "crash", broker: other });
    await m2.inject({ kind: "advanceTime", ms: 6000 });
    await m2.inject({ kind: "restart", broker: other });
    await m2.inject({ kind: "crash", broker: other });
    await m2.inject({ kind: "advanceTime", ms: 6000 });
    await m2.inject({ kind: "resume", broker: c2 });
    expect(m2.fenced.length).toBeGreaterThan(0);
  });

  it("random walk: seeded operations and faults (model as target, a second model as checker)", async () => {
    let steps = 0;
    let rejections: string[] = [];
    const t0 = performance.now();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const r = await walk(seed, 250, coverage);
        steps += r.ops;
        rejections = r.rejections.map(
          (x) => `${x.reason} <- ${JSON.stringify(x.op)} ${JSON.stringify(x.outcome)}`,
        );
        expect(rejections).toEqual([]);
      }),
      { numRuns: 12, seed: 20261125 },
    );
    const seconds = (performance.now() - t0) / 1000;
    console.log(
      `random walk: ${steps} steps in ${seconds.toFixed(2)}s (${Math.round(steps / seconds)} steps/s, checker included)`,
    );
  });

  it("reached every state and transition of every machine", () => {
    const report = coverageReport(coverage.visited);
    console.log(formatCoverage(report));
    for (const line of report) {
      expect(line.missing, line.machine).toEqual([]);
      expect(line.states.reached).toBe(line.states.total);
      expect(line.transitions.reached).toBe(line.transitions.total);
    }
  });
});
