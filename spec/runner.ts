/**
 * The conformance runner: fast-check generates workloads (client intentions and faults), runs each
 * against a fresh target and a fresh reference model, and shrinks a failing workload to a short one.
 * `runCheck` returns the measurements and, on failure, everything needed to read and replay it.
 *
 * Replay: a failure prints fast-check's seed and a replay token ("<counterexample path>@<commands
 * replay path>#<case fingerprint>", spec/replay-token.ts); `runCheck({ seed, replay })` runs exactly that
 * shrunk workload again, and refuses (ReplayMismatchError) a token whose case this version no longer generates.
 */
import fc from "fast-check";
import type { ClusterSetup, OutcomeChecker, Target } from "./adapter.ts";
import { formatEvent, type History } from "./history.ts";
import { describeOperation, FAULT_FAMILIES, type FaultFamily, type FaultKind } from "./operations.ts";
import {
  type CaseDescription,
  caseFingerprint,
  formatReplay,
  parseReplay,
  ReplayMismatchError,
  unfingerprintedWarning,
} from "./replay-token.ts";
import {
  type CheckResult,
  type CheckStats,
  emptyStats,
  type FailureReport,
  type Finding,
  mergeStats,
} from "./report/types.ts";
import {
  DEFAULT_SHAPE,
  faultPhaseArbitrary,
  intentArbitrary,
  rebalancePhaseArbitrary,
  type WorkloadShape,
} from "./workload/arbitraries.ts";
import type { AssignFn, BuildContext } from "./workload/build.ts";
import { type InvariantSuite, RunExecution, RunFailed } from "./workload/execution.ts";
import { describeIntent, type Intent } from "./workload/intents.ts";
import type { WorkloadProfile } from "./workload/profile.ts";
import type { WorkloadState } from "./workload/state.ts";

export { parseReplay, ReplayMismatchError, type ReplayToken } from "./replay-token.ts";
export type { CheckResult, CheckStats, FailureReport, Finding } from "./report/types.ts";
export type { AssignFn } from "./workload/build.ts";
export type { InvariantSuite } from "./workload/execution.ts";
export type { WorkloadProfile } from "./workload/profile.ts";

export interface Progress {
  runs: number;
  shrinkRuns: number;
  operations: number;
  elapsedMs: number;
  /** "running" while generating runs, "shrinking" once a run failed. */
  phase: "running" | "shrinking";
}

export interface RunCheckOptions {
  /** A new, unstarted target per run. */
  target: () => Target;
  /** A new reference model per run, used as the outcome checker. */
  checker: () => OutcomeChecker;
  invariants: InvariantSuite;
  /** The group leader's assignor (model/assignors.ts). */
  assign: AssignFn;
  /** Custom partitioner names the workload may use (model/partitioners.ts' registry). */
  customPartitioners?: readonly string[];
  runs: number;
  /** Maximum operations (workload steps) per run, besides those of rebalance phases (at most 24 each). */
  opsPerRun: number;
  seed: number;
  /** Fault families (`--faults`); the generated kinds are these intersected with the target's capabilities. */
  faults: readonly FaultFamily[];
  brokers: number;
  seededFaults?: readonly string[];
  /** Kafka settings passed to every run's ClusterSetup. */
  config?: ClusterSetup["config"];
  /**
   * A replay token from a failure report; with `seed`, runs that one case again (one run, whatever `runs`
   * says). A token whose fingerprint does not match the case it rebuilds throws ReplayMismatchError.
   */
  replay?: string;
  /**
   * Stop generating new runs after this long (the check then counts as passed unless a run failed). Without
   * `shrinkTimeMs` it also ends shrinking: a failure is shrunk only within what is left of it.
   */
  timeLimitMs?: number;
  /**
   * How long shrinking a failure may take, from the end of the first failing run (default: unbounded, or
   * what `timeLimitMs` leaves). When it is spent the report gives the smallest failing case found so far
   * (FailureReport.shrinking "budget"); 0 reports the first failing case unshrunk.
   */
  shrinkTimeMs?: number;
  onProgress?: (p: Progress) => void;
  /** Report progress every this many runs (default 25). */
  progressEvery?: number;
  /** Virtual time the end phase advances so pending operations complete (default 120 s). */
  finalAdvanceMs?: number;
  /** Real targets: how long the end phase waits for pending operations (default 10 s). */
  finalWaitMs?: number;
  /** Shapes the generated workloads (a seeded-fault hunt's emphasis); its settings win over the above. */
  profile?: WorkloadProfile;
  /** Stop at the first failing run without shrinking it (measuring time to failure). */
  noShrink?: boolean;
  /** Polled before each new run until one fails: true ends the check as interrupted (spec/jobs.ts). */
  shouldStop?: () => boolean;
  /** Called once, when the first run fails (before shrinking). */
  onFirstFailure?: (runSeed: number) => void;
  /** Called after every run with its history (a replay test asserts what its case shows). */
  onRunEnd?: (run: { runSeed: number; history: History }) => void;
}

