/**
 * Each seeded fault changes behaviour exactly where it says, and only when switched on.
 */
import { describe, expect, it } from "vitest";
import { assignedTopicPartitions, decodeAssignment } from "../../impl/group/consumer-protocol.ts";
import { GROUP_SEEDED_FAULTS, GroupFaults } from "../../impl/group/seeded.ts";
import { Driver, roundRobin } from "./driver.ts";

const G = "g";

function joinAll(d: Driver, ids: string[]) {
  const joins = ids.map((id, i) => d.join(G, id, { clientId: `c${i}` }));
  d.runUntil(() => joins.every((j) => d.response(j, "JoinGroup") !== undefined));
  return joins.map((j) => d.answered(j, "JoinGroup"));
}

/** Everyone syncs; the leader assigns `partitions` partitions of "t" round-robin. */
function syncAll(d: Driver, results: ReturnType<typeof joinAll>, partitions: number) {
  const leader = results.find((r) => r.memberId === r.leader);
  if (!leader) throw new Error("no leader");
  const followers = results
    .filter((r) => r !== leader)
    .map((r) => [r.memberId, d.sync(G, r.memberId, r.generationId)] as const);
  const l = [
    leader.memberId,
    d.sync(G, leader.memberId, leader.generationId, roundRobin(leader.members, "t", partitions)),
  ] as const;
  return new Map(
    [...followers, l].map(([id, rid]) => {
      const r = d.answered(rid, "SyncGroup");
      expect(r.error).toBe("NONE");
      return [id, assignedTopicPartitions(decodeAssignment(r.assignment)).map((tp) => tp.partition)];
    }),
  );
}

/** Generation 1 with members A and B; B leaves; A alone forms generation 2. */
function twoGenerations(d: Driver) {
  const g1 = joinAll(d, ["", ""]);
  const owned1 = syncAll(d, g1, 4);
  const [a, b] = [g1[0].memberId, g1[1].memberId];
  return { a, b, owned1, g1: g1[0].generationId };
}

describe("seeded faults of the group coordinator", () => {
  it("knows exactly its three names and ignores the others", () => {
    expect([...GROUP_SEEDED_FAULTS].sort()).toEqual([
      "commit-old-generation",
      "double-assignment",
      "stale-syncgroup",
    ]);
    expect(new GroupFaults(["stale-syncgroup", "kip-101", "double-assignment"]).active.sort()).toEqual([
      "double-assignment",
      "stale-syncgroup",
    ]);
  });

  for (const on of [false, true]) {
    it(`commit-old-generation ${on ? "on: a zombie's commit is accepted" : "off: a zombie's commit is fenced"}`, () => {
      const d = new Driver({ seededFaults: on ? ["commit-old-generation"] : [] });
      const { a, b, g1 } = twoGenerations(d);
      d.answered(d.leave(G, [b]), "LeaveGroup");
      const [r2] = joinAll(d, [a]);
      syncAll(d, [r2], 4);
      expect(r2.generationId).toBe(g1 + 1);
      const zombie = d.answered(
        d.commit(G, b, g1, [{ topic: "t", partition: 1, offset: 50 }]),
        "OffsetCommit",
      );
      const stale = d.answered(
        d.commit(G, a, g1, [{ topic: "t", partition: 2, offset: 60 }]),
        "OffsetCommit",
      );
      expect(zombie.topics[0].partitions[0].error).toBe(on ? "NONE" : "UNKNOWN_MEMBER_ID");
      expect(stale.topics[0].partitions[0].error).toBe(on ? "NONE" : "ILLEGAL_GENERATION");
      expect(d.committed(G, "t", 1)).toBe(on ? 50 : -1);
      expect(d.committed(G, "t", 2)).toBe(on ? 60 : -1);
      // Current-generation fencing is unchanged either way.
      const current = d.commit(G, "ghost", r2.generationId, [{ topic: "t", partition: 0, offset: 1 }]);
      expect(d.answered(current, "OffsetCommit").topics[0].partitions[0].error).toBe("UNKNOWN_MEMBER_ID");
      const future = d.commit(G, a, r2.generationId + 1, [{ topic: "t", partition: 0, offset: 1 }]);
      expect(d.answered(future, "OffsetCommit").topics[0].partitions[0].error).toBe("ILLEGAL_GENERATION");
    });

    it(`stale-syncgroup ${on ? "on: a dropped member's old SyncGroup gets its old partitions" : "off: it is refused"}`, () => {
      const d = new Driver({ seededFaults: on ? ["stale-syncgroup"] : [] });
      const { a, b, owned1, g1 } = twoGenerations(d);
      // B goes silent and is expired; A rejoins and takes every partition in generation 2.
      for (let t = 0; t < 11; t++) {
        d.advanceByDeadlines(1000);
        d.heartbeat(G, a, g1);
      }
      expect(d.coord.inspect(G)?.members.map((m) => m.memberId)).toEqual([a]);
      const [r2] = joinAll(d, [a]);
      const owned2 = syncAll(d, [r2], 4);
      expect(owned2.get(a)).toEqual([0, 1, 2, 3]);
      // The late member finally sends its SyncGroup for generation 1.
      const late = d.answered(d.sync(G, b, g1), "SyncGroup");
      if (on) {
        expect(late.error).toBe("NONE");
        const stolen = assignedTopicPartitions(decodeAssignment(late.assignment)).map((tp) => tp.partition);
        expect(stolen).toEqual(owned1.get(b));
        expect(stolen.length).toBeGreaterThan(0);
      } else {
        expect(late).toMatchObject({ error: "UNKNOWN_MEMBER_ID", assignment: Buffer.alloc(0) });
      }
      // A current member naming an old generation: refused when off, its old assignment when on.
      const again = d.answered(d.sync(G, a, g1), "SyncGroup");
      expect(again.error).toBe(on ? "NONE" : "ILLEGAL_GENERATION");
    });

    it(`double-assignment ${on ? "on: one partition goes to two members" : "off: assignments stay exclusive"}`, () => {
      const d = new Driver({ seededFaults: on ? ["double-assignment"] : [] });
      const owned = syncAll(d, joinAll(d, ["", "", ""]), 6);
      const all = [...owned.values()].flat().sort((x, y) => x - y);
      if (on) {
        expect(all).toHaveLength(7);
        expect(new Set(all).size).toBe(6);
      } else {
        expect(all).toEqual([0, 1, 2, 3, 4, 5]);
      }
      // The white-box observation shows the duplicate too: the state invariant can see it.
      const observed = d.coord.observe()[0].members.flatMap((m) => m.assignment.map((tp) => tp.partition));
      expect(observed).toHaveLength(on ? 7 : 6);
    });
  }

  it("double-assignment leaves a single-member group alone", () => {
    const d = new Driver({ seededFaults: ["double-assignment"] });
    const owned = syncAll(d, joinAll(d, [""]), 3);
    expect([...owned.values()]).toEqual([[0, 1, 2]]);
  });
});
