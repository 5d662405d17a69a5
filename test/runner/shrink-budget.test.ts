/**
 * The shrink budget (--shrink-time, RunCheckOptions.shrinkTimeMs): on a real cluster every shrink step
 * starts a fresh cluster, so shrinking stops when its time is spent and the report says the case is the
 * smallest found in that time. Its token must name the last failing case found (not the last one tried):
 * it replays, fails again, with the same fingerprint. A seeded-fault hunt's fault-off control replays that
 * same case. The embedded target stands in for the real ones: one of its seeded faults shrinks in over a
 * hundred steps (6-15 s), far more than the budget given here.
 */
import { describe, expect, it } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { checkCommand, parseCheckArgs, SHRINK_TIME_REAL_S } from "../../cli/commands/check.ts";
import { bufferIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";
import type { TargetEntry } from "../../cli/targets.ts";
import { createEmbeddedTarget } from "../../impl/embedded/index.ts";
import { SEEDED_FAULTS } from "../../impl/faults/catalog.ts";
import { parseReplay } from "../../spec/replay-token.ts";
import { formatResult } from "../../spec/report/format.ts";
import { huntSeededFaults, loadReferenceSuite, type RunCheckOptions, runCheck } from "../../spec/runner.ts";
import { offsetReuse } from "../doubles/offset-reuse.ts";
import { ToyChecker, toyAssign, toyInvariants } from "../doubles/toy-checks.ts";
import { TOY_DEPS } from "../doubles/toy-cli.ts";
import { ToyTarget } from "../doubles/toy-target.ts";

const BUDGET_MS = 1_000;

async function embeddedBase(seed: number): Promise<RunCheckOptions> {
  const suite = await loadReferenceSuite();
  return {
    target: () => createEmbeddedTarget(),
    checker: suite.checker,
    invariants: suite.invariants,
    assign: suite.assign,
    customPartitioners: suite.customPartitioners,
    runs: 1,
    opsPerRun: 50,
    seed,
    faults: [],
    brokers: 3,
  };
}

const toyBroken: RunCheckOptions = {
  target: () => offsetReuse(new ToyTarget(), 3),
  checker: () => new ToyChecker(),
  invariants: toyInvariants,
  assign: toyAssign,
  runs: 40,
  opsPerRun: 60,
  seed: 7,
  faults: ["crash", "restart", "time"],
  brokers: 3,
};

describe("a failure shrinks within its budget and says so", () => {
  it("a seeded-fault hunt cut short: smallest case found, its token replays and fails, the control ran on it", async () => {
    const entry = SEEDED_FAULTS.find((e) => e.name === "kip-279-divergence")!;
    const base = { ...(await embeddedBase(2)), shrinkTimeMs: BUDGET_MS };
    const [h] = await huntSeededFaults([entry], base, { runs: 500, timeMs: 30_000 });
    // Caught means the fault-off control replayed the reported token and passed: the token walked.
    expect({ caught: h.caught, failsWithoutFault: h.failsWithoutFault }).toEqual({
      caught: true,
      failsWithoutFault: false,
    });
    const f = h.result.failure!;
    expect(f.shrinking).toBe("budget");
    expect(f.shrinkMs).toBeGreaterThanOrEqual(BUDGET_MS);
    // Stopped between runs: at most one run past the budget (a run here takes tens of ms; the full
    // shrink, 123 steps, takes 6-15 s).
    expect(f.shrinkMs).toBeLessThan(BUDGET_MS + 2_000);
    expect(h.result.interrupted).toBe(false);
    expect(f.operations.length).toBeLessThanOrEqual(f.originalOperations);
    const text = formatResult(h.result, "kafkaspec check ...");
    expect(text).toMatch(
      /counterexample: \d+ operations \(the smallest failing case found in the shrink budget \([\d.]+ s of shrinking, from \d+ in \d+ steps; shrinking stopped, maybe not minimal\)\)/,
    );
    expect(text).not.toMatch(/\(shrunk from/);
    expect(text).toContain("operations (smallest found):");

    // The token names the last failing case: it replays (fingerprint checked) and fails the same way.
    const again = await runCheck({
      ...(await embeddedBase(f.seed)),
      faults: entry.faults,
      ...(entry.profile !== undefined ? { profile: entry.profile } : {}),
      seededFaults: [entry.name],
      replay: f.replay,
    });
    expect(again.ok).toBe(false);
    expect(again.replayedFingerprint).toBe(parseReplay(f.replay).fingerprint);
    expect(again.failure?.operations).toEqual(f.operations);
    expect(again.failure?.findings.map((x) => x.invariant)).toEqual(f.findings.map((x) => x.invariant));
    expect(again.failure?.shrinking).toBe("replay");
  }, 60_000);

  it("a budget of 0 reports the first failing case unshrunk, and its token replays it", async () => {
    const r = await runCheck({ ...toyBroken, shrinkTimeMs: 0 });
    const f = r.failure!;
    expect(f.shrinking).toBe("off");
    expect(f.shrinks).toBe(0);
    expect(r.stats.shrinkRuns).toBe(0);
    expect(f.operations.length).toBe(f.originalOperations);
    expect(formatResult(r, "")).toContain("(not shrunk: the first failing case)");
    const again = await runCheck({ ...toyBroken, seed: f.seed, replay: f.replay });
    expect(again.failure?.operations).toEqual(f.operations);
  });

  it("without a budget shrinking completes as before and is called shrunk", async () => {
    const r = await runCheck(toyBroken);
    const f = r.failure!;
    expect(f.shrinking).toBe("complete");
    expect(f.shrinks).toBeGreaterThan(0);
    expect(formatResult(r, "")).toMatch(/\(shrunk from \d+ in \d+ steps\)/);
  });

  it("with a shrink budget the time limit ends generating, not shrinking; without one it ends both", async () => {
    const LIMIT_MS = 1_500;
    // The first failing run waits out the time limit, so all shrinking happens after it.
    const spendLimit = (started: number) => () => {
      while (Date.now() - started < LIMIT_MS + 50) {
        // Busy wait: the hook is synchronous.
      }
    };
    const t1 = Date.now();
    const budgeted = await runCheck({
      ...toyBroken,
      timeLimitMs: LIMIT_MS,
      shrinkTimeMs: 60_000,
      onFirstFailure: spendLimit(t1),
    });
    expect(budgeted.failure?.shrinking).toBe("complete");
    expect(budgeted.failure?.shrinks).toBeGreaterThan(0);
    const t2 = Date.now();
    const limited = await runCheck({ ...toyBroken, timeLimitMs: LIMIT_MS, onFirstFailure: spendLimit(t2) });
    expect(limited.failure?.shrinking).toBe("time-limit");
    expect(limited.failure?.shrinks).toBe(0);
    expect(limited.failure?.operations.length).toBe(limited.failure?.originalOperations);
    expect(formatResult(limited, "")).toContain("the smallest failing case found before the time limit");
  });
});

describe("--shrink-time", () => {
  const entry: TargetEntry = { description: "", load: async () => () => new ToyTarget() };
  const targets = { model: entry, embedded: entry, cluster: entry, kafka: entry };

  it("parses seconds; defaults to unbounded in-process and to 300 s on real clusters", () => {
    expect(SHRINK_TIME_REAL_S).toBe(300);
    expect(parseCheckArgs(["--target", "model"], targets).shrinkTimeS).toBeUndefined();
    expect(parseCheckArgs(["--target", "embedded"], targets).shrinkTimeS).toBeUndefined();
    expect(parseCheckArgs(["--target", "cluster"], targets).shrinkTimeS).toBe(300);
    expect(parseCheckArgs(["--target", "kafka"], targets).shrinkTimeS).toBe(300);
    expect(parseCheckArgs(["--target", "cluster", "--shrink-time", "30"], targets).shrinkTimeS).toBe(30);
    expect(parseCheckArgs(["--target", "model", "--shrink-time", "0"], targets).shrinkTimeS).toBe(0);
  });

  it("refuses what is not a number of seconds, and a replay's", () => {
    for (const [argv, message] of [
      [["--shrink-time=-1"], "--shrink-time must be between 0"],
      [["--shrink-time", "1.5"], "--shrink-time must be an integer"],
      [["--shrink-time", "soon"], "--shrink-time must be an integer"],
      [["--shrink-time", "5", "--seed", "1", "--replay", "3:1@A:A#0badcafe"], "drop --shrink-time"],
    ] as const) {
      expect(() => parseCheckArgs(["--target", "model", ...argv], targets)).toThrow(UsageError);
      expect(() => parseCheckArgs(["--target", "model", ...argv], targets)).toThrow(message);
    }
  });

  it("the command takes it: exit 2 on a bad value, the unshrunk report with 0", async () => {
    const bad = bufferIo();
    expect(
      await main(["check", "--target", "broken", "--shrink-time", "x"], bad, [checkCommand(TOY_DEPS)]),
    ).toBe(2);
    expect(bad.stderr.join("\n")).toContain("--shrink-time must be an integer");
    const io = bufferIo();
    const argv = [
      "check",
      "--target",
      "broken",
      "--seed",
      "7",
      "--runs",
      "40",
      "--ops",
      "60",
      "--shrink-time",
      "0",
    ];
    expect(await main(argv, io, [checkCommand(TOY_DEPS)])).toBe(1);
    expect(io.stdout.join("\n")).toContain("(not shrunk: the first failing case)");
    expect(io.stdout.join("\n")).toContain("operations (not shrunk):");
  });
});