/** The fault kinds of some families that a target also supports, in a stable order. */
export function faultKindsFor(
  families: readonly FaultFamily[],
  supported: readonly FaultKind[],
): FaultKind[] {
  const wanted = new Set<FaultKind>(families.flatMap((f) => FAULT_FAMILIES[f]));
  return supported.filter((k, i) => wanted.has(k) && supported.indexOf(k) === i);
}

/**
 * Swarm testing (as in TigerBeetle's VOPR): each run switches whole families of steps off at random, so
 * some runs are all produce-crash-restart and others all groups: a bug that needs a long run of one kind
 * of step is found far sooner than with one fixed mix. Shrinks toward everything on.
 */
const SWARM_FAMILIES: Record<string, readonly Intent["kind"][]> = {
  groups: ["join", "poll", "sync", "heartbeat", "leave", "commit", "zombie", "fetchCommitted"],
  admin: ["addPartitions", "listOffsets"],
  crash: ["crash"],
  isolate: ["isolate"],
  session: ["expireSession"],
  pause: ["pause"],
  time: ["advanceTime"],
};

const swarmArbitrary: fc.Arbitrary<ReadonlySet<string>> = fc
  .record(Object.fromEntries(Object.keys(SWARM_FAMILIES).map((f) => [f, fc.nat(3).map((n) => n === 3)])))
  .map(
    (off) => new Set(Object.entries(off).flatMap(([family, isOff]) => (isOff ? SWARM_FAMILIES[family] : []))),
  );

/** One workload step as fast-check sees it: an intent, run against the run's execution. */
class IntentCommand implements fc.AsyncCommand<WorkloadState, RunExecution> {
  constructor(
    readonly intent: Intent,
    private readonly canRun: (intent: Intent, state: WorkloadState) => boolean,
  ) {}
  check(state: Readonly<WorkloadState>): boolean {
    return this.canRun(this.intent, state as WorkloadState);
  }
  async run(_state: WorkloadState, execution: RunExecution): Promise<void> {
    await execution.step(this.intent);
  }
  toString(): string {
    return describeIntent(this.intent);
  }
}

/**
 * Several workload steps run back to back (a rebalance phase): each step applies or is skipped on its
 * own, as if it were a command of its own, so shrinking can still drop the whole phase. A phase starts
 * only within the run's operation budget, and what it runs does not count against that budget
 * (`spent`), so phases add group work without taking operations from the rest of the workload.
 */
class PhaseCommand implements fc.AsyncCommand<WorkloadState, RunExecution> {
  constructor(
    readonly intents: readonly Intent[],
    private readonly live: (state: WorkloadState) => boolean,
    private readonly canRun: (intent: Intent, state: WorkloadState, inPhase: boolean) => boolean,
    private readonly spent: (ops: number) => void,
  ) {}
  check(state: Readonly<WorkloadState>): boolean {
    return this.live(state as WorkloadState);
  }
  async run(state: WorkloadState, execution: RunExecution): Promise<void> {
    const before = execution.stats.operations + execution.stats.faults;
    for (const intent of this.intents) if (this.canRun(intent, state, true)) await execution.step(intent);
    this.spent(execution.stats.operations + execution.stats.faults - before);
  }
  toString(): string {
    return `phase[${this.intents.map(describeIntent).join("; ")}]`;
  }
}

