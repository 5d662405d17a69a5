/** The registry: what the runner imports. */
import { describe, expect, it } from "vitest";
import {
  checkHistory,
  checkState,
  HISTORY_INVARIANTS,
  STATE_INVARIANTS,
  unseen,
} from "../../spec/invariants/index.ts";
import { observation, part } from "./observe.ts";
import { Script } from "./script.ts";

describe("the invariant registry", () => {
  it("names every checker once, each with a description", () => {
    const names = [...HISTORY_INVARIANTS, ...STATE_INVARIANTS].map((i) => i.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toHaveLength(24);
    for (const i of [...HISTORY_INVARIANTS, ...STATE_INVARIANTS])
      expect(i.description.length).toBeGreaterThan(20);
  });

  it("checkHistory reports every broken invariant, and only the named ones when asked", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 0);
    s.polled("c1", "t", 0, 0, "0=b 1=b", { hw: 1 });
    const all = checkHistory(s.history).map((v) => v.invariant);
    expect(all).toEqual(["inconsistent-offsets", "duplicate", "lost-write", "fetch-within-log"]);
    expect(checkHistory(s.history, ["duplicate"]).map((v) => v.invariant)).toEqual(["duplicate"]);
  });

  it("checkState passes `previous` on to the invariants about change", () => {
    const a = observation({ controller: { broker: 1, epoch: 2 } });
    const b = observation({ controller: { broker: 1, epoch: 1 } });
    expect(checkState(b).map((v) => v.invariant)).toEqual([]);
    expect(checkState(b, a).map((v) => v.invariant)).toEqual(["controller-epoch-monotonic"]);
    const lost = observation({
      partitions: [part({ leader: 1, isr: [1, 2], hw: 2, logs: { 1: "a b", 2: "a" } })],
    });
    expect(checkState(lost, undefined, ["valid-high-watermark"]).map((v) => v.invariant)).toEqual([
      "valid-high-watermark",
    ]);
  });

  it("re-indexes a history that grew since it was last checked", () => {
    const s = new Script();
    s.topic("t");
    s.sent("p1", "t", 0, "a", 0);
    expect(checkHistory(s.history)).toEqual([]);
    s.polled("c1", "t", 0, 0, "0=a 1=a");
    expect(checkHistory(s.history).map((v) => v.invariant)).toContain("duplicate");
  });

  it("counts unseen writes per partition, with a sample", () => {
    const s = new Script();
    s.topic("t", { partitions: 2 });
    s.sent("p1", "t", 0, "a", 0);
    s.sent("p1", "t", 0, "b", 1);
    s.sent("p1", "t", 1, "c", 0);
    s.polled("c1", "t", 0, 0, "0=a");
    expect(unseen(s.history, 1)).toEqual({
      count: 2,
      acknowledged: 3,
      byPartition: { "t-0": 1, "t-1": 1 },
      sample: ["b"],
    });
  });
});
