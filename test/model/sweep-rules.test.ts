/**
 * Direct checker tests for parts of sweep-found relaxations that no case exercised on its own. The sweep
 * replays of seeds 22 and 36 (test/embedded/model-sweep-false-alarms.test.ts) no longer reach the rule of
 * 1a327a6 ("the latest generation handed out again after a possible coordinator move starts its sync
 * knowledge afresh"); seed 34 still does, and checker-relaxations.test.ts has a hand-made case, but both
 * pass with either half of its "possible move" test removed and with its generation floor removed, so
 * each of those is pinned here: each test below fails with that part of the rule switched off.
 *
 * (Seed 23's clock allowance, also lost from the sweep, stays covered by checker-relaxations.test.ts: its
 * two cases fail with STEP_SLACK_MS at 0 and with the observed clock skew ignored, respectively.)
 */
import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import type { ClientOp, Fault, Outcome, TopicPartition } from "../../spec/operations.ts";

const OK = { ok: true };
const ok = (value: unknown): Outcome => ({ status: "ok", value }) as Outcome;
const done: Outcome = { status: "ok", value: {} };
const failed = (error: string): Outcome => ({ status: "failed", error }) as Outcome;

function checker() {
  const c = new ClusterModel();
  c.begin({ brokers: 3, seed: 1, config: {} });
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
/** A join answered with `generation`, led by `leader`'s member id. */
const joined = (member: string, generation: number, leader: string) =>
  ok({
    groupId: "g",
    memberId: `${member}-1`,
    generation,
    leader: `${leader}-1`,
    protocol: "range",
    members: [],
  });
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

describe("1a327a6: generation handed out again while a zombie coordinator may answer (no fault since the round began)", () => {
  // Broker 3 is cut off before generation 2 is first handed out: the fault is older than the round, so only
  // the zombie (3 may still lead __consumer_offsets in its own view, with its own generation 2) explains b's
  // generation 2 with another leader and another assignment.
  const scenario = (zombie: boolean) => {
    const c = checker();
    expect(c.check(join("a"), joined("a", 1, "a"))).toEqual(OK);
    const cut: Fault = zombie ? { kind: "isolate", sides: [[1, 2], [3]] } : { kind: "advanceTime", ms: 10 };
    expect(c.check(cut, done)).toEqual(OK);
    expect(c.check(join("a"), joined("a", 2, "a"))).toEqual(OK);
    // a's assignment for generation 2, never proven stored.
    expect(c.check(sync("a", 2, { "a-1": [tp(0)] }), failed("REBALANCE_IN_PROGRESS"))).toEqual(OK);
    expect(c.check(join("b"), joined("b", 2, "b"))).toEqual(OK);
    expect(c.check(join("c"), joined("c", 2, "b"))).toEqual(OK);
    return c;
  };

  it("accepts the other incarnation's assignment for a follower whose sync completes first", () => {
    const c = scenario(true);
    const leader = sync("b", 2, { "b-1": [], "c-1": [tp(0)] });
    c.invoke(leader);
    expect(c.check(sync("c", 2), gave(0))).toEqual(OK);
    expect(c.check(leader, gave())).toEqual(OK);
  });

  it("rejects it with no cut-off broker", () => {
    const c = scenario(false);
    const leader = sync("b", 2, { "b-1": [], "c-1": [tp(0)] });
    c.invoke(leader);
    rejects(c.check(sync("c", 2), gave(0)), "gave c [t-0]", "leader assigned it []");
  });
});

describe("1a327a6: a stored generation handed out again keeps its stored assignment (the generation floor)", () => {
  // Generation 2 is stored (a's sync succeeded) before the fault; a reloaded coordinator hands b generation 2
  // again (a follower of the stored generation rejoining), and what it may give is the stored assignment only.
  const scenario = () => {
    const c = checker();
    expect(c.check(join("a"), joined("a", 2, "a"))).toEqual(OK);
    expect(c.check(join("b"), joined("b", 2, "a"))).toEqual(OK);
    expect(c.check(sync("a", 2, { "a-1": [tp(0)], "b-1": [tp(1)] }), gave(0))).toEqual(OK);
    expect(c.check(sync("b", 2), gave(1))).toEqual(OK);
    expect(c.check({ kind: "crash", broker: 1 }, done)).toEqual(OK);
    expect(c.check(join("b"), joined("b", 2, "a"))).toEqual(OK);
    return c;
  };

  it("accepts the stored assignment", () => {
    expect(scenario().check(sync("b", 2), gave(1))).toEqual(OK);
  });

  it("rejects another assignment in the stored generation", () => {
    rejects(scenario().check(sync("b", 2), gave(0)), "gave b [t-0]", "generation 2");
  });
});
