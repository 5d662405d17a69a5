/**
 * Where Kafka allows more than a single coordinator or a single ISR would suggest: each case is a hand-made
 * sequence of outcomes found against a real target that the checker must accept, next to a nearby one that
 * Kafka forbids and the checker must still reject. docs/model.md cites the Kafka behaviour for each.
 */
import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import type { ClientOp, Outcome, Produce, TopicPartition } from "../../spec/operations.ts";

const OK = { ok: true };
const ok = (value: unknown): Outcome => ({ status: "ok", value }) as Outcome;
const done: Outcome = { status: "ok", value: {} };
const failed = (error: string): Outcome => ({ status: "failed", error }) as Outcome;

function checker(brokers = 3) {
  const c = new ClusterModel();
  c.begin({ brokers, seed: 1, config: {} });
  return c;
}

const rejects = (v: { ok: boolean; reason?: string }, ...words: string[]) => {
  expect(v.ok).toBe(false);
  for (const w of words) expect((v as { reason: string }).reason).toContain(w);
};

const join = (member: string): ClientOp => ({
  kind: "joinGroup",
  groupId: "g",
  member,
  topics: ["t"],
  assignor: "range",
  sessionTimeoutMs: 10000,
  rebalanceTimeoutMs: 10000,
});
const joined = (member: string, generation: number) =>
  ok({ groupId: "g", memberId: `${member}-1`, generation, leader: "a-1", protocol: "range", members: [] });
const tp = (partition: number): TopicPartition => ({ topic: "t", partition });
const sync = (
  member: string,
  generation: number,
  assignments?: Record<string, TopicPartition[]>,
): ClientOp =>
  assignments === undefined
    ? { kind: "syncGroup", groupId: "g", member, generation }
    : { kind: "syncGroup", groupId: "g", member, generation, assignments };
const gave = (...partitions: number[]) => ok({ assignment: partitions.map(tp) });

describe("a leader's second sync in one generation (seed 5, embedded)", () => {
  // The first assignment, computed before addPartitions, and the second, after it.
  const first = { "a-1": [tp(0)], "b-1": [], "c-1": [] };
  const second = { "a-1": [tp(0)], "b-1": [tp(1)], "c-1": [] };
  const generationTwo = () => {
    const c = checker();
    for (const m of ["a", "b", "c"]) expect(c.check(join(m), joined(m, 2))).toEqual(OK);
    return c;
  };

  it("accepts the first assignment after its sync failed with NOT_COORDINATOR and a second sync succeeded", () => {
    const c = generationTwo();
    expect(c.check(sync("a", 2, first), failed("NOT_COORDINATOR"))).toEqual(OK);
    expect(c.check({ kind: "expireSession", broker: 1 }, done)).toEqual(OK);
    expect(c.check(sync("c", 2), gave())).toEqual(OK);
    // The reloaded group is Stable: the leader's new assignment is ignored, it gets its stored one back.
    expect(c.check(sync("a", 2, second), gave(0))).toEqual(OK);
    expect(c.check(sync("b", 2), gave())).toEqual(OK);
  });

  it("accepts the second assignment when the failed sync was not stored", () => {
    const c = generationTwo();
    expect(c.check(sync("a", 2, first), failed("REBALANCE_IN_PROGRESS"))).toEqual(OK);
    expect(c.check(sync("a", 2, second), gave(0))).toEqual(OK);
    expect(c.check(sync("b", 2), gave(1))).toEqual(OK);
    // Now only the second can be the stored one.
    rejects(c.check(sync("c", 2), gave(0)), "gave c [t-0]");
  });

  it("rejects an assignment no leader's sync sent, and mixing the two assignments", () => {
    const c = generationTwo();
    c.check(sync("a", 2, first), failed("NOT_COORDINATOR"));
    c.check(sync("a", 2, second), gave(0));
    rejects(c.check(sync("b", 2), gave(2)), "gave b [t-2]");
    const d = generationTwo();
    d.check(sync("a", 2, first), failed("NOT_COORDINATOR"));
    d.check(sync("a", 2, second), gave(0));
    expect(d.check(sync("b", 2), gave(1))).toEqual(OK); // the second was stored
    rejects(d.check(sync("c", 2), gave(0)), "gave c [t-0]"); // neither gives c t-0 alongside b's t-1
  });

  it("rejects the second assignment once the first sync succeeded (the group is Stable with it)", () => {
    const c = generationTwo();
    expect(c.check(sync("a", 2, first), gave(0))).toEqual(OK);
    expect(c.check(sync("a", 2, second), gave(0))).toEqual(OK);
    rejects(c.check(sync("b", 2), gave(1)), "gave b [t-1]", "leader assigned it []");
  });

  it("rejects the first assignment when its sync failed before any write (ILLEGAL_GENERATION)", () => {
    const c = generationTwo();
    expect(c.check(sync("a", 2, first), failed("ILLEGAL_GENERATION"))).toEqual(OK);
    expect(c.check(sync("a", 2, second), gave(0))).toEqual(OK);
    rejects(c.check(sync("b", 2), gave()), "gave b []", "leader assigned it [t-1]");
  });

  it("checks a follower's sync that completed first against a failed leader sync, the only one that can have stored", () => {
    const c = generationTwo();
    expect(c.check(sync("b", 2), gave(1))).toEqual(OK);
    rejects(c.check(sync("a", 2, first), failed("NOT_COORDINATOR")), "gave b [t-1]");
  });
});

