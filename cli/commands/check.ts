/**
 * `kafkaspec check`: run the conformance suite against a target and print the summary, or the shrunk
 * counterexample. With `--seeded-fault`, switch each seeded fault on in turn and report which the
 * suite caught and how fast.
 */
import type { Target } from "../../spec/adapter.ts";
import {
  availableJobs,
  huntSeededFaultsJobs,
  jobCheckOptions,
  runCheckJobs,
  type TargetRef,
} from "../../spec/jobs.ts";
import { FAULT_FAMILIES, type FaultFamily } from "../../spec/operations.ts";
import { REPLAY_TOKEN_PATTERN, ReplayMismatchError } from "../../spec/replay-token.ts";
import { formatResult, formatSeconds, resultJSON } from "../../spec/report/format.ts";
import type { FailureReport } from "../../spec/report/types.ts";
import {
  type HuntResult,
  huntSeededFaults,
  loadReferenceSuite,
  type ReferenceSuite,
  type RunCheckOptions,
  runCheck,
  type SeededFaultEntry,
} from "../../spec/runner.ts";
import { type CliCommand, EXIT_FAILED, EXIT_OK, parseInteger, parseStrict, UsageError } from "../command.ts";
import type { Io } from "../io.ts";
import {
  DEFAULT_TARGET,
  PLANNED_TARGETS,
  TARGETS,
  type TargetEntry,
  type TargetOptions,
} from "../targets.ts";

const PROGRESS_INTERVAL_MS = 2000;

/** `--replay` with a token whose case this version does not generate: nothing was checked. */
export const EXIT_REPLAY_MISMATCH = 3;

export const DEFAULT_FAULTS = "crash,restart,isolate,session,time";

