/**
 * Generated observations: a partition whose followers hold prefixes of the leader's log, with the high
 * watermark at most the shortest in-sync log, passes every state invariant; rewriting one entry below
 * the high watermark on an in-sync follower is caught.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Observation } from "../../spec/adapter.ts";
import { checkState } from "../../spec/invariants/index.ts";
import { observation, part } from "./observe.ts";

const healthyArb = fc
  .record({
    // The leader's log: values with non-decreasing epochs.
    values: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 12 }),
    followerLens: fc.tuple(fc.nat(12), fc.nat(12)),
    inIsr: fc.tuple(fc.boolean(), fc.boolean()),
    hwCut: fc.nat(12),
  })
  .map(({ values, followerLens, inIsr, hwCut }) => {
    const epochs = [...values].sort((a, b) => a - b);
    const leaderLog = epochs.map((e, i) => `v${i}@${e}`);
    const lens = followerLens.map((l) => Math.min(l, leaderLog.length));
    const isr = [1, ...[2, 3].filter((_, i) => inIsr[i])];
    const minIsrLen = Math.min(
      leaderLog.length,
      ...[2, 3].filter((_, i) => inIsr[i]).map((b) => lens[b - 2]),
    );
    const hw = Math.min(hwCut, minIsrLen);
    const caches: Array<[number, number]> = [];
    epochs.forEach((e, i) => {
      if (caches.length === 0 || caches[caches.length - 1][0] !== e) caches.push([e, i]);
    });
    const logs = {
      1: leaderLog.join(" "),
      2: leaderLog.slice(0, lens[0]).join(" "),
      3: leaderLog.slice(0, lens[1]).join(" "),
    };
    const p = part({
      leader: 1,
      epoch: epochs[epochs.length - 1],
      isr,
      hw,
      logs,
      epochCaches: { 1: caches },
    });
    for (const r of p.replicaStates)
      r.epochCache = caches.filter(([, start]) => start < Math.max(1, r.logEndOffset));
    return observation({ partitions: [p] });
  });

describe("generated observations", () => {
  it("a consistent partition passes every state invariant, alone and after itself", () => {
    fc.assert(
      fc.property(healthyArb, (o) => {
        expect(checkState(o)).toEqual([]);
        expect(checkState(o, o)).toEqual([]);
      }),
    );
  });

  it("rewriting a committed entry on an in-sync follower is caught", () => {
    fc.assert(
      fc.property(healthyArb, fc.nat(), (o: Observation, pick) => {
        const p = o.partitions[0];
        const followers = p.replicaStates.filter((r) => r.broker !== 1 && p.isr.includes(r.broker));
        fc.pre(followers.length > 0 && p.highWatermark > 0);
        const f = followers[pick % followers.length];
        const entry = f.log[pick % p.highWatermark];
        entry.value = "rewritten";
        const found = checkState(o).map((v) => v.invariant);
        expect(found).toEqual(expect.arrayContaining(["weak-isr", "strong-isr"]));
        if (f.highWatermark > entry.offset) expect(found).toContain("log-matching");
      }),
    );
  });
});