describe("a generation restarting after a coordinator move (seed 7, embedded)", () => {
  it("accepts generation 1 again when the group never synced and a fault came after its first join", () => {
    const c = checker();
    expect(c.check(join("b"), joined("b", 1))).toEqual(OK);
    expect(c.check({ kind: "isolate", sides: [[1, 2], [3]] }, done)).toEqual(OK);
    // Handed out by the old coordinator after the fault: it does not know it lost the group yet.
    expect(c.check({ kind: "advanceTime", ms: 35000 }, done)).toEqual(OK);
    expect(c.check(join("a"), joined("a", 2))).toEqual(OK);
    // The new coordinator loaded nothing (nothing was stored) and starts the group over.
    expect(c.check(join("c"), joined("c", 1))).toEqual(OK);
  });

  it("rejects it without a fault", () => {
    const c = checker();
    c.check(join("b"), joined("b", 1));
    c.check({ kind: "advanceTime", ms: 35000 }, done);
    c.check(join("a"), joined("a", 2));
    rejects(c.check(join("c"), joined("c", 1)), "previous generation 1");
  });

  it("rejects going below the stored generation, and restarting at it without a fault since it was stored", () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    c.check({ kind: "crash", broker: 3 }, done);
    const stored = sync("a", 1, { "a-1": [] });
    c.invoke(stored); // sent after the fault, so stored after it
    c.check(stored, gave());
    c.check(join("a"), joined("a", 2));
    c.check(join("a"), joined("a", 3));
    rejects(c.check(join("b"), joined("b", 2)), "previous generation 2");
    c.check({ kind: "crash", broker: 2 }, done);
    expect(c.check(join("b"), joined("b", 2))).toEqual(OK);
    rejects(c.check(join("c"), joined("c", 1)), "previous generation 1");
  });
});

describe("a zombie coordinator (seeds 22 and 36, embedded)", () => {
  const storedTwice = (c: ClusterModel) => {
    c.check(join("a"), joined("a", 1));
    c.check(sync("a", 1, { "a-1": [tp(0)] }), gave(0));
    c.check(join("a"), joined("a", 2));
    c.check(sync("a", 2, { "a-1": [tp(0)] }), gave(0));
    c.check({ kind: "crash", broker: 1 }, done);
  };
  it("accepts a fresh group from a broker cut off before the group was stored", () => {
    const c = checker();
    // Broker 3 led __consumer_offsets' partition and never learns it lost it: it still answers for the group.
    c.check({ kind: "isolate", sides: [[1, 2], [3]] }, done);
    storedTwice(c);
    expect(c.check(join("c"), joined("c", 1))).toEqual(OK);
  });
  it("rejects it when no broker was cut off (the new coordinator loads generation 2)", () => {
    const c = checker();
    storedTwice(c);
    rejects(c.check(join("c"), joined("c", 1)), "previous generation 1");
  });
  it("rejects a generation below what was stored before the broker was cut off", () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    c.check(sync("a", 1, { "a-1": [tp(0)] }), gave(0));
    c.check(join("a"), joined("a", 2));
    c.check({ kind: "pause", broker: 3 }, done);
    c.check(join("a"), joined("a", 3));
    c.check(sync("a", 3, { "a-1": [tp(0)] }), gave(0));
    expect(c.check(join("c"), joined("c", 2))).toEqual(OK); // the zombie had stored 1, was at 1 or 2
    const d = checker();
    d.check(join("a"), joined("a", 1));
    d.check(sync("a", 1, { "a-1": [tp(0)] }), gave(0));
    d.check(join("a"), joined("a", 2));
    d.check(sync("a", 2, { "a-1": [tp(0)] }), gave(0));
    d.check({ kind: "pause", broker: 3 }, done);
    d.check(join("a"), joined("a", 3));
    rejects(d.check(join("c"), joined("c", 1)), "previous generation");
  });
});