/** One rebalance phase per this many single steps, on average. */
const STEPS_PER_PHASE = 60;

interface FailingRun {
  runSeed: number;
  execution: RunExecution;
  findings: Finding[];
}

/** The generated case a property run got, as its fingerprint sees it (spec/replay-token.ts). */
type CaseShape = Pick<CaseDescription, "brokers" | "opsPerRun" | "config">;
function describeCase(
  shape: CaseShape,
  runSeed: number,
  swarm: ReadonlySet<string>,
  cmds: Iterable<fc.AsyncCommand<WorkloadState, RunExecution>>,
): CaseDescription {
  // Iterating fast-check's commands lists every generated step without running any.
  return { ...shape, runSeed, disabled: swarm, steps: Array.from(cmds, (c) => String(c)) };
}

export async function runCheck(options: RunCheckOptions): Promise<CheckResult> {
  const started = Date.now();
  const profile = options.profile ?? {};
  const brokers = profile.brokers ?? options.brokers;
  const opsPerRun = profile.opsPerRun ?? options.opsPerRun;
  const config = { ...options.config, ...profile.config };
  const probe = options.target();
  const faultKinds = faultKindsFor(options.faults, probe.capabilities.faults);
  const build: BuildContext = {
    assign: options.assign,
    maxPartitions: 8,
    maxAddedBrokers: 2,
    initialBrokers: brokers,
  };
  const shape: WorkloadShape = {
    ...DEFAULT_SHAPE,
    brokers,
    faults: faultKinds,
    ticks: probe.capabilities.virtualTime && probe.capabilities.faults.includes("advanceTime"),
    customPartitioners: options.customPartitioners ?? [],
    profile,
  };
  const intents = intentArbitrary(shape);
  const phases = rebalancePhaseArbitrary(shape);
  const faultPhase = profile.faultPhase === undefined ? null : faultPhaseArbitrary(shape, profile.faultPhase);
  const replay = options.replay === undefined ? undefined : parseReplay(options.replay);
  const caseShape: CaseShape = { brokers, opsPerRun, config };
  // A replay's one case is fingerprinted before it runs: a token for another case is refused unrun.
  let replayMismatch: ReplayMismatchError | undefined;
  let replayedCase = false;
  let replayEnded = false;
  let replayedFingerprint: string | undefined;
  let disabled: ReadonlySet<string> = new Set();
  let startFailure: RunFailed | undefined;
  let stopped = false;
  // Shrinking was cut short: by the shrink budget, or (without one) by the check's time limit.
  let shrinkCut: "budget" | "time-limit" | undefined;
  let shrinkStartedAt = 0;
  // A command only asks the execution, through the state it was handed, whether it applies.
  let current: RunExecution | undefined;
  // Operations the current run's rebalance phases ran: they do not count against opsPerRun.
  let phaseOps = 0;
  const budgetLeft = (execution: RunExecution): boolean =>
    execution.stats.operations + execution.stats.faults - phaseOps < opsPerRun;
  const canRun = (intent: Intent, state: WorkloadState, inPhase = false): boolean => {
    if (current === undefined || current.state !== state) return false;
    if (disabled.has(intent.kind) || !(inPhase || budgetLeft(current)) || !current.canRun(intent)) {
      current.stats.skippedSteps++;
      return false;
    }
    return true;
  };
  const live = (state: WorkloadState): boolean =>
    current !== undefined && current.state === state && budgetLeft(current);
  const spent = (ops: number) => {
    phaseOps += ops;
  };
  type Command = fc.AsyncCommand<WorkloadState, RunExecution>;
  const kinds: Array<fc.WeightedArbitrary<Command>> = [
    {
      arbitrary: intents.map((intent): Command => new IntentCommand(intent, canRun)),
      weight: STEPS_PER_PHASE,
    },
  ];
  if (profile.rebalancePhases !== false)
    kinds.push({ arbitrary: phases.map((steps) => new PhaseCommand(steps, live, canRun, spent)), weight: 1 });
  if (faultPhase !== null && profile.faultPhase !== undefined)
    kinds.push({
      arbitrary: faultPhase.map((steps) => new PhaseCommand(steps, live, canRun, spent)),
      weight: profile.faultPhase.weight,
    });
  const commands = fc.commands(
    [fc.oneof(...kinds)],
    // Three times the steps, capped at opsPerRun executed: many intents do not apply when their turn comes.
    replay?.replayPath !== undefined
      ? { maxCommands: 3 * opsPerRun, size: "max", replayPath: replay.replayPath }
      : { maxCommands: 3 * opsPerRun, size: "max" },
  );

  const total: CheckStats = emptyStats();
  let firstFailure: FailingRun | undefined;
  let lastFailure: FailingRun | undefined;
  let timeToFailureMs: number | undefined;
  const progressEvery = Math.max(1, options.progressEvery ?? 25);
  const report = () =>
    options.onProgress?.({
      runs: total.runs,
      shrinkRuns: total.shrinkRuns,
      operations: total.operations,
      elapsedMs: Date.now() - started,
      phase: firstFailure === undefined ? "running" : "shrinking",
    });

  const timeUp = () => options.timeLimitMs !== undefined && Date.now() - started >= options.timeLimitMs;
  const shrinkSpent = (): "budget" | "time-limit" | undefined => {
    if (options.shrinkTimeMs !== undefined)
      return Date.now() - shrinkStartedAt >= options.shrinkTimeMs ? "budget" : undefined;
    return timeUp() ? "time-limit" : undefined;
  };
  const noShrink = options.noShrink === true || options.shrinkTimeMs === 0;

  const property = fc.asyncProperty(
    fc.noShrink(fc.nat(0x7fffffff)),
    swarmArbitrary,
    commands,
    async (runSeed, swarm, cmds) => {
      // With a shrink path fast-check ignores numRuns and goes on through the case's later shrink siblings
      // once it passes: a replay is its one case, so the check ends there.
      if (replay !== undefined && replayedCase) {
        replayEnded = true;
        throw new fc.PreconditionFailure(true);
      }
      if (replay !== undefined) {
        replayedCase = true;
        const actual = caseFingerprint(describeCase(caseShape, runSeed, swarm, cmds));
        replayedFingerprint = actual;
        if (replay.fingerprint !== undefined && actual !== replay.fingerprint) {
          replayMismatch = new ReplayMismatchError(options.seed, replay.fingerprint, actual);
          throw replayMismatch;
        }
      }
      // A target that cannot start fails every run the same way: shrinking would only repeat it.
      if (startFailure !== undefined) throw startFailure;
      // Another worker failed first, or time is up: end this check at once (fast-check reports it as
      // interrupted). Checked between runs, so a run is never abandoned half-way on a live target.
      if (firstFailure === undefined && (options.shouldStop?.() || timeUp())) {
        stopped = true;
        throw new fc.PreconditionFailure(true);
      }
      // While shrinking, an interruption keeps the last failing case as fast-check's counterexample.
      if (firstFailure !== undefined && shrinkCut === undefined) shrinkCut = shrinkSpent();
      if (shrinkCut !== undefined) throw new fc.PreconditionFailure(true);
      disabled = swarm;
      const setup: ClusterSetup = {
        brokers,
        seed: runSeed,
        config,
        ...(options.seededFaults && options.seededFaults.length > 0
          ? { seededFaults: options.seededFaults }
          : {}),
      };
      const execution = new RunExecution({
        target: options.target(),
        checker: options.checker(),
        invariants: options.invariants,
        build,
        setup,
        finalAdvanceMs: options.finalAdvanceMs ?? 120_000,
        finalWaitMs: options.finalWaitMs ?? 10_000,
      });
      current = execution;
      phaseOps = 0;
      if (firstFailure === undefined) total.runs++;
      else total.shrinkRuns++;
      try {
        try {
          await execution.start();
        } catch (e) {
          if (e instanceof RunFailed) throw e;
          const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
          startFailure = new RunFailed([
            { source: "target", invariant: "target-start", message, events: [] },
          ]);
          throw startFailure;
        }
        await fc.asyncModelRun(() => ({ model: execution.state, real: execution }), cmds);
        await execution.finish();
      } catch (e) {
        const findings: Finding[] =
          e instanceof RunFailed
            ? e.findings
            : [
                {
                  source: "target",
                  invariant: "run-error",
                  message: e instanceof Error ? (e.stack ?? e.message) : String(e),
                  events: [],
                },
              ];
        const failing = { runSeed, execution, findings };
        if (firstFailure === undefined) {
          firstFailure = failing;
          timeToFailureMs = Date.now() - started;
          shrinkStartedAt = Date.now();
          options.onFirstFailure?.(runSeed);
        }
        lastFailure = failing;
        throw e;
      } finally {
        current = undefined;
        mergeStats(total, execution.finalStats());
        options.onRunEnd?.({ runSeed, history: execution.history });
        try {
          await execution.stop();
        } catch {
          // A target that cannot stop cleanly does not change the verdict of the run.
        }
        const count = total.runs + total.shrinkRuns;
        if (count % progressEvery === 0) report();
      }
    },
  );

  const params: fc.Parameters<
    [number, ReadonlySet<string>, Iterable<fc.AsyncCommand<WorkloadState, RunExecution>>]
  > = {
    // A replay runs its one case (a path with shrink steps takes no numRuns: see the property).
    numRuns: replay !== undefined ? 1 : options.runs,
    seed: options.seed,
    ...(replay !== undefined ? { path: replay.path, endOnFailure: true } : {}),
    ...(noShrink ? { endOnFailure: true } : {}),
  };
  let details: fc.RunDetails<
    [number, ReadonlySet<string>, Iterable<fc.AsyncCommand<WorkloadState, RunExecution>>]
  >;
  try {
    details = await fc.check(property, params);
  } catch (e) {
    // fast-check cannot walk a path its generator no longer has ("Unable to replay", "Too short replayPath").
    const message = e instanceof Error ? e.message : String(e);
    if (replay === undefined || !/replay/i.test(message)) throw e;
    throw new ReplayMismatchError(options.seed, replay.fingerprint, undefined, message);
  }
  if (replayMismatch !== undefined) throw replayMismatch;
  if (replay?.fingerprint !== undefined && !replayedCase)
    throw new ReplayMismatchError(options.seed, replay.fingerprint, undefined);
  // fast-check counts an interruption before any run succeeded as a failure; a stop is not one.
  const failed = details.failed && !(stopped && lastFailure === undefined);
  const shrinking: FailureReport["shrinking"] =
    replay !== undefined ? "replay" : noShrink ? "off" : (shrinkCut ?? "complete");
  total.elapsedMs = Date.now() - started;
  total.opsPerSecond =
    total.elapsedMs > 0 ? Math.round(((total.operations + total.faults) * 1000) / total.elapsedMs) : 0;

  const result: CheckResult = {
    ok: !failed,
    target: probe.name,
    seed: details.seed,
    brokers,
    faultKinds,
    seededFaults: [...(options.seededFaults ?? [])],
    // A shrink cut short is reported on the failure, not as an interrupted check.
    interrupted: details.interrupted && !replayEnded && shrinkCut === undefined,
    stats: total,
    ...(timeToFailureMs !== undefined ? { timeToFailureMs } : {}),
    ...(replayedFingerprint !== undefined ? { replayedFingerprint } : {}),
    ...(replay !== undefined && replay.fingerprint === undefined
      ? { replayWarning: unfingerprintedWarning(options.replay ?? "") }
      : {}),
  };
  if (failed && details.counterexample !== null && lastFailure !== undefined) {
    const [runSeed, swarm, cmds] = details.counterexample;
    const replayPath = /replayPath="([^"]*)"/.exec(String(cmds))?.[1];
    const path = details.counterexamplePath ?? "";
    const fingerprint = caseFingerprint(describeCase(caseShape, runSeed, swarm, cmds));
    result.failure = failureReport({
      seed: details.seed,
      replay: formatReplay(
        replayPath !== undefined ? { path, replayPath, fingerprint } : { path, fingerprint },
      ),
      shrinks: details.numShrinks,
      shrinking,
      shrinkMs: Date.now() - shrinkStartedAt,
      first: firstFailure!,
      last: lastFailure,
    });
  } else if (failed) {
    // fast-check failed without a counterexample (too many skips); report it as a failure of the run.
    result.failure = failureReport({
      seed: details.seed,
      replay: "",
      shrinks: 0,
      shrinking,
      shrinkMs: 0,
      first: firstFailure ?? lastFailure!,
      last: lastFailure!,
    });
  }
  return result;
}