const OPTIONS = {
  target: { type: "string" },
  runs: { type: "string" },
  ops: { type: "string" },
  seed: { type: "string" },
  brokers: { type: "string" },
  faults: { type: "string" },
  replay: { type: "string" },
  json: { type: "boolean" },
  "seeded-fault": { type: "string" },
  bootstrap: { type: "string" },
  "fault-script": { type: "string" },
  zookeeper: { type: "string" },
  "time-limit": { type: "string" },
  "shrink-time": { type: "string" },
  jobs: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface CheckArgs {
  target: string;
  runs: number;
  ops: number;
  seed: number;
  brokers: number;
  faults: FaultFamily[];
  faultsText: string;
  replay?: string;
  json: boolean;
  seededFault?: string;
  bootstrap?: string;
  /** The kafka target's fault script. */
  faultScript?: string;
  /** The kafka target's ZooKeeper (host:port[/chroot]): metadata observations and their invariants. */
  zookeeper?: string;
  /** Seconds: per seeded fault with --seeded-fault, for the whole check otherwise. */
  timeLimitS?: number;
  /**
   * Seconds shrinking a failure may take (0: report it unshrunk). Default: unbounded for the in-process
   * targets, SHRINK_TIME_REAL_S for the real clusters, where every shrink step starts a fresh cluster.
   */
  shrinkTimeS?: number;
  /** Worker threads (`--jobs`, default 1; `auto`: the available cores). */
  jobs: number;
  help: boolean;
}

/** Targets that live in this process: their runs may go to worker threads (the others share real processes). */
const PARALLEL_TARGETS: readonly string[] = ["model", "embedded"];

/** Default shrink budget on the process targets: a shrink step there costs a cluster start (~8 s). */
export const SHRINK_TIME_REAL_S = 300;

export function parseJobs(text: string | undefined): number {
  if (text === "auto") return availableJobs();
  return parseInteger("jobs", text, 1, 1, 64);
}

/** What a worker thread calls to build the target (spec/jobs.ts's TargetRef). */
export async function loadTargetFactory(arg: {
  target: string;
  options: TargetOptions;
}): Promise<() => Target> {
  return TARGETS[arg.target].load(arg.options);
}

export function parseFaults(text: string): FaultFamily[] {
  if (text === "none" || text === "") return [];
  const families = text.split(",").map((f) => f.trim());
  for (const f of families)
    if (!(f in FAULT_FAMILIES))
      throw new UsageError(
        `unknown fault family "${f}" (known: ${Object.keys(FAULT_FAMILIES).join(", ")}, or none)`,
      );
  return [...new Set(families)] as FaultFamily[];
}

export function parseCheckArgs(
  argv: string[],
  targets: Readonly<Record<string, TargetEntry>> = TARGETS,
): CheckArgs {
  const { values: v } = parseStrict(argv, OPTIONS);
  const target = v.target ?? DEFAULT_TARGET;
  if (!(target in targets)) {
    const planned = (PLANNED_TARGETS as readonly string[]).includes(target);
    throw new UsageError(
      planned
        ? `target "${target}" is not available in this build (available: ${Object.keys(targets).join(", ")})`
        : `unknown target "${target}" (available: ${Object.keys(targets).join(", ")})`,
    );
  }
  if (targets[target].needsBootstrap && v.bootstrap === undefined)
    throw new UsageError(`target "${target}" needs --bootstrap HOST:PORT`);
  if (v.bootstrap !== undefined && !/^[^\s:]+:\d{1,5}$/.test(v.bootstrap))
    throw new UsageError(`--bootstrap must be HOST:PORT, got "${v.bootstrap}"`);
  if (v.replay !== undefined && v["seeded-fault"] === "all")
    throw new UsageError("--replay replays one failure: give --seeded-fault the fault's name, not all");
  if (v.replay !== undefined && v.seed === undefined)
    throw new UsageError("--replay needs the --seed it was printed with");
  if (v.replay !== undefined && !REPLAY_TOKEN_PATTERN.test(v.replay))
    throw new UsageError(
      `--replay must be the token a failure printed (like 3:1:0@BA:A#1f2e3d4c), got "${v.replay}"`,
    );
  const faultsText = v.faults ?? DEFAULT_FAULTS;
  const args: CheckArgs = {
    target,
    // A seeded-fault hunt is bounded by time (--time-limit, 60 s per fault), so its run budget is open.
    runs: parseInteger("runs", v.runs, v["seeded-fault"] !== undefined ? 1_000_000 : 100, 1),
    ops: parseInteger("ops", v.ops, 50, 1, 100_000),
    seed: parseInteger("seed", v.seed, Math.floor(Math.random() * 0x7fffffff), -0x80000000, 0x7fffffff),
    brokers: parseInteger("brokers", v.brokers, 3, 1, 9),
    faults: parseFaults(faultsText),
    faultsText,
    json: v.json ?? false,
    jobs: parseJobs(v.jobs),
    help: v.help ?? false,
  };
  if (args.jobs > 1 && !PARALLEL_TARGETS.includes(target))
    throw new UsageError(
      `--jobs ${args.jobs}: target "${target}" runs real processes the workers would share; only ${PARALLEL_TARGETS.join(" and ")} run in parallel (use --jobs 1)`,
    );
  if (args.jobs > 1 && v.replay !== undefined)
    throw new UsageError("--replay runs one failing case: drop --jobs (replays run with one job)");
  if (v.replay !== undefined) args.replay = v.replay;
  if (v["seeded-fault"] !== undefined) args.seededFault = v["seeded-fault"];
  if (v.bootstrap !== undefined) args.bootstrap = v.bootstrap;
  if (v["fault-script"] !== undefined) args.faultScript = v["fault-script"];
  if (v.zookeeper !== undefined) {
    if (!/^[^\s:/,]+:\d{1,5}(,[^\s:/,]+:\d{1,5})*(\/\S*)?$/.test(v.zookeeper))
      throw new UsageError(`--zookeeper must be HOST:PORT[,HOST:PORT][/CHROOT], got "${v.zookeeper}"`);
    args.zookeeper = v.zookeeper;
  }
  if (v["time-limit"] !== undefined) args.timeLimitS = parseInteger("time-limit", v["time-limit"], 0, 1);
  if (v["shrink-time"] !== undefined) {
    if (v.replay !== undefined) throw new UsageError("--replay runs its case as is: drop --shrink-time");
    args.shrinkTimeS = parseInteger("shrink-time", v["shrink-time"], 0, 0);
  } else if (!PARALLEL_TARGETS.includes(target)) args.shrinkTimeS = SHRINK_TIME_REAL_S;
  return args;
}

/** The command line that replays a failure: everything that shapes the workload, plus seed and token. */
export function reproduceLine(a: CheckArgs, seed: number, replay: string, seededFault?: string): string {
  const parts = ["kafkaspec check", `--target ${a.target}`, `--brokers ${a.brokers}`, `--ops ${a.ops}`];
  // A seeded fault's run takes its fault families from the catalog, so they are not repeated here.
  if (seededFault === undefined) parts.push(`--faults ${a.faultsText}`);
  if (a.bootstrap !== undefined) parts.push(`--bootstrap ${a.bootstrap}`);
  if (a.faultScript !== undefined) parts.push(`--fault-script ${a.faultScript}`);
  if (a.zookeeper !== undefined) parts.push(`--zookeeper ${a.zookeeper}`);
  if (seededFault !== undefined) parts.push(`--seeded-fault ${seededFault}`);
  parts.push(`--seed ${seed}`, `--replay '${replay}'`);
  return parts.join(" ");
}

export interface CheckDeps {
  targets: Readonly<Record<string, TargetEntry>>;
  suite: () => Promise<ReferenceSuite>;
  catalog: () => Promise<readonly SeededFaultEntry[]>;
}

const defaultDeps: CheckDeps = {
  targets: TARGETS,
  suite: loadReferenceSuite,
  catalog: async () => (await import("../../impl/faults/catalog.ts")).SEEDED_FAULTS,
};

export function checkCommand(deps: CheckDeps = defaultDeps): CliCommand {
  return {
    name: "check",
    summary: "run the conformance suite against a target",
    usage: USAGE,
    run: (argv, io) => runCheckCommand(argv, io, deps),
  };
}

const USAGE = [
  `kafkaspec check [--target ${["model", "embedded", "cluster", "kafka"].join("|")}] [--runs N] [--ops M] [--seed S] [--brokers B]`,
  `                [--faults ${DEFAULT_FAULTS}|none] [--replay TOKEN] [--json]`,
  "                [--seeded-fault NAME|all] [--time-limit SECONDS] [--shrink-time SECONDS] [--jobs N|auto]",
  "                [--bootstrap HOST:PORT] [--fault-script PATH]",
  "                [--zookeeper HOST:PORT[/CHROOT]]",
  "  --target        what to check (default: embedded when built in, else model)",
  "  --runs          workloads to generate (default 100); with --seeded-fault, the run budget per fault (default: unbounded, the time limit governs)",
  "  --ops           at most this many operations per workload (default 50)",
  "  --seed          fast-check seed (default random, always printed)",
  "  --brokers       brokers at start (default 3)",
  `  --faults        fault families, comma-separated: ${Object.keys(FAULT_FAMILIES).join(", ")}; or none`,
  "  --replay        the token a failure printed; with its --seed, runs the shrunk counterexample again (its",
  "                  #fingerprint must match the case this version generates, else exit 3; none: a warning)",
  "  --json          print the result as one JSON object",
  "  --seeded-fault  switch on a seeded implementation bug (or all, one by one) and report whether it is caught",
  "  --fault-script  kafka target: an executable run as PATH crash|restart|pause|resume BROKER_ID",
  "  --zookeeper     kafka target: the cluster's zookeeper.connect; adds the metadata state invariants",
  "                  (leaders, epochs, ISRs, registrations read from ZooKeeper after every step)",
  "  --time-limit    stop after this many seconds (per seeded fault with --seeded-fault; default 60 there)",
  `  --shrink-time   shrink a failure for at most this many seconds, then report the smallest failing case found`,
  "                  (said so; its token replays it); 0: report the first failing case unshrunk. Default:",
  `                  unbounded (within --time-limit) for model and embedded, ${SHRINK_TIME_REAL_S} s for cluster and kafka`,
  "  --jobs          worker threads (default 1; auto: one per core): the runs are split between them, each with a",
  "                  seed derived from --seed (a failure prints its own seed to replay with one job); with",
  "                  --seeded-fault all, faults are hunted side by side; model and embedded targets only",
  "  exit status: 0 everything held, 1 counterexample found (or a seeded fault missed), 2 bad arguments,",
  "               3 the --replay token names a case this version does not generate",
];

async function runCheckCommand(argv: string[], io: Io, deps: CheckDeps): Promise<number> {
  try {
    return await checkOrHunt(argv, io, deps);
  } catch (e) {
    if (!(e instanceof ReplayMismatchError)) throw e;
    io.err(`kafkaspec check: ${e.message}`);
    return EXIT_REPLAY_MISMATCH;
  }
}

async function checkOrHunt(argv: string[], io: Io, deps: CheckDeps): Promise<number> {
  const args = parseCheckArgs(argv, deps.targets);
  if (args.help) {
    io.out(USAGE.join("\n"));
    return EXIT_OK;
  }
  let catalog: readonly SeededFaultEntry[] = [];
  if (args.seededFault !== undefined) {
    const all = await deps.catalog();
    catalog = args.seededFault === "all" ? all : all.filter((f) => f.name === args.seededFault);
    if (catalog.length === 0)
      throw new UsageError(
        `unknown seeded fault "${args.seededFault}" (known: ${all.map((f) => f.name).join(", ")}, or all)`,
      );
  }
  const targetOptions: TargetOptions = { brokers: args.brokers };
  if (args.bootstrap !== undefined) targetOptions.bootstrap = args.bootstrap;
  if (args.faultScript !== undefined) targetOptions.faultScript = args.faultScript;
  if (args.zookeeper !== undefined) targetOptions.zookeeper = args.zookeeper;
  const factory: () => Target = await deps.targets[args.target].load(targetOptions);
  const suite = await deps.suite();
  const progressEvery = Math.max(1, Math.min(10, Math.round(args.runs / 20)));
  let lastProgressMs = 0;
  const base: RunCheckOptions = {
    target: factory,
    checker: suite.checker,
    invariants: suite.invariants,
    assign: suite.assign,
    customPartitioners: suite.customPartitioners,
    runs: args.runs,
    opsPerRun: args.ops,
    seed: args.seed,
    faults: args.faults,
    brokers: args.brokers,
    progressEvery,
    // One line at most every two seconds: short checks stay quiet, long ones show they are alive.
    onProgress: (p) => {
      if (p.elapsedMs - lastProgressMs < PROGRESS_INTERVAL_MS) return;
      lastProgressMs = p.elapsedMs;
      io.err(
        `[kafkaspec] ${p.phase === "running" ? `${p.runs}/${args.runs} runs` : `shrinking (${p.shrinkRuns} tries)`}, ${p.operations} operations, ${formatSeconds(p.elapsedMs)}`,
      );
    },
  };
  if (args.replay !== undefined) base.replay = args.replay;
  if (args.shrinkTimeS !== undefined) base.shrinkTimeMs = args.shrinkTimeS * 1000;
  // Worker threads build the target themselves, through this module's loadTargetFactory.
  const targetRef: TargetRef = {
    module: new URL("./check.ts", import.meta.url).href,
    export: "loadTargetFactory",
    arg: { target: args.target, options: targetOptions },
  };
  if (args.seededFault !== undefined) return huntCommand(args, base, catalog, io, targetRef);
  if (args.timeLimitS !== undefined) base.timeLimitMs = args.timeLimitS * 1000;

  const result =
    args.jobs > 1
      ? await runCheckJobs(
          // This thread runs job 0 with what it loaded; jobs - 1 worker threads run the rest.
          { target: targetRef, jobs: args.jobs, local: base },
          jobCheckOptions(base),
          base.onProgress,
        )
      : await runCheck(base);
  // The text report carries the warning itself; JSON has it as a field, so say it on stderr too.
  if (args.json && result.replayWarning !== undefined) io.err(`[kafkaspec] warning: ${result.replayWarning}`);
  const reproduce =
    result.failure !== undefined ? reproduceLine(args, result.failure.seed, result.failure.replay) : "";
  io.out(args.json ? resultJSON(result, reproduce) : formatResult(result, reproduce));
  return result.ok ? EXIT_OK : EXIT_FAILED;
}

/** CAUGHT, MISSED, or UNATTRIBUTED when the counterexample fails without the fault as well. */
function huntVerdict(h: HuntResult): string {
  return h.caught ? "CAUGHT" : h.failsWithoutFault ? "UNATTRIBUTED" : "MISSED";
}

/** The hunt's one-line account of shrinking: a case cut short by the budget is not called shrunk. */
function huntShrink(f: FailureReport): string {
  const sizes = `${f.originalOperations} to ${f.operations.length} operations (${f.shrinks} shrinks`;
  const spent = formatSeconds(f.shrinkMs ?? 0);
  switch (f.shrinking ?? "complete") {
    case "budget":
      return `smallest found in the shrink budget: ${sizes} in ${spent}, shrinking stopped)`;
    case "time-limit":
      return `smallest found before the time limit: ${sizes} in ${spent}, shrinking stopped)`;
    case "off":
      return `not shrunk: ${f.operations.length} operations`;
    case "replay":
      return `replayed as given: ${f.operations.length} operations`;
    default:
      return `shrunk from ${sizes})`;
  }
}

async function huntCommand(
  args: CheckArgs,
  base: RunCheckOptions,
  catalog: readonly SeededFaultEntry[],
  io: Io,
  targetRef: TargetRef,
): Promise<number> {
  const timeMs = (args.timeLimitS ?? 60) * 1000;
  const budget = { runs: args.runs, timeMs };
  const onResult = (h: HuntResult) => {
    if (h.result.replayWarning !== undefined) io.err(`[kafkaspec] warning: ${h.result.replayWarning}`);
    if (!args.json)
      io.err(
        `[kafkaspec] ${h.name}: ${huntVerdict(h).toLowerCase()} after ${formatSeconds(h.timeMs)} (${h.runs} runs)`,
      );
  };
  // With jobs, several faults are hunted at once, one per worker (each with the whole budget).
  const results =
    args.jobs > 1 && catalog.length > 1
      ? await huntSeededFaultsJobs(
          {
            target: targetRef,
            jobs: args.jobs,
            catalog: {
              module: new URL("../../impl/faults/catalog.ts", import.meta.url).href,
              export: "SEEDED_FAULTS",
            },
          },
          catalog.map((e) => e.name),
          jobCheckOptions(base),
          budget,
          onResult,
        )
      : await huntSeededFaults(catalog, base, budget, onResult);
  const caught = results.filter((r) => r.caught).length;
  // A hunt's profile may set the brokers and operations per run: its reproduce line says what ran.
  const shaped = (name: string): CheckArgs => {
    const profile = catalog.find((e) => e.name === name)?.profile;
    return { ...args, brokers: profile?.brokers ?? args.brokers, ops: profile?.opsPerRun ?? args.ops };
  };
  if (args.json) {
    io.out(
      JSON.stringify({
        ok: caught === results.length,
        target: args.target,
        seed: args.seed,
        budget: { runs: args.runs, timeMs },
        caught,
        total: results.length,
        faults: results.map((r) => ({
          name: r.name,
          description: r.description,
          caught: r.caught,
          ...(r.failsWithoutFault !== undefined ? { failsWithoutFault: r.failsWithoutFault } : {}),
          runs: r.runs,
          timeMs: r.timeMs,
          totalMs: r.totalMs,
          ...(r.result.failure !== undefined
            ? {
                seed: r.result.failure.seed,
                replay: r.result.failure.replay,
                reproduce: reproduceLine(
                  shaped(r.name),
                  r.result.failure.seed,
                  r.result.failure.replay,
                  r.name,
                ),
                originalOperations: r.result.failure.originalOperations,
                shrinks: r.result.failure.shrinks,
                shrinking: r.result.failure.shrinking ?? "complete",
                shrinkMs: r.result.failure.shrinkMs ?? 0,
                operations: r.result.failure.operations,
                findings: r.result.failure.findings,
              }
            : {}),
        })),
      }),
    );
  } else {
    io.out(
      `kafkaspec check --seeded-fault: target ${args.target}, seed ${args.seed}, budget ${args.runs} runs or ${formatSeconds(timeMs)} per fault`,
    );
    for (const r of results) {
      io.out("");
      io.out(`${huntVerdict(r)} ${r.name} (${r.runs} runs, ${formatSeconds(r.timeMs)}): ${r.description}`);
      if (r.failsWithoutFault)
        io.out("  the counterexample fails with the fault off too: a bug outside this seeded fault");
      const f = r.result.failure;
      if (f === undefined) continue;
      io.out(
        `  seed ${f.seed}, run seed ${f.runSeed}: failed after ${formatSeconds(r.timeMs)}; ${huntShrink(f)}, ` +
          `${formatSeconds(r.totalMs)} in all`,
      );
      io.out(`  reproduce: ${reproduceLine(shaped(r.name), f.seed, f.replay, r.name)}`);
      for (const x of f.findings) io.out(`  broken: ${x.invariant}: ${x.message}`);
      for (const op of f.operations) io.out(`    ${op}`);
    }
    io.out("");
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results)
      io.out(
        `  ${r.name.padEnd(width)}  ${huntVerdict(r).padEnd(12)}  ${formatSeconds(r.timeMs).padStart(8)}  ${r.runs} runs`,
      );
    io.out(`${caught} of ${results.length} seeded faults caught`);
  }
  return caught === results.length ? EXIT_OK : EXIT_FAILED;
}