describe("a known follower rejoining a group reloaded Stable at its stored generation (seed 49, embedded)", () => {
  const scenario = () => {
    const c = checker();
    c.check(join("a"), joined("a", 2));
    c.check(join("b"), joined("b", 2));
    c.check(sync("a", 2, { "a-1": [tp(0)], "b-1": [] }), gave(0));
    c.check(sync("b", 2), gave());
    c.check({ kind: "isolate", sides: [[1], [2, 3]] }, done);
    c.check({ kind: "advanceTime", ms: 12000 }, done);
    expect(c.check(join("c"), joined("c", 4))).toEqual(OK);
    return c;
  };
  it("accepts the stored generation for a follower that synced in it", () => {
    expect(scenario().check(join("b"), joined("b", 2))).toEqual(OK);
  });
  it("rejects it for a member that was not in it", () => {
    rejects(scenario().check(join("d"), joined("d", 2)), "previous generation 2");
  });
});

describe("a follower of the stored generation that joined a later, unstored one (seed 7, embedded)", () => {
  // Generation 2 stored with a leading and b following; generation 3 handed out after b is cut off, never stored.
  const scenario = () => {
    const c = checker();
    c.check(join("a"), joined("a", 2));
    c.check(join("b"), joined("b", 2));
    c.check(sync("a", 2, { "a-1": [tp(0)], "b-1": [] }), gave(0));
    c.check({ kind: "isolate", sides: [[1, 3], [2]] }, done);
    c.check(join("a"), joined("a", 3));
    c.check(join("b"), joined("b", 3));
    c.check(sync("a", 3, { "a-1": [], "b-1": [tp(0)] }), failed("REBALANCE_IN_PROGRESS"));
    c.check({ kind: "expireSession", broker: 2 }, done);
    return c;
  };
  const joinedAs = (member: string, generation: number, leader: string, memberId = `${member}-1`) =>
    ok({ groupId: "g", memberId, generation, leader, protocol: "range", members: [] });

  it("accepts generation 2 again for b, a member of the stored generation whose own sync never ran", () => {
    expect(scenario().check(join("b"), joinedAs("b", 2, "a-1"))).toEqual(OK);
  });
  it("rejects it for the stored generation's leader (its rejoin starts a rebalance)", () => {
    rejects(scenario().check(join("a"), joinedAs("a", 2, "a-1")), "previous generation 2");
  });
  it("rejects it under another member id", () => {
    rejects(scenario().check(join("b"), joinedAs("b", 2, "a-1", "b-2")), "previous generation 2");
  });
});

describe("the latest generation handed out again by another coordinator (seeds 22, 34, 36, embedded, --ops 100)", () => {
  const leadBy = (member: string, generation: number, leader: string) =>
    ok({ groupId: "g", memberId: `${member}-1`, generation, leader, protocol: "range", members: [] });
  // Generation 2 led by a, its assignment never proven stored; then b leads another generation 2.
  const scenario = (fault: boolean) => {
    const c = checker();
    c.check(join("a"), leadBy("a", 1, "a-1"));
    c.check(join("a"), leadBy("a", 2, "a-1"));
    c.check(sync("a", 2, { "a-1": [tp(0)] }), failed("REBALANCE_IN_PROGRESS"));
    if (fault) c.check({ kind: "crash", broker: 3 }, done);
    c.check(join("b"), leadBy("b", 2, "b-1"));
    c.check(join("c"), leadBy("c", 2, "b-1"));
    return c;
  };
  it("accepts the new leader's assignment for a follower whose sync completes before the leader's", () => {
    const c = scenario(true);
    const leader = sync("b", 2, { "b-1": [], "c-1": [tp(0)] });
    c.invoke(leader);
    expect(c.check(sync("c", 2), gave(0))).toEqual(OK);
    expect(c.check(leader, gave())).toEqual(OK);
  });
  it("rejects it without a fault since generation 2 was first handed out", () => {
    const c = scenario(false);
    const leader = sync("b", 2, { "b-1": [], "c-1": [tp(0)] });
    c.invoke(leader);
    rejects(c.check(sync("c", 2), gave(0)), "gave c [t-0]", "leader assigned it []");
  });
});

