import { describe, expect, it } from "vitest";
import { type GroupEvent, groupMachine, memberOf } from "../../model/group.machine.ts";
import { initial, step } from "../../model/step.ts";
import type { Outcome } from "../../spec/operations.ts";

type Snap = ReturnType<typeof initial<typeof groupMachine>>;
const send = (s: Snap, ...events: GroupEvent[]) => events.reduce((acc, e) => step(groupMachine, acc, e), s);
const fresh = () => initial(groupMachine, { groupId: "g", now: 0, offsetsRetentionMs: 604800000 });

let nextId = 1;
const join = (client: string, topics = ["t"]): GroupEvent => ({
  type: "JOIN",
  id: nextId++,
  client,
  topics,
  assignor: "range",
  sessionTimeoutMs: 10000,
  rebalanceTimeoutMs: 30000,
});
const answer = (s: Snap, id: number): Outcome | undefined =>
  s.context.outbox.find((o) => o.id === id)?.outcome;
const lastId = () => nextId - 1;
const tp = (partition: number) => ({ topic: "t", partition });

describe("group coordinator", () => {
  it("rebalances as 3 members join, then again when one leaves; generations grow, members of a round share one", () => {
    let s = send(fresh(), join("c1"));
    expect(s.value).toBe("CompletingRebalance");
    const g1 = answer(s, lastId());
    expect(g1).toMatchObject({ status: "ok", value: { generation: 1, leader: "c1-1", memberId: "c1-1" } });
    s = send(s, {
      type: "SYNC",
      id: nextId++,
      client: "c1",
      generation: 1,
      assignments: { "c1-1": [tp(0), tp(1), tp(2)] },
    });
    expect(s.value).toBe("Stable");

    // c2 joins: a rebalance starts; c1 learns it from its heartbeat and rejoins.
    s = send(s, join("c2"));
    const c2join = lastId();
    expect(s.value).toBe("PreparingRebalance");
    s = send(s, { type: "HEARTBEAT", id: nextId++, client: "c1", generation: 1 });
    expect(answer(s, lastId())).toEqual({ status: "failed", error: "REBALANCE_IN_PROGRESS" });
    s = send(s, join("c3"));
    const c3join = lastId();
    s = send(s, join("c1"));
    const c1join = lastId();
    expect(s.value).toBe("CompletingRebalance");
    const gens = [c1join, c2join, c3join].map(
      (id) => (answer(s, id) as { value: { generation: number } }).value.generation,
    );
    expect(gens).toEqual([2, 2, 2]);
    const leaderJoin = answer(s, c1join) as { value: { leader: string; members: unknown[] } };
    expect(leaderJoin.value.leader).toBe("c1-1"); // the old leader rejoined, so it leads again
    expect(leaderJoin.value.members).toHaveLength(3);
    expect((answer(s, c2join) as { value: { members: unknown[] } }).value.members).toEqual([]);

    // A follower's sync waits for the leader's, then both get what the leader sent.
    s = send(s, { type: "SYNC", id: nextId++, client: "c2", generation: 2 });
    const c2sync = lastId();
    expect(answer(s, c2sync)).toBeUndefined();
    const assignments = { "c1-1": [tp(0)], "c2-2": [tp(1)], "c3-3": [tp(2)] };
    s = send(s, { type: "SYNC", id: nextId++, client: "c1", generation: 2, assignments });
    expect(s.value).toBe("Stable");
    expect(answer(s, c2sync)).toEqual({ status: "ok", value: { assignment: [tp(1)] } });
    expect(answer(s, lastId())).toEqual({ status: "ok", value: { assignment: [tp(0)] } });

    // c3 leaves: the others rejoin into generation 3.
    s = send(s, { type: "LEAVE", id: nextId++, client: "c3" });
    expect(answer(s, lastId())).toEqual({ status: "ok", value: {} });
    expect(s.value).toBe("PreparingRebalance");
    s = send(s, join("c1"), join("c2"));
    expect(s.value).toBe("CompletingRebalance");
    expect(s.context.generation).toBe(3);
    expect(Object.keys(s.context.members).sort()).toEqual(["c1-1", "c2-2"]);
  });

  it("fences commits and heartbeats from an old generation, and unknown members", () => {
    let s = send(fresh(), join("c1"));
    s = send(s, {
      type: "SYNC",
      id: nextId++,
      client: "c1",
      generation: 1,
      assignments: { "c1-1": [tp(0)] },
    });
    s = send(s, join("c2"), join("c1"));
    s = send(s, { type: "SYNC", id: nextId++, client: "c1", generation: 2, assignments: {} });
    expect(s.value).toBe("Stable");
    s = send(s, {
      type: "COMMIT",
      id: nextId++,
      client: "c1",
      generation: 1,
      offsets: [{ ...tp(0), offset: 5 }],
    });
    expect(answer(s, lastId())).toEqual({ status: "failed", error: "ILLEGAL_GENERATION" });
    expect(s.context.offsets).toEqual({});
    s = send(s, { type: "HEARTBEAT", id: nextId++, client: "c2", generation: 1 });
    expect(answer(s, lastId())).toEqual({ status: "failed", error: "ILLEGAL_GENERATION" });
    s = send(s, { type: "COMMIT", id: nextId++, client: "zz", generation: 2, offsets: [] });
    expect(answer(s, lastId())).toEqual({ status: "failed", error: "UNKNOWN_MEMBER_ID" });
    s = send(s, {
      type: "COMMIT",
      id: nextId++,
      client: "c1",
      generation: 2,
      offsets: [{ ...tp(0), offset: 5 }],
    });
    expect(answer(s, lastId())).toEqual({ status: "ok", value: {} });
    expect(Object.values(s.context.offsets)).toEqual([5]);
  });

  it("takes a commit without generation only while the group is Empty", () => {
    let s = send(fresh(), {
      type: "COMMIT",
      id: nextId++,
      client: "",
      generation: -1,
      offsets: [{ ...tp(0), offset: 3 }],
    });
    expect(answer(s, lastId())).toEqual({ status: "ok", value: {} });
    s = send(s, join("c1"));
    s = send(s, {
      type: "COMMIT",
      id: nextId++,
      client: "",
      generation: -1,
      offsets: [{ ...tp(0), offset: 4 }],
    });
    expect(answer(s, lastId())?.status).toBe("failed");
    expect(Object.values(s.context.offsets)).toEqual([3]);
  });

  it("drops a member silent past its session timeout, and one that does not rejoin within the rebalance timeout", () => {
    let s = send(fresh(), join("c1"), join("c2"));
    expect(s.value).toBe("PreparingRebalance");
    // c1 keeps heart-beating (each answered REBALANCE_IN_PROGRESS, each keeping its session) but never
    // rejoins; at the rebalance timeout the join phase completes with c2 alone.
    for (const now of [9000, 18000, 27000]) {
      s = send(s, { type: "TICK", now }, { type: "HEARTBEAT", id: nextId++, client: "c1", generation: 1 });
      expect(answer(s, lastId())).toEqual({ status: "failed", error: "REBALANCE_IN_PROGRESS" });
    }
    s = send(s, { type: "TICK", now: 29999 });
    expect(s.value).toBe("PreparingRebalance");
    s = send(s, { type: "TICK", now: 30000 });
    expect(s.value).toBe("CompletingRebalance");
    expect(Object.keys(s.context.members)).toEqual(["c2-2"]);
    expect(s.context.generation).toBe(2);
    // c2 falls silent: session timeout empties the group.
    s = send(s, { type: "TICK", now: 39999 });
    expect(s.value).toBe("CompletingRebalance");
    s = send(s, { type: "TICK", now: 40000 });
    expect(s.value).toBe("Empty");
    expect(s.context.generation).toBe(3);
    expect(memberOf(s.context, "c2")).toBeUndefined();
  });

  it("goes Dead when unloaded or when an Empty group's offsets expire", () => {
    expect(send(fresh(), { type: "UNLOAD" }).value).toBe("Dead");
    expect(send(fresh(), { type: "TICK", now: 604800000 }).value).toBe("Dead");
  });
});
