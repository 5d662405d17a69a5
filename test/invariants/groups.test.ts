/** monotonic-committed-offsets and exclusive-assignment: one caught, one passing each. */
import { describe, expect, it } from "vitest";
import { exclusiveAssignment } from "../../spec/invariants/history/exclusive-assignment.ts";
import { monotonicCommittedOffsets } from "../../spec/invariants/history/monotonic-committed-offsets.ts";
import { Script } from "./script.ts";

describe("monotonic-committed-offsets", () => {
  it("catches a read below an earlier ok commit", () => {
    const s = new Script();
    const c = s.committed("g", "c1", { "t-0": 5 });
    const r = s.readOffsets("g", { "t-0": 3 });
    expect(monotonicCommittedOffsets.check(s.history)).toEqual([
      {
        invariant: "monotonic-committed-offsets",
        message: expect.stringContaining("read 3, below 5"),
        events: [c.complete, r.complete],
      },
    ]);
  });

  it("catches a read below an earlier read, and a read of nothing after a commit", () => {
    const s = new Script();
    s.committed("g", "c1", { "t-0": 2 });
    const r1 = s.readOffsets("g", { "t-0": 7 });
    const r2 = s.readOffsets("g", { "t-0": 4 });
    const s2 = new Script();
    const c = s2.committed("g", "c1", { "t-1": 2 });
    const none = s2.readOffsets("g", { "t-1": -1 });
    expect(monotonicCommittedOffsets.check(s.history).map((x) => x.events)).toEqual([
      [r1.complete, r2.complete],
    ]);
    expect(monotonicCommittedOffsets.check(s2.history).map((x) => x.events)).toEqual([
      [c.complete, none.complete],
    ]);
  });

  it("passes a lower commit that completed ok: an explicit reset", () => {
    const s = new Script();
    s.committed("g", "c1", { "t-0": 5 });
    s.readOffsets("g", { "t-0": 5 });
    s.committed("g", "c1", { "t-0": 2 });
    s.readOffsets("g", { "t-0": 2 });
    expect(monotonicCommittedOffsets.check(s.history)).toEqual([]);
  });

  it("passes a read of a concurrent lower commit, or of one whose outcome is unknown", () => {
    const s = new Script();
    const lo = s.start("c2", s.commitOp("g", "c2", 1, { "t-0": 2 }));
    s.committed("g", "c1", { "t-0": 5 });
    lo.ok({});
    s.readOffsets("g", { "t-0": 2 });
    const s2 = new Script();
    s2.committed("g", "c1", { "t-0": 5 });
    s2.start("c2", s2.commitOp("g", "c2", 1, { "t-0": 3 })).unknown();
    s2.readOffsets("g", { "t-0": 3 });
    expect(monotonicCommittedOffsets.check(s.history)).toEqual([]);
    expect(monotonicCommittedOffsets.check(s2.history)).toEqual([]);
  });

  it("does not excuse a read with a failed commit's value", () => {
    const s = new Script();
    s.committed("g", "c1", { "t-0": 5 });
    s.start("c2", s.commitOp("g", "c2", 0, { "t-0": 3 })).fail("ILLEGAL_GENERATION");
    s.readOffsets("g", { "t-0": 3 });
    expect(monotonicCommittedOffsets.check(s.history)).toHaveLength(1);
  });
});

/** A generation-1 group of c1 (leader) and c2 on a topic with `partitions` partitions. */
function twoMembers(partitions: number) {
  const s = new Script();
  s.topic("t", { partitions });
  const j1 = s.joined("c1", "g", 1, {
    leader: "c1",
    members: [
      ["c1", ["t"]],
      ["c2", ["t"]],
    ],
  });
  const j2 = s.joined("c2", "g", 1, { leader: "c1" });
  return { s, j1, j2 };
}

