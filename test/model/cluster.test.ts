import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import type { ClientOp, Outcome, Produce } from "../../spec/operations.ts";

const produce = (value: string, partition: number, acks: 0 | 1 | -1 = -1, topic = "t"): Produce => ({
  kind: "produce",
  producer: "p1",
  topic,
  key: null,
  value,
  partitioner: { kind: "explicit", partition },
  acks,
  idempotent: false,
});

async function cluster(brokers = 3, config: Record<string, string | number | boolean> = {}, seed = 11) {
  const m = new ClusterModel();
  await m.start({ brokers, seed, config });
  return m;
}

async function partitionOf(m: ClusterModel, topic: string, partition: number) {
  return (await m.observe()).partitions.find((p) => p.topic === topic && p.partition === partition)!;
}

describe("ClusterModel as a target", () => {
  it("elects an ISR member when the leader's broker crashes and its session expires; acknowledged records survive", async () => {
    const m = await cluster();
    await m.execute({
      kind: "createTopic",
      topic: "t",
      partitions: 1,
      replicationFactor: 3,
      config: { minInsyncReplicas: 2 },
    });
    for (let i = 0; i < 3; i++) expect((await m.execute(produce(`v${i}`, 0))).status).toBe("ok");
    const before = await partitionOf(m, "t", 0);
    await m.inject({ kind: "crash", broker: before.leader! });
    // Until the session expires the controller still believes in the dead leader: requests fail.
    expect(await m.execute(produce("x", 0))).toEqual({ status: "failed", error: "NETWORK_EXCEPTION" });
    await m.inject({ kind: "advanceTime", ms: 18000 });
    const after = await partitionOf(m, "t", 0);
    expect(after.leader).not.toBe(before.leader);
    expect(before.isr).toContain(after.leader);
    expect(after.leaderEpoch).toBeGreaterThan(before.leaderEpoch);
    expect(m.choices.some((c) => c.what === "leader of t-0")).toBe(true);
    const read = await m.execute({
      kind: "fetch",
      consumer: "c",
      topic: "t",
      partition: 0,
      offset: 0,
      maxRecords: 10,
    });
    const records = read.status === "ok" ? (read.value as { records: Array<{ value: string }> }).records : [];
    expect(records.map((r) => r.value)).toEqual(["v0", "v1", "v2"]);
    // The old leader restarts, rejoins as a follower and catches up.
    await m.inject({ kind: "restart", broker: before.leader! });
    await m.inject({ kind: "advanceTime", ms: 1000 });
    expect((await partitionOf(m, "t", 0)).isr.sort()).toEqual([1, 2, 3]);
  });

  it("holds an acks=all produce while a follower is cut off, then fails it after the ISR shrinks below min.insync.replicas", async () => {
    const m = await cluster(2, { "replica.lag.time.max.ms": 10000 });
    await m.execute({
      kind: "createTopic",
      topic: "t",
      partitions: 1,
      replicationFactor: 2,
      config: { minInsyncReplicas: 2 },
    });
    const p = await partitionOf(m, "t", 0);
    const follower = p.replicas.find((b) => b !== p.leader)!;
    // The follower loses the leader and the metadata store; the leader keeps the store.
    await m.inject({ kind: "isolate", sides: [[p.leader!], [follower]] });
    let settled: Outcome | undefined;
    void m.execute(produce("v", 0)).then((o) => {
      settled = o;
    });
    await m.settle();
    expect(settled).toBeUndefined();
    await m.inject({ kind: "advanceTime", ms: 10001 });
    await m.settle();
    expect(settled).toEqual({ status: "unknown", error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", partition: 0 });
    expect(await m.execute(produce("w", 0))).toEqual({ status: "failed", error: "NOT_ENOUGH_REPLICAS" });
    await m.inject({ kind: "heal" });
    await m.inject({ kind: "advanceTime", ms: 100 });
    expect((await m.execute(produce("z", 0))).status).toBe("ok");
  });

  it("elects outside the ISR only when the topic allows unclean election", async () => {
    for (const unclean of [false, true]) {
      const m = await cluster(2, {}, 5);
      await m.execute({
        kind: "createTopic",
        topic: "t",
        partitions: 1,
        replicationFactor: 2,
        config: { uncleanLeaderElection: unclean },
      });
      const p = await partitionOf(m, "t", 0);
      const follower = p.replicas.find((b) => b !== p.leader)!;
      await m.inject({ kind: "pause", broker: follower });
      await m.inject({ kind: "advanceTime", ms: 40000 }); // the follower drops out of the ISR
      expect((await partitionOf(m, "t", 0)).isr).toEqual([p.leader]);
      // The leader dies while the follower is still out; then the follower comes back, behind.
      await m.inject({ kind: "crash", broker: p.leader! });
      await m.inject({ kind: "resume", broker: follower });
      await m.inject({ kind: "advanceTime", ms: 20000 });
      const after = await partitionOf(m, "t", 0);
      if (unclean) expect(after.leader).toBe(follower);
      else expect(after.leader).toBeNull();
    }
  });

  it("keeps a JoinGroup pending until every known member has rejoined; members of a round share a generation", async () => {
    const m = await cluster();
    await m.execute({ kind: "createTopic", topic: "t", partitions: 4, replicationFactor: 1, config: {} });
    const join = (member: string): ClientOp => ({
      kind: "joinGroup",
      groupId: "g",
      member,
      topics: ["t"],
      assignor: "roundrobin",
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 20000,
    });
    const first = await m.execute(join("c1"));
    expect(first).toMatchObject({ status: "ok", value: { generation: 1 } });
    const second = m.execute(join("c2"));
    let done = false;
    void second.then(() => {
      done = true;
    });
    await m.settle();
    expect(done).toBe(false);
    expect(await m.execute({ kind: "heartbeat", groupId: "g", member: "c1", generation: 1 })).toEqual({
      status: "failed",
      error: "REBALANCE_IN_PROGRESS",
    });
    const rejoin = await m.execute(join("c1"));
    const c2 = await second;
    expect(rejoin).toMatchObject({ status: "ok", value: { generation: 2 } });
    expect(c2).toMatchObject({ status: "ok", value: { generation: 2 } });
  });

  it("gives a consumer without a group id a generated one, and says which", async () => {
    const m = await cluster();
    const o = await m.execute({
      kind: "joinGroup",
      groupId: null,
      member: "c1",
      topics: ["t"],
      assignor: "range",
      sessionTimeoutMs: 10000,
      rebalanceTimeoutMs: 10000,
    });
    expect(o).toMatchObject({ status: "ok", value: { groupId: "model-group-1", generation: 1 } });
    expect((await m.observe()).groups.map((g) => g.groupId)).toEqual(["model-group-1"]);
  });

  it("fences a paused controller that lost its seat when it resumes", async () => {
    const m = await cluster();
    await m.execute({ kind: "createTopic", topic: "t", partitions: 1, replicationFactor: 3, config: {} });
    const before = (await m.observe()).controller;
    await m.inject({ kind: "pause", broker: before.broker! });
    await m.inject({ kind: "advanceTime", ms: 18000 });
    const after = (await m.observe()).controller;
    expect(after.broker).not.toBe(before.broker);
    expect(after.epoch).toBe(before.epoch + 1);
    const p = await partitionOf(m, "t", 0);
    await m.inject({ kind: "resume", broker: before.broker! });
    expect(m.fenced).toContain(`controller ${before.broker} epoch ${before.epoch}: STALE_CONTROLLER_EPOCH`);
    // Had it led the partition, its cached ISR write is refused too.
    if (p.replicas[0] === before.broker || m.fenced.length > 1)
      expect(
        m.fenced
          .filter((f) => f.startsWith(`leader ${before.broker}`))
          .every((f) => f.endsWith("FENCED_LEADER_EPOCH")),
      ).toBe(true);
    const q = await partitionOf(m, "t", 0);
    expect(q.leaderEpoch).toBe(p.leaderEpoch);
    expect(q.leader).toBe(p.leader);
  });

  it("is deterministic: the same seed and operations give the same observation", async () => {
    const runOnce = async () => {
      const m = await cluster(3, {}, 99);
      await m.execute({ kind: "createTopic", topic: "t", partitions: 3, replicationFactor: 2, config: {} });
      for (let i = 0; i < 10; i++)
        await m.execute({ ...produce(`v${i}`, 0), key: `k${i}`, partitioner: { kind: "murmur2" } });
      await m.inject({ kind: "crash", broker: 2 });
      await m.inject({ kind: "advanceTime", ms: 20000 });
      return JSON.stringify([await m.observe(), m.choices]);
    };
    expect(await runOnce()).toBe(await runOnce());
  });
});
