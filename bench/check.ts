/**
 * The suite's speed on the embedded target: checked operations per second (goal 10,000/s on a 2-core
 * machine), the simulator alone without the checker, and the time to catch each seeded fault (goal
 * under 60 s each).
 *
 * The checked figure is given twice, for the same workload (same seed): in fresh processes (a child
 * process each, `--fresh` of them, whose first work is this check: V8 still interprets most of the
 * model, brokers and checkers, as in one `kafkaspec check` of a few hundred runs), and in this process
 * after `--warmup` more runs of other seeds (what a long check or a hunt sees), `--repeat` times. The
 * median is the figure; the spread is printed beside it. A step is a client operation or a fault: each
 * is one invocation in the history, judged by the model, with the state invariants checked after it.
 * The measured window is the check alone (from runCheck's start to its result); module loading (tsx,
 * the model, the brokers) is outside it and printed apart, for fresh processes, as time to first run.
 * Both per wall-clock second and per CPU second (of the process: with worker threads, of all of them):
 * the machine is shared, so the load average is printed too.
 *
 * Then the same two figures with the runs split over `--jobs` worker threads (default: the available
 * cores; spec/jobs.ts): wall-clock ops/s with every core busy, and per CPU second summed over threads.
 *
 *   node bin/run-ts.mjs bench/check.ts [--runs 300] [--ops 30] [--seed 1] [--fresh 3] [--warmup 900] [--repeat 3]
 *     [--jobs N|0] [--hunt-runs 3000] [--hunt-seconds 60] [--hunt-ops 60] [--only NAME] [--skip-hunt]
 */
import { execFile } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { createEmbeddedTarget } from "../impl/embedded/index.ts";
import { SEEDED_FAULTS } from "../impl/faults/catalog.ts";
import { Prng } from "../impl/sim/prng.ts";
import { availableJobs, CheckPool, jobCheckOptions } from "../spec/jobs.ts";
import type { ClientOp, Fault, FaultFamily } from "../spec/operations.ts";
import { isFault } from "../spec/operations.ts";
import type { CheckResult } from "../spec/report/types.ts";
import { huntSeededFaults, loadReferenceSuite, type RunCheckOptions, runCheck } from "../spec/runner.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "300" },
    /** Operations per run (the bench's workload since session 1; `kafkaspec check` defaults to 50). */
    ops: { type: "string", default: "30" },
    /** Fresh child processes measured (0: skip). */
    fresh: { type: "string", default: "3" },
    /** Warm measurements of the same check after the warm-up; the median is reported. */
    repeat: { type: "string", default: "3" },
    /** Internal: this process is one fresh measurement; print it as JSON and exit. */
    "fresh-child": { type: "boolean", default: false },
    /** Runs (of other seeds) between the cold and the warm measurement. */
    warmup: { type: "string", default: "900" },
    seed: { type: "string", default: "1" },
    "hunt-runs": { type: "string", default: "3000" },
    "hunt-seconds": { type: "string", default: "60" },
    only: { type: "string" },
    /** Worker threads for the parallel figures (0: skip them). */
    jobs: { type: "string", default: String(availableJobs()) },
    "skip-hunt": { type: "boolean", default: false },
    /** Longer runs reach deeper fault sequences (crash, time, restart, crash...). */
    "hunt-ops": { type: "string", default: "60" },
  },
});
const seed = Number(values.seed);

/** The simulator and brokers alone: a seeded mix of produces, fetches and faults, no checker. */
async function rawThroughput(ops: number): Promise<number> {
  const target = createEmbeddedTarget();
  await target.start({ brokers: 3, seed, config: {} });
  const r = new Prng(seed);
  const create: ClientOp = {
    kind: "createTopic",
    topic: "t",
    partitions: 4,
    replicationFactor: 3,
    config: { minInsyncReplicas: 2 },
  };
  await target.execute(create);
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) {
    const x = r.int(0, 99);
    let op: ClientOp | Fault;
    if (x < 55) {
      op = {
        kind: "produce",
        producer: "p",
        topic: "t",
        key: `k${r.int(0, 50)}`,
        value: `v${i}`,
        partitioner: { kind: "murmur2" },
        acks: -1,
        idempotent: false,
      };
    } else if (x < 95)
      op = {
        kind: "fetch",
        consumer: "c",
        topic: "t",
        partition: r.int(0, 3),
        offset: r.int(0, 20),
        maxRecords: 10,
      };
    else if (x < 97) op = { kind: "crash", broker: r.int(1, 3) };
    else if (x < 99) op = { kind: "restart", broker: r.int(1, 3) };
    else op = { kind: "advanceTime", ms: 20_000 };
    if (isFault(op)) await target.inject(op);
    else await target.execute(op);
    await target.settle();
  }
  return ops / ((performance.now() - t0) / 1000);
}

