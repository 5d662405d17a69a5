import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ASSIGNORS,
  type Assignment,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
} from "../../model/assignors.ts";
import type { Assignor } from "../../spec/operations.ts";

const TOPICS = ["t0", "t1", "t2"];

const groupArb = fc.record({
  partitions: fc.record({
    t0: fc.integer({ min: 0, max: 12 }),
    t1: fc.integer({ min: 0, max: 12 }),
    t2: fc.integer({ min: 0, max: 12 }),
  }),
  members: fc.uniqueArray(
    fc.record({
      memberId: fc.stringMatching(/^m[0-9a-f]{1,3}$/),
      topics: fc.subarray(TOPICS, { minLength: 1 }),
    }),
    { minLength: 1, maxLength: 7, selector: (m) => m.memberId },
  ),
});

function owners(a: Assignment) {
  const seen = new Map<string, string[]>();
  for (const [member, tps] of Object.entries(a))
    for (const tp of tps) {
      const k = `${tp.topic}-${tp.partition}`;
      seen.set(k, [...(seen.get(k) ?? []), member]);
    }
  return seen;
}

describe.each(["range", "roundrobin", "sticky"] as Assignor[])("%s assignor", (name) => {
  it("assigns every subscribed partition to exactly one member that subscribes to its topic", () => {
    fc.assert(
      fc.property(groupArb, ({ partitions, members }) => {
        const a = ASSIGNORS[name](members, partitions);
        const own = owners(a);
        for (const topic of TOPICS) {
          const subscribed = members.filter((m) => m.topics.includes(topic));
          for (let p = 0; p < partitions[topic as keyof typeof partitions]; p++) {
            const o = own.get(`${topic}-${p}`) ?? [];
            if (subscribed.length === 0) expect(o).toEqual([]);
            else {
              expect(o).toHaveLength(1);
              expect(subscribed.map((m) => m.memberId)).toContain(o[0]);
            }
          }
        }
        expect(Object.keys(a).sort()).toEqual(members.map((m) => m.memberId).sort());
      }),
    );
  });

  it("is deterministic and independent of member order", () => {
    fc.assert(
      fc.property(groupArb, ({ partitions, members }) => {
        const a = ASSIGNORS[name](members, partitions);
        const b = ASSIGNORS[name]([...members].reverse(), partitions);
        expect(b).toEqual(a);
      }),
    );
  });
});

describe("balance", () => {
  it("roundrobin and sticky are balanced within 1 when every member subscribes to the same topics", () => {
    fc.assert(
      fc.property(groupArb, ({ partitions, members }) => {
        const same = members.map((m) => ({ memberId: m.memberId, topics: TOPICS }));
        for (const fn of [roundRobinAssignor, stickyAssignor]) {
          const counts = Object.values(fn(same, partitions)).map((l) => l.length);
          expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        }
      }),
    );
  });
});

describe("known assignments (Kafka's assignor docs)", () => {
  const members = [
    { memberId: "C0", topics: ["t0", "t1"] },
    { memberId: "C1", topics: ["t0", "t1"] },
  ];
  const tp = (topic: string, partition: number) => ({ topic, partition });

  it("range: consecutive ranges per topic, the first consumers take the extra partition", () => {
    expect(rangeAssignor(members, { t0: 3, t1: 3 })).toEqual({
      C0: [tp("t0", 0), tp("t0", 1), tp("t1", 0), tp("t1", 1)],
      C1: [tp("t0", 2), tp("t1", 2)],
    });
  });

  it("roundrobin: partitions dealt in turn across topics", () => {
    expect(roundRobinAssignor(members, { t0: 3, t1: 3 })).toEqual({
      C0: [tp("t0", 0), tp("t0", 2), tp("t1", 1)],
      C1: [tp("t0", 1), tp("t1", 0), tp("t1", 2)],
    });
  });

  it("sticky: when a member leaves, the others keep what they had", () => {
    const three = [
      { memberId: "C0", topics: ["t0"] },
      { memberId: "C1", topics: ["t0"] },
      { memberId: "C2", topics: ["t0"] },
    ];
    const before = stickyAssignor(three, { t0: 6 });
    const after = stickyAssignor(three.slice(0, 2), { t0: 6 }, before);
    for (const m of ["C0", "C1"]) for (const p of before[m]) expect(after[m]).toContainEqual(p);
    expect(after.C0.length + after.C1.length).toBe(6);
  });

  it("sticky keeps previous ownership under random changes as long as balance allows", () => {
    fc.assert(
      fc.property(groupArb, fc.integer({ min: 0, max: 6 }), ({ partitions, members }, drop) => {
        const same = members.map((m) => ({ memberId: m.memberId, topics: TOPICS }));
        const before = stickyAssignor(same, partitions);
        const rest = same.filter((_, i) => i !== drop % same.length);
        if (rest.length === 0) return;
        const after = stickyAssignor(rest, partitions, before);
        const total = Object.values(partitions).reduce((a, b) => a + b, 0);
        const cap = Math.ceil(total / rest.length);
        for (const m of rest) {
          const kept = before[m.memberId].filter((x) =>
            after[m.memberId].some((y) => y.topic === x.topic && y.partition === x.partition),
          );
          expect(kept.length).toBeGreaterThanOrEqual(Math.min(before[m.memberId].length, cap) - 1);
        }
      }),
    );
  });
});