describe("a zombie coordinator's window ends when its broker crashes", () => {
  // Broker 3 is cut off before anything is stored; generation 2 is stored afterwards.
  const scenario = () => {
    const c = checker();
    c.check({ kind: "pause", broker: 3 }, done);
    c.check(join("a"), joined("a", 1));
    c.check(sync("a", 1, { "a-1": [tp(0)] }), gave(0));
    c.check(join("a"), joined("a", 2));
    c.check(sync("a", 2, { "a-1": [tp(0)] }), gave(0));
    return c;
  };
  it("accepts a fresh group while broker 3 may still answer from before", () => {
    expect(scenario().check(join("c"), joined("c", 1))).toEqual(OK);
  });
  it("accepts it for a join sent before broker 3 crashed (answered before the crash)", () => {
    const c = scenario();
    const early = join("c");
    c.invoke(early);
    c.check({ kind: "crash", broker: 3 }, done);
    expect(c.check(early, joined("c", 1))).toEqual(OK);
  });
  it("rejects it for a join sent after broker 3 crashed: the new coordinator loaded generation 2", () => {
    const c = scenario();
    c.check({ kind: "crash", broker: 3 }, done);
    c.check({ kind: "restart", broker: 3 }, done);
    const late = join("c");
    c.invoke(late);
    rejects(c.check(late, joined("c", 1)), "previous generation 1");
    // A generation from the stored one on stays possible (the coordinator may have moved).
    expect(c.check(join("d"), joined("d", 3))).toEqual(OK);
  });
  it("does not count brokers on the metadata store's side of an isolate as zombies", () => {
    const c = checker();
    c.check({ kind: "isolate", sides: [[1, 2, 3], []] }, done);
    c.check(join("a"), joined("a", 1));
    c.check(sync("a", 1, { "a-1": [tp(0)] }), gave(0));
    c.check(join("a"), joined("a", 2));
    c.check(sync("a", 2, { "a-1": [tp(0)] }), gave(0));
    rejects(c.check(join("c"), joined("c", 1)), "previous generation 1");
  });
});

describe("a member's session runs from when the coordinator completed its join (seed 43, embedded)", () => {
  const simple: ClientOp = {
    kind: "commitOffsets",
    groupId: "g",
    member: "",
    generation: -1,
    offsets: [{ ...tp(0), offset: 1 }],
  };
  it("accepts a commit without generation after a join held through a passing of time longer than its session", () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    const held = join("c");
    c.invoke(held); // at t=0: the coordinator may complete it at the rebalance timeout, long before 35 s
    c.check({ kind: "advanceTime", ms: 35000 }, done);
    expect(c.check(held, joined("c", 2))).toEqual(OK);
    expect(c.check(sync("c", 2, { "c-1": [tp(0)] }), failed("UNKNOWN_MEMBER_ID"))).toEqual(OK);
    expect(c.check(simple, done)).toEqual(OK);
  });
  it("rejects it when the join was sent after the time passed", () => {
    const c = checker();
    c.check({ kind: "advanceTime", ms: 35000 }, done);
    const fresh = join("c");
    c.invoke(fresh);
    expect(c.check(fresh, joined("c", 1))).toEqual(OK);
    rejects(c.check(simple, done), "member c", "Empty");
  });
});

describe("the target's clock runs ahead of the passings of time injected (seed 23, embedded, --ops 100)", () => {
  const simple: ClientOp = {
    kind: "commitOffsets",
    groupId: "g",
    member: "",
    generation: -1,
    offsets: [{ ...tp(0), offset: 1 }],
  };
  const seen = (c: ClusterModel, time: number) =>
    c.adopt({ time, controller: { broker: 1, epoch: 1 }, brokers: [], partitions: [], groups: [] });
  const member = () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    c.check(sync("a", 1, { "a-1": [tp(0)] }), gave(0));
    return c;
  };
  it("accepts a commit without generation 8.6 s after the last heartbeat when the target's clock shows 10.2 s", () => {
    const c = member();
    expect(c.check({ kind: "advanceTime", ms: 8600 }, done)).toEqual(OK);
    expect(seen(c, 10200)).toEqual(OK); // requests and replies took 1.6 s the runner did not inject
    expect(c.check(simple, done)).toEqual(OK);
  });
  it("accepts it within one step's slack of the session, and rejects it well inside the session", () => {
    const c = member();
    c.check({ kind: "advanceTime", ms: 9500 }, done);
    expect(c.check(simple, done)).toEqual(OK);
    const d = member();
    d.check({ kind: "advanceTime", ms: 5000 }, done);
    seen(d, 5100);
    rejects(d.check(simple, done), "member a", "Empty");
  });
});