const EXCERPT_RADIUS = 3;

function failureReport(o: {
  seed: number;
  replay: string;
  shrinks: number;
  shrinking: FailureReport["shrinking"];
  shrinkMs: number;
  first: FailingRun;
  last: FailingRun;
}): FailureReport {
  const history = o.last.execution.history;
  const invokes = history.events.filter((e) => e.type === "invoke");
  const cited = new Set(o.last.findings.flatMap((f) => f.events));
  if (cited.size === 0)
    for (let i = Math.max(0, history.events.length - 8); i < history.events.length; i++) cited.add(i);
  const shown = new Set<number>();
  for (const i of cited)
    for (let j = i - EXCERPT_RADIUS; j <= i + EXCERPT_RADIUS; j++)
      if (j >= 0 && j < history.events.length) shown.add(j);
  const excerpt: string[] = [];
  let prev = -1;
  for (const i of [...shown].sort((a, b) => a - b)) {
    if (prev >= 0 && i > prev + 1) excerpt.push("  ...");
    excerpt.push(`${cited.has(i) ? ">" : " "} ${formatEvent(history.events[i])}`);
    prev = i;
  }
  return {
    seed: o.seed,
    replay: o.replay,
    runSeed: o.last.runSeed,
    originalOperations: o.first.execution.history.events.filter((e) => e.type === "invoke").length,
    shrinks: o.shrinks,
    shrinking: o.shrinking,
    shrinkMs: o.shrinkMs,
    operations: invokes.map((e) => `${e.process}: ${describeOperation(e.op)}`),
    findings: o.last.findings,
    excerpt,
    history: history.events,
  };
}

