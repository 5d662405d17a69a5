/**
 * The checker must discriminate, not just accept: histories the model produced are accepted, and the same
 * histories with one outcome made forbidden are rejected at that outcome.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import type { ClientOp, Fault, Operation, Outcome } from "../../spec/operations.ts";
import { walk } from "./walk.ts";

type Completion = { op: Operation; outcome: Outcome };

/** Replays completions into a fresh checker; returns the verdict of the last one. */
function replay(brokers: number, seed: number, config: Record<string, number>, completions: Completion[]) {
  const c = new ClusterModel();
  c.begin({ brokers, seed, config });
  let last: ReturnType<ClusterModel["check"]> = { ok: true };
  for (const x of completions) last = c.check(x.op as ClientOp | Fault, x.outcome);
  return last;
}

/** One forbidden variant of an allowed outcome, if this completion has one. */
function mutate(x: Completion): Completion | null {
  const { op, outcome } = x;
  if (outcome.status !== "ok") return null;
  if (op.kind === "produce" && op.key !== null && op.partitioner.kind === "murmur2" && op.acks !== 0) {
    // No partition count the topic can have had reaches 999, so murmur2 never lands there.
    return {
      op,
      outcome: { status: "ok", value: { ...(outcome.value as object), partition: 999 } } as Outcome,
    };
  }
  if (op.kind === "fetch") {
    const v = outcome.value as { records: Array<{ offset: number }>; highWatermark: number };
    if (v.records.length < 2) return null;
    const records = [...v.records];
    records.splice(1, 1); // drop one record from the middle: a gap
    return { op, outcome: { status: "ok", value: { ...v, records } } as Outcome };
  }
  return null;
}

describe("checker discrimination on the model's own histories", () => {
  it("accepts each history and rejects it with one outcome made forbidden", async () => {
    let mutations = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), fc.nat(), async (seed, pick) => {
        const r = await walk(seed, 120);
        expect(r.rejections).toEqual([]);
        const candidates = r.completions.map((x, i) => ({ i, m: mutate(x) })).filter((c) => c.m !== null);
        if (candidates.length === 0) return;
        const { i, m } = candidates[pick % candidates.length];
        const config = r.setup.config as Record<string, number>;
        // The history as it happened is accepted; with the outcome at i made forbidden, it is rejected there.
        expect(replay(r.setup.brokers, seed, config, r.completions.slice(0, i + 1)).ok).toBe(true);
        const verdict = replay(r.setup.brokers, seed, config, [
          ...r.completions.slice(0, i),
          m as Completion,
        ]);
        mutations++;
        expect(verdict.ok, `mutated ${JSON.stringify(m)}`).toBe(false);
        // A topic created twice with success is forbidden too.
        const created = r.completions.findIndex(
          (x) => x.op.kind === "createTopic" && x.outcome.status === "ok",
        );
        if (created >= 0) {
          const twice = [...r.completions.slice(0, created + 1), r.completions[created]];
          expect(replay(r.setup.brokers, seed, config, twice).ok).toBe(false);
        }
      }),
      { numRuns: 25, seed: 424242 },
    );
    expect(mutations).toBeGreaterThan(10);
  });
});
