/**
 * The runner against the reference model: the model, checked by a second instance of itself and every
 * invariant, passes; the model behind the offset-reuse double fails, shrinks and replays. Kept small:
 * the model is the slow part of a run.
 */
import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/index.ts";
import { loadReferenceSuite, type RunCheckOptions, runCheck } from "../../spec/runner.ts";
import { offsetReuse } from "../doubles/offset-reuse.ts";

describe("runCheck on the model target", async () => {
  const suite = await loadReferenceSuite();
  const base: RunCheckOptions = {
    ...suite,
    target: () => new ClusterModel(),
    runs: 8,
    opsPerRun: 25,
    seed: 11,
    brokers: 3,
    faults: ["crash", "restart", "isolate", "session", "time"],
  };

  it("passes, with every state and history invariant checked", async () => {
    const result = await runCheck(base);
    expect(result.failure?.findings).toBeUndefined();
    expect(result.ok).toBe(true);
    for (const inv of [...suite.invariants.history, ...suite.invariants.state])
      expect(result.stats.invariantChecks[inv.name], inv.name).toBeGreaterThan(0);
    expect(result.stats.operations).toBeGreaterThan(20);
  });

  it("catches the offset-reuse double around the model, shrinks it and replays it", async () => {
    const broken = {
      ...base,
      runs: 30,
      opsPerRun: 20,
      faults: [],
      target: () => offsetReuse(new ClusterModel(), 2),
    };
    const result = await runCheck(broken);
    expect(result.ok).toBe(false);
    const f = result.failure!;
    expect(f.operations.length).toBeLessThan(f.originalOperations);
    expect(f.operations.filter((l) => l.includes("produce")).length).toBeLessThanOrEqual(3);
    const again = await runCheck({ ...broken, seed: f.seed, replay: f.replay });
    expect(again.failure?.operations).toEqual(f.operations);
    expect(again.failure?.findings).toEqual(f.findings);
  });
});