/** A seeded fault as impl/faults/catalog.ts lists it. */
export interface SeededFaultEntry {
  name: string;
  description: string;
  /** The nemesis families needed to reach the bug (none: client operations alone reach it). */
  faults: readonly FaultFamily[];
  /** How the hunt shapes its workloads (default: the check's own mix). */
  profile?: WorkloadProfile;
}

export interface HuntResult {
  name: string;
  description: string;
  /** A run failed with the fault on, and its shrunk counterexample passes with the fault off. */
  caught: boolean;
  /**
   * A run failed, but its counterexample fails with the fault off as well: the suite found a bug
   * outside the seeded one, so the catch is not credited to the fault. Undefined when nothing failed.
   */
  failsWithoutFault?: boolean;
  /** Runs spent (up to and including the failing one). */
  runs: number;
  /** Time to the first failing run; the whole budget when missed. */
  timeMs: number;
  /** The whole hunt: with shrinking and the replay with the fault off. */
  totalMs: number;
  result: CheckResult;
}

/**
 * Switch each seeded fault on in turn and check until a run fails or the budget (runs, time) is spent;
 * a failure counts as catching the fault only if its counterexample passes with the fault off.
 * A fault that needs no nemesis gets none; one that does gets exactly its families, so the time to
 * catch measures the suite, not luck among unrelated faults.
 */
