/**
 * False alarms the long conformance sweeps found in the model checker, replayed against the embedded target
 * from the failure report's seed and replay token. Each case failed before its checker fix and must pass now;
 * the replayed case must still contain the operations that made it fail, so a drifting generator shows up
 * here instead of passing silently.
 */
import { describe, expect, it } from "vitest";
import { createEmbeddedTarget } from "../../impl/embedded/index.ts";
import { loadReferenceSuite, type RunCheckOptions, runCheck } from "../../spec/runner.ts";

describe("model sweeps against the embedded target: replayed false alarms", async () => {
  const suite = await loadReferenceSuite();
  const base: RunCheckOptions = {
    ...suite,
    target: () => createEmbeddedTarget(),
    runs: 1,
    opsPerRun: 50,
    seed: 7,
    brokers: 3,
    faults: ["crash", "restart", "isolate", "session", "time"],
  };

  it("seed 7: a follower of stored generation 2 gets it back after joining unstored generation 3 and a session expiry", async () => {
    // check --target embedded --runs 2000 --seed 7 (before the fix: "joinGroup c4 got generation 2, not greater
    // than the group's previous generation 2"; docs/model.md, "A known follower rejoining a reloaded group").
    const result = await runCheck({
      ...base,
      replay:
        "386:0:0:2:2:13:0:9:12:13:19:23:30:31:28:29:28:25:25:25:25:25:25:25:25:25:25:25:27:26:30:30:30@CBBAAAACABACAABCCACBABBKAA/L/GA////q:qqqqy+",
    });
    expect(result.failure?.findings).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.stats.faultsByKind.expireSession ?? 0).toBeGreaterThan(0);
    expect(result.stats.faultsByKind.isolate ?? 0).toBeGreaterThan(0);
    expect(result.stats.operationsByKind.joinGroup ?? 0).toBeGreaterThanOrEqual(8);
  });
});
