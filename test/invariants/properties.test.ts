/**
 * Properties over generated histories: a correct cluster's histories pass every history invariant, and
 * corrupting one fetched record of such a history is caught. fast-check prints the seed and the
 * shrunk step list on failure.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { History } from "../../spec/history.ts";
import { checkHistory, unseen } from "../../spec/invariants/index.ts";
import type { OkValues } from "../../spec/operations.ts";
import { runArb, wellBehavedHistory } from "./well-behaved.ts";

const RUNS = 300;

describe("generated histories of a correct cluster", () => {
  it("pass every history invariant", () => {
    fc.assert(
      fc.property(runArb, (steps) => {
        const h = wellBehavedHistory(steps);
        expect(checkHistory(h)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it("are caught once one fetched record that a send acknowledged is rewritten", () => {
    fc.assert(
      fc.property(runArb, fc.nat(), (steps, pick) => {
        const events = JSON.parse(JSON.stringify(wellBehavedHistory(steps).events));
        const acked = new Set<string>();
        for (const e of events) {
          if (e.type === "complete" && e.op.kind === "produce" && e.outcome.status === "ok")
            acked.add(e.op.value);
        }
        // Candidate victims: a record, read by a fetch, whose send was acknowledged.
        const victims: Array<{ value: OkValues["fetch"]; i: number }> = [];
        for (const e of events) {
          if (e.type !== "complete" || e.op.kind !== "fetch" || e.outcome.status !== "ok") continue;
          const v = e.outcome.value as OkValues["fetch"];
          v.records.forEach((r, i) => {
            if (acked.has(r.value)) victims.push({ value: v, i });
          });
        }
        fc.pre(victims.length > 0);
        const victim = victims[pick % victims.length];
        victim.value.records[victim.i].value = "corrupted";
        const found = checkHistory(History.from(events)).map((v) => v.invariant);
        expect(found).toContain("inconsistent-offsets");
      }),
      { numRuns: RUNS },
    );
  });

  it("are caught once a record in the middle of a fetch is dropped", () => {
    fc.assert(
      fc.property(runArb, fc.nat(), (steps, pick) => {
        const events = JSON.parse(JSON.stringify(wellBehavedHistory(steps).events));
        const victims: OkValues["fetch"][] = [];
        for (const e of events) {
          if (e.type === "complete" && e.op.kind === "fetch" && e.outcome.status === "ok") {
            const v = e.outcome.value as OkValues["fetch"];
            if (v.records.length >= 3) victims.push(v);
          }
        }
        fc.pre(victims.length > 0);
        const victim = victims[pick % victims.length];
        victim.records.splice(1 + (pick % (victim.records.length - 2)), 1);
        const found = checkHistory(History.from(events)).map((v) => v.invariant);
        expect(found).toContain("nonmonotonic-poll");
      }),
      { numRuns: RUNS },
    );
  });

  it("report unseen writes as a count, not a violation", () => {
    const h = wellBehavedHistory([
      { kind: "send", client: 0, partition: 0, fate: "ok" },
      { kind: "complete", pick: 0 },
    ]);
    expect(checkHistory(h)).toEqual([]);
    expect(unseen(h)).toEqual({ count: 1, acknowledged: 1, byPartition: { "t-0": 1 }, sample: ["v0"] });
  });
});