describe("a commit without generation right after a join, from another coordinator (seed 50, embedded)", () => {
  const simple: ClientOp = {
    kind: "commitOffsets",
    groupId: "g",
    member: "",
    generation: -1,
    offsets: [{ ...tp(0), offset: 1 }],
  };
  it("accepts it while a paused coordinator may have answered the join after its session expired", () => {
    const c = checker();
    c.check({ kind: "pause", broker: 3 }, done);
    const held = join("a");
    c.invoke(held); // held by paused broker 3, answered after its resume; the group moved meanwhile
    c.check({ kind: "expireSession", broker: 3 }, done);
    c.check({ kind: "resume", broker: 3 }, done);
    expect(c.check(held, joined("a", 1))).toEqual(OK);
    expect(c.check(simple, done)).toEqual(OK);
  });
  it("accepts it after a join sent before a crash, and rejects it after one sent after the crash", () => {
    const c = checker();
    const early = join("a");
    c.invoke(early);
    c.check({ kind: "crash", broker: 3 }, done);
    expect(c.check(early, joined("a", 1))).toEqual(OK);
    expect(c.check(simple, done)).toEqual(OK);
    const late = join("b");
    c.invoke(late);
    expect(c.check(late, joined("b", 1))).toEqual(OK);
    rejects(c.check(simple, done), "member b", "Empty");
  });
});

describe("acks=all with a crashed follower still in the ISR (RF 3, min.insync.replicas 2)", () => {
  const produce = (value: string): Produce => ({
    kind: "produce",
    producer: "p1",
    topic: "t",
    key: null,
    value,
    partitioner: { kind: "explicit", partition: 0 },
    acks: -1,
    idempotent: false,
  });
  const setup = () => {
    const c = checker();
    c.check(
      {
        kind: "createTopic",
        topic: "t",
        partitions: 1,
        replicationFactor: 3,
        config: { minInsyncReplicas: 2 },
      },
      ok({ partitions: 1 }),
    );
    return c;
  };

  it("accepts success with one follower crashed before the send (the ISR shrinks to the two live replicas)", () => {
    const c = setup();
    c.check({ kind: "crash", broker: 3 }, done);
    const op = produce("v0");
    c.invoke(op);
    expect(c.check(op, ok({ partition: 0, offset: 0 }))).toEqual(OK);
  });

  it("rejects success with both followers crashed before the send; accepts NOT_ENOUGH_REPLICAS_AFTER_APPEND", () => {
    const c = setup();
    c.check({ kind: "crash", broker: 2 }, done);
    c.check({ kind: "crash", broker: 3 }, done);
    const op = produce("v0");
    c.invoke(op);
    rejects(c.check(op, ok({ partition: 0, offset: 0 })), "only 1 replica(s)", "NOT_ENOUGH_REPLICAS");
    c.invoke(op);
    expect(c.check(op, failed("NOT_ENOUGH_REPLICAS_AFTER_APPEND"))).toEqual(OK);
  });

  it("counts a paused follower as not running: rejects success with both paused throughout, accepts after a resume", () => {
    const c = setup();
    c.check({ kind: "pause", broker: 2 }, done);
    c.check({ kind: "crash", broker: 3 }, done);
    const op = produce("v0");
    c.invoke(op);
    rejects(c.check(op, ok({ partition: 0, offset: 0 })), "only 1 replica(s)");
    c.check({ kind: "resume", broker: 2 }, done);
    c.invoke(op);
    expect(c.check(op, ok({ partition: 0, offset: 0 }))).toEqual(OK);
    // A resume still in flight may already have taken effect when the produce completes.
    const e = setup();
    e.check({ kind: "pause", broker: 2 }, done);
    e.check({ kind: "crash", broker: 3 }, done);
    const racing = produce("v2");
    e.invoke(racing);
    e.invoke({ kind: "resume", broker: 2 });
    expect(e.check(racing, ok({ partition: 0, offset: 0 }))).toEqual(OK);
    const d = setup();
    const late = produce("v1");
    d.invoke(late);
    d.check({ kind: "pause", broker: 2 }, done); // paused while in flight: it may have fetched the record first
    d.check({ kind: "pause", broker: 3 }, done);
    expect(d.check(late, ok({ partition: 0, offset: 0 }))).toEqual(OK);
  });

  it("accepts success when the followers crashed while the send was in flight (they may have fetched it first)", () => {
    const c = setup();
    const op = produce("v0");
    c.invoke(op);
    c.check({ kind: "crash", broker: 2 }, done);
    c.check({ kind: "crash", broker: 3 }, done);
    expect(c.check(op, ok({ partition: 0, offset: 0 }))).toEqual(OK);
  });
});
