/** What the runner measures and finds, as plain data: printed as text or as one JSON object. */
import type { HistoryEvent } from "../history.ts";

/** One reason a run failed. */
export interface Finding {
  /** model: the reference rejected an outcome; state / history: an invariant broke; target: the adapter broke its contract. */
  source: "model" | "state" | "history" | "target";
  /** The invariant's name ("model-outcome" for the reference model's verdicts). */
  invariant: string;
  message: string;
  /** History event indices that show it. */
  events: number[];
}

export interface CheckStats {
  /** Runs of the workload that fast-check generated (not counting shrink attempts). */
  runs: number;
  /** Extra runs spent shrinking a counterexample. */
  shrinkRuns: number;
  operations: number;
  operationsByKind: Record<string, number>;
  faults: number;
  faultsByKind: Record<string, number>;
  /** Steps whose intent did not apply (no topic yet, client busy, not in a group). */
  skippedSteps: number;
  outcomes: { ok: number; failed: number; unknown: number; pending: number };
  /** Kafka error name -> how many failed or unknown outcomes carried it. */
  errors: Record<string, number>;
  /** Invariant name -> how many times it was checked. */
  invariantChecks: Record<string, number>;
  elapsedMs: number;
  opsPerSecond: number;
}

export interface FailureReport {
  /** fast-check's seed for the whole check: pass with `replay` to run the failing case again. */
  seed: number;
  /**
   * The replay token: fast-check's counterexample path and the commands' replay path joined by "@", then
   * "#" and the case's fingerprint (spec/replay-token.ts), which a replay checks before running the case.
   */
  replay: string;
  /** The seed the failing run gave its target (ClusterSetup.seed). */
  runSeed: number;
  /** Operations in the first failing run, before shrinking. */
  originalOperations: number;
  shrinks: number;
  /**
   * How shrinking ended: complete (no smaller failing case left to try), budget (the shrink time ran out:
   * the smallest case found in that time, maybe not minimal), time-limit (the check's time limit ran out
   * while shrinking), off (not shrunk: --shrink-time 0 or noShrink), replay (a replayed case, run as is).
   * Absent: complete.
   */
  shrinking?: "complete" | "budget" | "time-limit" | "off" | "replay";
  /** Milliseconds spent shrinking (from the end of the first failing run). */
  shrinkMs?: number;
  /** The shrunk run's operations, one line each, in invocation order. */
  operations: string[];
  findings: Finding[];
  /** History lines around the events the findings name. */
  excerpt: string[];
  history: HistoryEvent[];
}

export interface CheckResult {
  ok: boolean;
  target: string;
  seed: number;
  brokers: number;
  faultKinds: string[];
  seededFaults: string[];
  /** True when a time limit stopped the check before all runs were done. */
  interrupted: boolean;
  /** A replay from a token without a case fingerprint: it ran, but nothing proves it is the case meant. */
  replayWarning?: string;
  /** A replay: the fingerprint of the case it ran (what a token for that case ends with after "#"). */
  replayedFingerprint?: string;
  stats: CheckStats;
  /** Milliseconds from the start of the check to the end of the first failing run (before shrinking). */
  timeToFailureMs?: number;
  failure?: FailureReport;
  /** With `--jobs N` > 1: what each worker ran (its own fast-check seed, a failure's seed is one of these). */
  jobs?: JobSummary[];
}

/** One worker's share of a parallel check (spec/jobs.ts). */
export interface JobSummary {
  index: number;
  /** The fast-check seed this worker ran with: `--seed` itself for worker 0, derived for the others. */
  seed: number;
  /** Runs it was given and runs it made (fewer when another worker failed first or time ran out). */
  share: number;
  runs: number;
  ok: boolean;
  /** Stopped early: another worker's failure or the time limit. */
  interrupted: boolean;
}

export function emptyStats(): CheckStats {
  return {
    runs: 0,
    shrinkRuns: 0,
    operations: 0,
    operationsByKind: {},
    faults: 0,
    faultsByKind: {},
    skippedSteps: 0,
    outcomes: { ok: 0, failed: 0, unknown: 0, pending: 0 },
    errors: {},
    invariantChecks: {},
    elapsedMs: 0,
    opsPerSecond: 0,
  };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Add one run's counters into the total (runs and timings are the caller's). */
export function mergeStats(into: CheckStats, run: CheckStats): void {
  into.operations += run.operations;
  into.faults += run.faults;
  into.skippedSteps += run.skippedSteps;
  for (const [k, v] of Object.entries(run.operationsByKind)) bump(into.operationsByKind, k, v);
  for (const [k, v] of Object.entries(run.faultsByKind)) bump(into.faultsByKind, k, v);
  for (const [k, v] of Object.entries(run.invariantChecks)) bump(into.invariantChecks, k, v);
  for (const [k, v] of Object.entries(run.errors)) bump(into.errors, k, v);
  into.outcomes.ok += run.outcomes.ok;
  into.outcomes.failed += run.outcomes.failed;
  into.outcomes.unknown += run.outcomes.unknown;
  into.outcomes.pending += run.outcomes.pending;
}