export async function huntSeededFaults(
  catalog: readonly SeededFaultEntry[],
  base: RunCheckOptions,
  budget: { runs: number; timeMs: number },
  onResult?: (r: HuntResult) => void,
): Promise<HuntResult[]> {
  const results: HuntResult[] = [];
  for (const entry of catalog) {
    const hunt = await huntOne(entry, base, budget);
    results.push(hunt);
    onResult?.(hunt);
  }
  return results;
}

/** Does the shrunk counterexample of `result` fail with the seeded fault off as well? */
async function failsWithFaultOff(entry: SeededFaultEntry, base: RunCheckOptions, failure: FailureReport) {
  if (failure.replay === "") return true;
  const { seededFaults: _, ...withoutFault } = base;
  const control = await runCheck({
    ...withoutFault,
    faults: entry.faults,
    ...(entry.profile !== undefined ? { profile: entry.profile } : {}),
    runs: 1,
    seed: failure.seed,
    replay: failure.replay,
  });
  return !control.ok;
}

/**
 * One fault: check with it on; a failure whose counterexample also fails with the fault off is a bug
 * elsewhere, so the hunt goes on with the next seed while budget remains.
 */
async function huntOne(
  entry: SeededFaultEntry,
  base: RunCheckOptions,
  budget: { runs: number; timeMs: number },
): Promise<HuntResult> {
  const started = Date.now();
  let runsLeft = budget.runs;
  let spent = 0;
  let unattributed: CheckResult | undefined;
  let last: CheckResult | undefined;
  for (let attempt = 0; runsLeft > 0 && Date.now() - started < budget.timeMs; attempt++) {
    const result = await runCheck({
      ...base,
      seed: base.seed + attempt,
      faults: entry.faults,
      ...(entry.profile !== undefined ? { profile: entry.profile } : {}),
      seededFaults: [entry.name],
      runs: runsLeft,
      timeLimitMs: Math.max(1, budget.timeMs - (Date.now() - started)),
    });
    last = result;
    spent += result.stats.runs;
    runsLeft -= result.stats.runs;
    if (result.ok || result.failure === undefined) break;
    // Replay the shrunk case with the fault off: only a counterexample the fault explains counts.
    if (!(await failsWithFaultOff(entry, base, result.failure))) {
      // Time to catch: everything before this attempt, plus this attempt up to its first failing run.
      const before = Date.now() - started - result.stats.elapsedMs;
      const timeMs = Math.max(0, before) + (result.timeToFailureMs ?? result.stats.elapsedMs);
      const totalMs = Date.now() - started;
      return { ...common(entry, spent), caught: true, failsWithoutFault: false, timeMs, totalMs, result };
    }
    unattributed ??= result;
    // A replay runs its one case: another seed cannot walk the same path.
    if (base.replay !== undefined) break;
  }
  const timeMs = Date.now() - started;
  const totalMs = timeMs;
  if (unattributed !== undefined)
    return {
      ...common(entry, spent),
      caught: false,
      failsWithoutFault: true,
      timeMs,
      totalMs,
      result: unattributed,
    };
  return { ...common(entry, spent), caught: false, timeMs, totalMs, result: last! };
}

const common = (entry: SeededFaultEntry, runs: number) => ({
  name: entry.name,
  description: entry.description,
  runs,
});

/** The reference pieces a check needs besides the target: the model as checker, the invariants, the assignors. */
export interface ReferenceSuite {
  checker: () => OutcomeChecker;
  invariants: InvariantSuite;
  assign: AssignFn;
  customPartitioners: string[];
}

/** Loaded lazily so that importing the runner does not load the model (the CLI's help stays fast). */
export async function loadReferenceSuite(): Promise<ReferenceSuite> {
  const [model, invariants, assignors, partitioners] = await Promise.all([
    import("../model/index.ts"),
    import("./invariants/index.ts"),
    import("../model/assignors.ts"),
    import("../model/partitioners.ts"),
  ]);
  return {
    checker: () => new model.ClusterModel(),
    invariants: { history: invariants.HISTORY_INVARIANTS, state: invariants.STATE_INVARIANTS },
    assign: (protocol, members, partitionsPerTopic) =>
      assignors.assign(protocol, members, partitionsPerTopic),
    customPartitioners: Object.keys(partitioners.CUSTOM_PARTITIONERS),
  };
}
