/**
 * Parallel checks (spec/jobs.ts): how runs are split and seeds derived, how worker results merge, and,
 * through real worker threads, that a parallel check is exactly its workers' shares run one by one and
 * that a failure a worker finds replays with one job from the seed and token it reports.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { TARGETS } from "../../cli/targets.ts";
import { SEEDED_FAULTS } from "../../impl/faults/catalog.ts";
import {
  huntSeededFaultsJobs,
  type JobCheckOptions,
  mergeResults,
  runCheckJobs,
  splitRuns,
  type TargetRef,
  workerSeed,
} from "../../spec/jobs.ts";
import { type CheckResult, emptyStats } from "../../spec/report/types.ts";
import { loadReferenceSuite, runCheck } from "../../spec/runner.ts";

const targetRef = (target: string): TargetRef => ({
  module: new URL("../../cli/commands/check.ts", import.meta.url).href,
  export: "loadTargetFactory",
  arg: { target, options: { brokers: 3 } },
});

describe("splitRuns", () => {
  it("shares sum to the runs, differ by at most one, and none is empty", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 64 }), (runs, jobs) => {
        const shares = splitRuns(runs, jobs);
        expect(shares.reduce((a, b) => a + b, 0)).toBe(runs);
        expect(shares.length).toBe(Math.min(runs, jobs));
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
        expect(shares.every((s) => s >= 1)).toBe(true);
      }),
    );
    expect(splitRuns(5, 2)).toEqual([3, 2]);
    expect(splitRuns(1, 4)).toEqual([1]);
  });
});

describe("workerSeed", () => {
  it("worker 0 runs --seed itself; the others get distinct, deterministic signed 32-bit seeds", () => {
    fc.assert(
      fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (seed) => {
        expect(workerSeed(seed, 0)).toBe(seed);
        const seeds = Array.from({ length: 16 }, (_, i) => workerSeed(seed, i));
        expect(new Set(seeds).size).toBe(16);
        expect(Array.from({ length: 16 }, (_, i) => workerSeed(seed, i))).toEqual(seeds);
        for (const s of seeds) expect(Number.isInteger(s) && s >= -0x80000000 && s <= 0x7fffffff).toBe(true);
      }),
    );
    // Pinned: a printed seed must mean the same workload in every later version.
    expect([1, 2, 3].map((i) => workerSeed(1, i))).toEqual([920564995, 314344336, 697614773]);
  });
});

describe("mergeResults", () => {
  const part = (index: number, runs: number, ops: number, extra: Partial<CheckResult> = {}) => {
    const stats = { ...emptyStats(), runs, operations: ops, operationsByKind: { produce: ops } };
    const result: CheckResult = {
      ok: true,
      target: "model",
      seed: index,
      brokers: 3,
      faultKinds: [],
      seededFaults: [],
      interrupted: false,
      stats,
      ...extra,
    };
    return { index, seed: index * 10, share: runs, result };
  };

  it("sums the counters, rates them by the caller's wall time and lists each job", () => {
    const merged = mergeResults([part(0, 3, 30), part(1, 2, 20)], { seed: 7, elapsedMs: 1000 });
    expect(merged.ok).toBe(true);
    expect(merged.seed).toBe(7);
    expect(merged.stats.runs).toBe(5);
    expect(merged.stats.operations).toBe(50);
    expect(merged.stats.operationsByKind).toEqual({ produce: 50 });
    expect(merged.stats.opsPerSecond).toBe(50);
    expect(merged.jobs?.map((j) => [j.index, j.seed, j.runs])).toEqual([
      [0, 0, 3],
      [1, 10, 2],
    ]);
  });

  it("reports the failure found first, and a stopped worker does not make the check 'interrupted'", () => {
    const failure = (seed: number) => ({
      seed,
      replay: "1:0",
      runSeed: 1,
      originalOperations: 1,
      shrinks: 0,
      operations: [],
      findings: [],
      excerpt: [],
      history: [],
    });
    const a = { ...part(0, 3, 30, { ok: false, failure: failure(0) }), failedAt: 1 };
    const b = { ...part(1, 2, 20, { ok: false, failure: failure(10) }), failedAt: 0 };
    const c = part(2, 1, 5, { interrupted: true });
    const merged = mergeResults([a, b, c], { seed: 0, elapsedMs: 10, timeToFailureMs: 4 });
    expect(merged.ok).toBe(false);
    expect(merged.failure?.seed).toBe(10);
    expect(merged.timeToFailureMs).toBe(4);
    expect(merged.interrupted).toBe(false);
    expect(mergeResults([part(0, 1, 1), c], { seed: 0, elapsedMs: 10 }).interrupted).toBe(true);
  });
});

describe("runCheckJobs (worker threads)", () => {
  const options: JobCheckOptions = {
    runs: 30,
    opsPerRun: 20,
    seed: 5,
    faults: ["crash", "restart", "time"],
    brokers: 3,
  };

  it("a parallel check is its workers' shares, each run alone with the worker's seed", async () => {
    const suite = await loadReferenceSuite();
    const factory = await TARGETS.model.load({ brokers: 3 });
    // Job 0 on this thread (as the CLI runs it), job 1 on a worker thread.
    const merged = await runCheckJobs(
      { target: targetRef("model"), jobs: 2, local: { ...suite, target: factory } },
      options,
    );
    expect(merged.ok).toBe(true);
    expect(merged.stats.runs).toBe(30);
    expect(merged.jobs?.map((j) => [j.seed, j.share, j.runs])).toEqual([
      [5, 15, 15],
      [workerSeed(5, 1), 15, 15],
    ]);
    let operations = 0;
    let faults = 0;
    for (const j of merged.jobs ?? []) {
      const alone = await runCheck({ ...suite, ...options, target: factory, runs: j.share, seed: j.seed });
      operations += alone.stats.operations;
      faults += alone.stats.faults;
    }
    expect(merged.stats.operations).toBe(operations);
    expect(merged.stats.faults).toBe(faults);
  }, 60_000);

  it("a failure found by a worker stops the others and replays with one job from its seed and token", async () => {
    const merged = await runCheckJobs(
      { target: targetRef("embedded"), jobs: 2 },
      { ...options, faults: [], runs: 400, seededFaults: ["double-assignment"] },
    );
    expect(merged.ok).toBe(false);
    const f = merged.failure!;
    expect(merged.jobs?.map((j) => j.seed)).toContain(f.seed);
    expect(merged.timeToFailureMs).toBeGreaterThan(0);
    // The other worker stopped early instead of running its whole share.
    expect(merged.stats.runs).toBeLessThan(400);
    const suite = await loadReferenceSuite();
    const factory = await TARGETS.embedded.load({ brokers: 3 });
    const replayed = await runCheck({
      ...suite,
      ...options,
      faults: [],
      seededFaults: ["double-assignment"],
      target: factory,
      runs: 1,
      seed: f.seed,
      replay: f.replay,
    });
    expect(replayed.ok).toBe(false);
    expect(replayed.failure?.operations).toEqual(f.operations);
    expect(replayed.failure?.findings.map((x) => x.invariant)).toEqual(f.findings.map((x) => x.invariant));
  }, 60_000);

  it("hunts seeded faults side by side and returns them in catalog order", async () => {
    const names = ["double-assignment", "commit-old-generation"];
    const seen: string[] = [];
    const results = await huntSeededFaultsJobs(
      {
        target: targetRef("embedded"),
        jobs: 2,
        catalog: {
          module: new URL("../../impl/faults/catalog.ts", import.meta.url).href,
          export: "SEEDED_FAULTS",
        },
      },
      names,
      { ...options, runs: 2000 },
      { runs: 2000, timeMs: 5_000 },
      (r) => seen.push(r.name),
    );
    expect(results.map((r) => r.name)).toEqual(names);
    expect([...seen].sort()).toEqual([...names].sort());
    expect(results[0].description).toBe(SEEDED_FAULTS.find((e) => e.name === names[0])?.description);
    expect(results[0].caught).toBe(true);
  }, 60_000);
});