describe("exclusive-assignment", () => {
  it("catches one partition given to two members of a generation", () => {
    const { s } = twoMembers(2);
    const a = s.synced("c1", "g", 1, ["t-0", "t-1"]);
    const b = s.synced("c2", "g", 1, ["t-1"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([
      {
        invariant: "exclusive-assignment",
        message: expect.stringContaining("t-1 assigned to both c1"),
        events: [a.complete, b.complete],
      },
    ]);
  });

  it("catches a partition nobody owns once every member synced", () => {
    const { s, j1 } = twoMembers(3);
    const a = s.synced("c1", "g", 1, ["t-0"]);
    const b = s.synced("c2", "g", 1, ["t-1"]);
    const v = exclusiveAssignment.check(s.history);
    expect(v.map((x) => x.events)).toEqual([[j1.complete, a.complete, b.complete]]);
    expect(v[0].message).toContain("t-2 is owned by no member");
  });

  it("catches an assignment to a client that is not a member of the generation", () => {
    const { s, j1 } = twoMembers(2);
    s.synced("c1", "g", 1, ["t-0"]);
    s.synced("c2", "g", 1, ["t-1"]);
    const late = s.synced("c3", "g", 1, []);
    const v = exclusiveAssignment.check(s.history);
    expect(v.map((x) => x.events)).toEqual([[j1.complete, late.complete]]);
  });

  it("passes the same partition in two different generations, and a complete exclusive assignment", () => {
    const { s } = twoMembers(2);
    s.synced("c1", "g", 1, ["t-0"]);
    s.synced("c2", "g", 1, ["t-1"]);
    s.joined("c1", "g", 2, { leader: "c1", members: [["c1", ["t"]]] });
    s.synced("c1", "g", 2, ["t-0", "t-1"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([]);
  });

  it("keeps a group id's generation apart from the same number after the group was removed", () => {
    const s = new Script();
    s.topic("t");
    s.joined("c2", "g", 1, { leader: "c2", members: [["c2", ["t"]]] });
    s.synced("c2", "g", 1, ["t-0"]);
    s.fault({ kind: "advanceTime", ms: 700_000 });
    s.joined("c1", "g", 1, { leader: "c1", members: [["c1", ["t"]]] });
    s.synced("c1", "g", 1, ["t-0"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([]);
  });

  it("still catches a double assignment within one incarnation", () => {
    const { s } = twoMembers(2);
    const a = s.synced("c1", "g", 1, ["t-0", "t-1"]);
    const b = s.synced("c2", "g", 1, ["t-0", "t-1"]);
    expect(exclusiveAssignment.check(s.history).map((v) => v.events)).toEqual([
      [a.complete, b.complete],
      [a.complete, b.complete],
    ]);
  });

  it("catches a member handed something other than what the leader assigned it", () => {
    const { s } = twoMembers(2);
    const lead = s.syncedAsLeader("c1", "g", 1, { c1: ["t-0"], c2: ["t-1"] }, ["t-0"]);
    const c2 = s.synced("c2", "g", 1, ["t-0"]);
    const v = exclusiveAssignment.check(s.history);
    expect(v).toContainEqual({
      invariant: "exclusive-assignment",
      message:
        "group g generation 1: syncGroup #8/#9 gave c2 [t-0], but the leader's syncGroup #6/#7 assigned it [t-1]",
      events: [lead.complete, c2.complete],
    });
  });

  it("passes members handed exactly the leader's plan", () => {
    const { s } = twoMembers(2);
    s.syncedAsLeader("c1", "g", 1, { c1: ["t-0"], c2: ["t-1"] }, ["t-0"]);
    s.synced("c2", "g", 1, ["t-1"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([]);
  });

  it("passes a member handed the plan of an earlier leader sync that failed NOT_COORDINATOR but was stored", () => {
    const { s } = twoMembers(2);
    s.start("c1", {
      kind: "syncGroup",
      groupId: "g",
      member: "c1",
      generation: 1,
      assignments: { c1: [{ topic: "t", partition: 0 }], c2: [{ topic: "t", partition: 1 }] },
    }).fail("NOT_COORDINATOR");
    s.syncedAsLeader("c1", "g", 1, { c1: ["t-1"], c2: ["t-0"] }, ["t-0"]);
    s.synced("c2", "g", 1, ["t-1"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([]);
  });

  it("does not demand a partition an earlier create of unknown outcome may not have made", () => {
    const s = new Script();
    s.start("admin", {
      kind: "createTopic",
      topic: "t",
      partitions: 1,
      replicationFactor: 1,
      config: {},
    }).unknown();
    s.topic("t", { partitions: 2 });
    s.joined("c1", "g", 1, { leader: "c1", members: [["c1", ["t"]]] });
    s.synced("c1", "g", 1, ["t-0"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([]);
  });

  it("does not demand partitions added after the leader joined", () => {
    const { s } = twoMembers(2);
    s.done("admin", { kind: "addPartitions", topic: "t", totalCount: 4 }, { partitions: 4 });
    s.synced("c1", "g", 1, ["t-0"]);
    s.synced("c2", "g", 1, ["t-1"]);
    expect(exclusiveAssignment.check(s.history)).toEqual([]);
  });
});
