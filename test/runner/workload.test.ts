/**
 * Intents become valid operations from what the clients know, and outcomes update that knowledge:
 * values are unique, partitions exist, the leader's SyncGroup carries an assignment, the nemesis
 * restarts only what it crashed and isolates into two non-empty sides.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Operation } from "../../spec/operations.ts";
import {
  DEFAULT_SHAPE,
  faultPhaseArbitrary,
  intentArbitrary,
  rebalancePhaseArbitrary,
} from "../../spec/workload/arbitraries.ts";
import { type BuildContext, buildOp } from "../../spec/workload/build.ts";
import type { Intent } from "../../spec/workload/intents.ts";
import { applyOutcome, initialState } from "../../spec/workload/state.ts";
import { toyAssign } from "../doubles/toy-checks.ts";

const ctx: BuildContext = { assign: toyAssign, maxPartitions: 8, maxAddedBrokers: 2, initialBrokers: 3 };
const ok = (value: unknown) => ({ status: "ok" as const, value }) as never;

describe("buildOp", () => {
  it("needs a topic before producing, then resolves picks modulo what exists", () => {
    const s = initialState(3);
    const produce: Intent = {
      kind: "produce",
      producer: "p1",
      topic: 5,
      key: 2,
      partitioner: { kind: "explicit", partition: 7 },
      acks: -1,
      idempotent: true,
    };
    expect(buildOp(produce, s, ctx)).toBeNull();
    s.topics.push({ name: "t0", partitions: 3 });
    expect(buildOp(produce, s, ctx)).toEqual({
      kind: "produce",
      producer: "p1",
      topic: "t0",
      key: "k2",
      value: "v1",
      partitioner: { kind: "explicit", partition: 1 },
      acks: -1,
      idempotent: true,
    });
  });

  it("sends murmur2 only with a key", () => {
    const s = initialState(1);
    s.topics.push({ name: "t0", partitions: 2 });
    const op = buildOp(
      {
        kind: "produce",
        producer: "p1",
        topic: 0,
        key: null,
        partitioner: { kind: "murmur2" },
        acks: 1,
        idempotent: false,
      },
      s,
      ctx,
    ) as Extract<Operation, { kind: "produce" }>;
    expect(op.partitioner).toEqual({ kind: "roundRobin" });
  });

  it("builds the leader's SyncGroup from its JoinGroup answer, with an assignment", () => {
    const s = initialState(3);
    s.topics.push({ name: "t0", partitions: 4 });
    const join = buildOp(
      {
        kind: "join",
        consumer: "c1",
        group: 0,
        topics: [0],
        assignor: "range",
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: 10000,
      },
      s,
      ctx,
    )!;
    expect(join).toMatchObject({ kind: "joinGroup", groupId: "g0", member: "c1", topics: ["t0"] });
    applyOutcome(
      s,
      join,
      ok({
        groupId: "g0",
        memberId: "m1",
        generation: 4,
        leader: "m1",
        protocol: "range",
        members: [
          { memberId: "m1", topics: ["t0"] },
          { memberId: "m2", topics: ["t0"] },
        ],
      }),
    );
    const sync = buildOp({ kind: "sync", consumer: "c1" }, s, ctx)!;
    expect(sync).toMatchObject({ kind: "syncGroup", groupId: "g0", generation: 4 });
    const assignments = (sync as Extract<Operation, { kind: "syncGroup" }>).assignments!;
    expect(Object.values(assignments).flat()).toHaveLength(4);
    applyOutcome(s, sync, ok({ assignment: [{ topic: "t0", partition: 2 }] }));
    // A synced member fetches its own partition, and commits with its generation.
    expect(
      buildOp({ kind: "fetch", consumer: "c1", topic: 0, partition: 3, maxRecords: 5 }, s, ctx),
    ).toMatchObject({
      topic: "t0",
      partition: 2,
      offset: 0,
    });
    expect(buildOp({ kind: "commit", consumer: "c1", simple: false, group: 1 }, s, ctx)).toMatchObject({
      groupId: "g0",
      generation: 4,
      offsets: [{ topic: "t0", partition: 2, offset: 0 }],
    });
    // A fenced member forgets its membership and must join again.
    applyOutcome(
      s,
      { kind: "heartbeat", groupId: "g0", member: "c1", generation: 4 },
      { status: "failed", error: "ILLEGAL_GENERATION" },
    );
    expect(buildOp({ kind: "heartbeat", consumer: "c1" }, s, ctx)).toBeNull();
  });

  it("follows the cluster's last createTopic answer over an earlier unknown one", () => {
    const s = initialState(3);
    const create = (partitions: number): Operation => ({
      kind: "createTopic",
      topic: "t0",
      partitions,
      replicationFactor: 1,
      config: {},
    });
    applyOutcome(s, create(2), { status: "unknown" });
    expect(s.topics).toEqual([{ name: "t0", partitions: 2 }]);
    applyOutcome(s, create(4), ok({ partitions: 4 }));
    expect(s.topics).toEqual([{ name: "t0", partitions: 4 }]);
    // A later guess does not override what the cluster said; a refusal leaves it as it was.
    applyOutcome(s, create(1), { status: "unknown" });
    applyOutcome(s, create(3), { status: "failed", error: "TOPIC_ALREADY_EXISTS" });
    expect(s.topics).toEqual([{ name: "t0", partitions: 4 }]);
  });

  it("moves a consumer's position forward past what it fetched", () => {
    const s = initialState(1);
    s.topics.push({ name: "t0", partitions: 1 });
    const fetch = buildOp({ kind: "fetch", consumer: "c2", topic: 0, partition: 0, maxRecords: 5 }, s, ctx)!;
    applyOutcome(
      s,
      fetch,
      ok({
        records: [
          { offset: 0, key: null, value: "v1" },
          { offset: 1, key: null, value: "v2" },
        ],
        highWatermark: 2,
        logStartOffset: 0,
      }),
    );
    expect(
      buildOp({ kind: "fetch", consumer: "c2", topic: 0, partition: 0, maxRecords: 5 }, s, ctx),
    ).toMatchObject({ offset: 2 });
  });

  it("restarts only crashed brokers and adds brokers up to the limit", () => {
    const s = initialState(3);
    expect(buildOp({ kind: "restart", broker: 0 }, s, ctx)).toBeNull();
    const crash = buildOp({ kind: "crash", broker: 4 }, s, ctx)!;
    expect(crash).toEqual({ kind: "crash", broker: 2 });
    applyOutcome(s, crash, ok({}));
    expect(buildOp({ kind: "restart", broker: 9 }, s, ctx)).toEqual({ kind: "restart", broker: 2 });
    for (let i = 0; i < 2; i++) applyOutcome(s, buildOp({ kind: "addBroker" }, s, ctx)!, ok({}));
    expect(s.brokers).toEqual([1, 2, 3, 4, 5]);
    expect(buildOp({ kind: "addBroker" }, s, ctx)).toBeNull();
  });

  it("isolates into two non-empty sides covering every broker, and heals only after", () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 6 }), fc.nat(255), (n, seed) => {
        const s = initialState(n);
        expect(buildOp({ kind: "heal" }, s, ctx)).toBeNull();
        const op = buildOp({ kind: "isolate", seed }, s, ctx) as Extract<Operation, { kind: "isolate" }>;
        const [a, b] = op.sides;
        expect(a.length).toBeGreaterThan(0);
        expect(b.length).toBeGreaterThan(0);
        expect([...a, ...b].sort()).toEqual(s.brokers);
        applyOutcome(s, op, ok({}));
        expect(buildOp({ kind: "isolate", seed }, s, ctx)).toBeNull();
        expect(buildOp({ kind: "heal" }, s, ctx)).toEqual({ kind: "heal" });
      }),
    );
  });
});

describe("intentArbitrary", () => {
  it("draws only the fault kinds allowed and bounds the replication factor by the brokers", () => {
    const arb = intentArbitrary({
      ...DEFAULT_SHAPE,
      brokers: 2,
      faults: ["crash", "restart"],
      ticks: false,
      customPartitioners: ["lastPartition"],
    });
    const kinds = new Set<string>();
    const partitioners = new Set<string>();
    for (const intent of fc.sample(arb, { numRuns: 3000, seed: 1 })) {
      kinds.add(intent.kind);
      if (intent.kind === "createTopic") expect(intent.replicationFactor).toBeLessThanOrEqual(2);
      if (intent.kind === "produce")
        partitioners.add(
          intent.partitioner.kind === "custom" ? intent.partitioner.name : intent.partitioner.kind,
        );
    }
    expect(
      [...kinds].filter((k) =>
        ["pause", "isolate", "heal", "expireSession", "advanceTime", "addBroker", "resume"].includes(k),
      ),
    ).toEqual([]);
    expect(kinds.has("crash") && kinds.has("restart")).toBe(true);
    expect([...partitioners].sort()).toEqual(["explicit", "lastPartition", "murmur2", "roundRobin"]);
  });
});

describe("rebalancePhaseArbitrary", () => {
  it("joins 2-4 distinct consumers to one group, then polls each in rounds (ticking only with virtual time)", () => {
    for (const ticks of [true, false]) {
      const arb = rebalancePhaseArbitrary({
        ...DEFAULT_SHAPE,
        brokers: 3,
        faults: [],
        ticks,
        customPartitioners: [],
      });
      for (const steps of fc.sample(arb, { numRuns: 200, seed: 7 })) {
        const joins = steps.filter((s) => s.kind === "join");
        const consumers = joins.map((j) => j.consumer);
        expect(new Set(consumers).size).toBe(consumers.length);
        expect(consumers.length).toBeGreaterThanOrEqual(2);
        expect(consumers.length).toBeLessThanOrEqual(4);
        expect(new Set(joins.map((j) => `${j.group}/${j.topics}/${j.assignor}`)).size).toBe(1);
        expect(steps.slice(0, joins.length)).toEqual(joins);
        const rest = steps.slice(joins.length);
        const polls = rest.filter((s) => s.kind === "poll");
        expect(polls.length % consumers.length).toBe(0);
        expect(polls.length / consumers.length).toBeGreaterThanOrEqual(3);
        expect(rest.every((s) => s.kind === "poll" || (ticks && s.kind === "advanceTime"))).toBe(true);
      }
    }
  });
});

describe("targeted faults", () => {
  const observed = () => {
    const s = initialState(3);
    s.roles = { controller: 2, partitions: [{ leader: 3, replicas: [3, 1, 2] }] };
    return s;
  };

  it("aim at the observed leader, followers or controller, among brokers that are up", () => {
    for (const broker of [0, 1, 2, 5]) {
      const s = observed();
      expect(buildOp({ kind: "crash", broker, target: "leader" }, s, ctx)).toEqual({
        kind: "crash",
        broker: 3,
      });
      expect(buildOp({ kind: "pause", broker, target: "controller" }, s, ctx)).toEqual({
        kind: "pause",
        broker: 2,
      });
      const f = buildOp({ kind: "expireSession", broker, target: "follower" }, s, ctx);
      expect([1, 2]).toContain((f as { broker: number }).broker);
      s.down.add(1);
      expect(buildOp({ kind: "crash", broker, target: "follower" }, s, ctx)).toEqual({
        kind: "crash",
        broker: 2,
      });
    }
  });

  it("fall back to an index pick without an observation or when the aimed broker is down", () => {
    const s = initialState(3);
    expect(buildOp({ kind: "crash", broker: 1, target: "leader" }, s, ctx)).toEqual({
      kind: "crash",
      broker: 2,
    });
    const o = observed();
    o.down.add(3);
    expect(buildOp({ kind: "crash", broker: 0, target: "leader" }, o, ctx)).toEqual({
      kind: "crash",
      broker: 1,
    });
  });

  it("isolate the aimed broker alone, away from the metadata store", () => {
    expect(buildOp({ kind: "isolate", seed: 9, target: "leader" }, observed(), ctx)).toEqual({
      kind: "isolate",
      sides: [[1, 2], [3]],
    });
    expect(buildOp({ kind: "isolate", seed: 9, target: "controller" }, observed(), ctx)).toEqual({
      kind: "isolate",
      sides: [[1, 3], [2]],
    });
  });

  it("are drawn only when a profile asks for them", () => {
    const base = { ...DEFAULT_SHAPE, brokers: 3, faults: ["crash", "isolate"] as const, ticks: false };
    const plain = fc.sample(intentArbitrary({ ...base, customPartitioners: [] }), { numRuns: 2000, seed: 3 });
    expect(plain.some((i) => "target" in i)).toBe(false);
    const aimed = fc.sample(
      intentArbitrary({ ...base, customPartitioners: [], profile: { targets: { controller: 1 } } }),
      { numRuns: 2000, seed: 3 },
    );
    const faults = aimed.filter((i) => i.kind === "crash" || i.kind === "isolate");
    expect(faults.length).toBeGreaterThan(0);
    expect(faults.every((i) => "target" in i && i.target === "controller")).toBe(true);
  });
});

describe("profiles", () => {
  const shape = (profile: import("../../spec/workload/profile.ts").WorkloadProfile) => ({
    ...DEFAULT_SHAPE,
    brokers: 3,
    faults: ["crash", "restart", "isolate", "heal", "advanceTime"] as const,
    ticks: true,
    customPartitioners: [],
    profile,
  });

  it("switch intent kinds off and shape the topics", () => {
    const arb = intentArbitrary(
      shape({
        weights: {
          join: 0,
          poll: 0,
          sync: 0,
          heartbeat: 0,
          leave: 0,
          commit: 0,
          zombie: 0,
          fetchCommitted: 0,
        },
        topics: { pool: 1, partitions: { min: 1, max: 1 }, replicationFactor: { min: 3, max: 3 } },
      }),
    );
    for (const i of fc.sample(arb, { numRuns: 2000, seed: 5 })) {
      expect([
        "join",
        "poll",
        "sync",
        "heartbeat",
        "leave",
        "commit",
        "zombie",
        "fetchCommitted",
      ]).not.toContain(i.kind);
      if (i.kind === "createTopic") expect([i.name, i.partitions, i.replicationFactor]).toEqual([0, 1, 3]);
      if (i.kind === "produce") expect(i.topic).toBe(0);
    }
  });

  it("fault phases: rounds of a fault (an undo before or after it), writes with the phase's acks, maybe time", () => {
    const arb = faultPhaseArbitrary(shape({}), {
      weight: 1,
      rounds: { min: 2, max: 4 },
      writes: { min: 1, max: 2 },
      acks: [1],
      advanceMs: [0, 20000],
      faults: { crash: 1, isolate: 1 },
    })!;
    for (const steps of fc.sample(arb, { numRuns: 300, seed: 9 })) {
      const starts = steps.filter((i) => i.kind === "crash" || i.kind === "isolate").length;
      expect(starts).toBeGreaterThanOrEqual(2);
      expect(starts).toBeLessThanOrEqual(4);
      for (const i of steps) {
        expect(["crash", "isolate", "restart", "heal", "produce", "advanceTime"]).toContain(i.kind);
        if (i.kind === "produce") expect(i.acks).toBe(1);
        if (i.kind === "advanceTime") expect(i.ms).toBe(20000);
      }
    }
    expect(
      faultPhaseArbitrary(
        { ...shape({}), faults: ["restart"] },
        { weight: 1, rounds: { min: 1, max: 1 }, writes: { min: 0, max: 0 }, acks: [1], advanceMs: [0] },
      ),
    ).toBeNull();
  });
});