/** One timed check: what it ran, and how long it took by the wall clock and in CPU time. */
interface Measurement {
  ok: boolean;
  runs: number;
  operations: number;
  faults: number;
  wallMs: number;
  cpuMs: number;
  /** Fresh processes: from the process's start to the check's (loading tsx, the model, the brokers). */
  startupMs?: number;
}

async function measure(
  options: RunCheckOptions,
  check: (o: RunCheckOptions) => Promise<CheckResult> = runCheck,
): Promise<Measurement> {
  // The whole process's CPU time: with worker threads, every thread's.
  const cpu0 = process.cpuUsage();
  const result = await check(options);
  const cpu = process.cpuUsage(cpu0);
  const s = result.stats;
  return {
    ok: result.ok,
    runs: s.runs,
    operations: s.operations,
    faults: s.faults,
    wallMs: s.elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

const steps = (m: Measurement) => m.operations + m.faults;
const perSecond = (m: Measurement) => (steps(m) * 1000) / m.wallMs;
const perCpuSecond = (m: Measurement) => (steps(m) * 1000) / m.cpuMs;

/** The median measurement (by steps per wall second) and the range of all of them. */
function summary(ms: readonly Measurement[]): string {
  const sorted = [...ms].sort((x, y) => perSecond(x) - perSecond(y));
  const m = sorted[(sorted.length - 1) >> 1];
  const range =
    ms.length > 1
      ? ` [${ms.length} measurements: ${perSecond(sorted[0]).toFixed(0)}-${perSecond(sorted[sorted.length - 1]).toFixed(0)}]`
      : "";
  return (
    `${m.runs} runs, ${m.operations} operations + ${m.faults} faults in ${(m.wallMs / 1000).toFixed(2)} s = ` +
    `${perSecond(m).toFixed(0)} steps/s (${perCpuSecond(m).toFixed(0)} per CPU second)${range}` +
    ` ${ms.every((x) => x.ok) ? "pass" : "FAIL"}`
  );
}

const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

/** The bench's own check: the steps it counts are client operations and faults. */
async function benchOptions(): Promise<RunCheckOptions> {
  const suite = await loadReferenceSuite();
  return {
    target: () => createEmbeddedTarget(),
    checker: suite.checker,
    invariants: suite.invariants,
    assign: suite.assign,
    customPartitioners: suite.customPartitioners,
    runs: Number(values.runs),
    opsPerRun: Number(values.ops),
    seed,
    faults: ["crash", "restart", "isolate", "session", "time"] as FaultFamily[],
    brokers: 3,
  };
}

/** One fresh process: this script again with --fresh-child, timed from spawn to exit. */
async function freshProcess(): Promise<Measurement & { processMs: number }> {
  const script = fileURLToPath(import.meta.url);
  const runTs = fileURLToPath(new URL("../bin/run-ts.mjs", import.meta.url));
  const t0 = performance.now();
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [
      runTs,
      script,
      "--fresh-child",
      "--runs",
      String(values.runs),
      "--ops",
      String(values.ops),
      "--seed",
      String(seed),
    ],
    { maxBuffer: 1 << 20 },
  );
  const processMs = performance.now() - t0;
  return { ...(JSON.parse(stdout.trim().split("\n").pop()!) as Measurement), processMs };
}

async function main(): Promise<void> {
  if (values["fresh-child"]) {
    const startupMs = performance.now();
    const m = await measure(await benchOptions());
    console.log(JSON.stringify({ ...m, startupMs }));
    return;
  }
  const base = await benchOptions();
  console.log(
    `steps = client operations + faults, each checked by the model and followed by ${base.invariants.state.length} ` +
      `state invariants; ${base.invariants.history.length} history invariants per run; load average before ${load()}`,
  );

  const freshCount = Number(values.fresh);
  if (freshCount > 0) {
    const fresh: Array<Measurement & { processMs: number }> = [];
    for (let i = 0; i < freshCount; i++) fresh.push(await freshProcess());
    const startup = fresh.map((f) => f.startupMs ?? 0).sort((x, y) => x - y)[(fresh.length - 1) >> 1];
    const whole = fresh.map((f) => f.processMs).sort((x, y) => x - y)[(fresh.length - 1) >> 1];
    console.log(`checked, fresh process (JIT cold): ${summary(fresh)}`);
    console.log(
      `  (median process start to first run ${(startup / 1000).toFixed(2)} s, whole process ${(whole / 1000).toFixed(2)} s; load average ${load()})`,
    );
    if (!fresh.every((f) => f.ok)) process.exitCode = 1;
  }

  const raw = await rawThroughput(20_000);
  console.log(
    `simulator alone (produce/fetch/crash/restart, 3 brokers, no checker): ${raw.toFixed(0)} ops/s`,
  );

  const warmupRuns = Number(values.warmup);
  for (let done = 0, i = 1; done < warmupRuns; i++) {
    const runs = Math.min(300, warmupRuns - done);
    await runCheck({ ...base, runs, seed: seed + 1000 * i });
    done += runs;
  }
  const warm: Measurement[] = [];
  for (let i = 0; i < Math.max(1, Number(values.repeat)); i++) warm.push(await measure(base));
  console.log(`checked, one thread after ${warmupRuns} warm-up runs (same workload): ${summary(warm)}`);
  console.log(`  (load average ${load()})`);
  if (!warm.every((w) => w.ok)) process.exitCode = 1;

  const jobs = Number(values.jobs);
  if (jobs > 1) {
    // As `check --jobs` does: job 0 on this (already warm) thread, jobs - 1 fresh worker threads that
    // load tsx, the model and the brokers anew: the first figure pays their start and cold JIT.
    const pool = new CheckPool(
      {
        module: new URL("../cli/commands/check.ts", import.meta.url).href,
        export: "loadTargetFactory",
        arg: { target: "embedded", options: { brokers: 3 } },
      },
      jobs,
      base,
    );
    try {
      const inPool = (o: RunCheckOptions) => pool.check(jobCheckOptions(o));
      const coldJobs = await measure(base, inPool);
      console.log(
        `checked, --jobs ${jobs}, this thread + ${jobs - 1} fresh worker threads: ${summary([coldJobs])}`,
      );
      for (let done = 0, i = 1; done < warmupRuns; i++) {
        const runs = Math.min(300 * jobs, warmupRuns - done);
        await pool.check(jobCheckOptions({ ...base, runs, seed: seed + 1000 * i }));
        done += runs;
      }
      const warmJobs: Measurement[] = [];
      for (let i = 0; i < Math.max(1, Number(values.repeat)); i++) warmJobs.push(await measure(base, inPool));
      console.log(
        `checked, --jobs ${jobs}, after ${warmupRuns} warm-up runs in the pool: ${summary(warmJobs)}`,
      );
      console.log(
        `  (wall-clock steps/s with ${jobs} threads on ${availableJobs()} cores; per CPU second summed over threads; ` +
          `the workers run --seed and seeds derived from it, so not the same runs as above; load average ${load()})`,
      );
      if (!coldJobs.ok || !warmJobs.every((w) => w.ok)) process.exitCode = 1;
    } finally {
      await pool.close();
    }
  }
  if (values["skip-hunt"]) return;

  const catalog = SEEDED_FAULTS.filter((f) => values.only === undefined || f.name === values.only);
  console.log(`\nseeded faults (budget ${values["hunt-runs"]} runs or ${values["hunt-seconds"]} s each):`);
  const results = await huntSeededFaults(
    catalog,
    { ...base, opsPerRun: Number(values["hunt-ops"]) },
    { runs: Number(values["hunt-runs"]), timeMs: Number(values["hunt-seconds"]) * 1000 },
    (h) => {
      const what = h.caught
        ? `caught in ${(h.timeMs / 1000).toFixed(2)} s (${h.runs} runs)`
        : `MISSED after ${(h.timeMs / 1000).toFixed(1)} s (${h.runs} runs)`;
      const by = h.caught
        ? ` by ${[...new Set(h.result.failure?.findings.map((f) => f.invariant))].join(", ")}`
        : "";
      console.log(`  ${h.name.padEnd(32)} ${what}${by}`);
    },
  );
  const caught = results.filter((r) => r.caught).length;
  console.log(`caught ${caught} of ${results.length}`);
}

await main();
