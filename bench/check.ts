/**
 * The suite's speed on the embedded target: checked operations per second (goal 10,000/s on a 2-core
 * machine), the simulator alone without the checker, and the time to catch each seeded fault (goal
 * under 60 s each).
 *
 * The checked figure is given twice, for the same workload (same seed): in a fresh process, where V8
 * still interprets most of the model, brokers and checkers (what one `kafkaspec check` of a few hundred
 * runs sees), and again after `--warmup` more runs of other seeds (what a long check or a hunt sees).
 * Both per wall-clock second and per CPU second of this process: the machine is shared, so the load
 * average is printed too.
 *
 * Then the same two figures with the runs split over `--jobs` worker threads (default: the available
 * cores; spec/jobs.ts): wall-clock ops/s with every core busy, and per CPU second summed over threads.
 *
 *   node bin/run-ts.mjs bench/check.ts [--runs 300] [--seed 1] [--warmup 900] [--jobs N|0] [--hunt-runs 3000] [--hunt-seconds 60] [--hunt-ops 60] [--only NAME] [--skip-hunt]
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
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

/** One timed check: checked operations (client operations and faults) per wall and per CPU second. */
async function measuredCheck(
  options: RunCheckOptions,
  check: (o: RunCheckOptions) => Promise<CheckResult> = runCheck,
): Promise<{ ok: boolean; line: string }> {
  // The whole process's CPU time: with worker threads, every thread's.
  const cpu0 = process.cpuUsage();
  const result = await check(options);
  const cpu = process.cpuUsage(cpu0);
  const s = result.stats;
  const checked = s.operations + s.faults;
  const wallSeconds = s.elapsedMs / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    ok: result.ok,
    line:
      `${s.runs} runs, ${s.operations} operations + ${s.faults} faults in ${wallSeconds.toFixed(2)} s = ` +
      `${(checked / wallSeconds).toFixed(0)} ops/s (${(checked / cpuSeconds).toFixed(0)} per CPU second)` +
      ` ${result.ok ? "pass" : "FAIL"}`,
  };
}

async function main(): Promise<void> {
  const suite = await loadReferenceSuite();
  const base: RunCheckOptions = {
    target: () => createEmbeddedTarget(),
    checker: suite.checker,
    invariants: suite.invariants,
    assign: suite.assign,
    customPartitioners: suite.customPartitioners,
    runs: Number(values.runs),
    opsPerRun: 30,
    seed,
    faults: ["crash", "restart", "isolate", "session", "time"] as FaultFamily[],
    brokers: 3,
  };

  const raw = await rawThroughput(20_000);
  console.log(`simulator alone (produce/fetch/crash/restart, 3 brokers): ${raw.toFixed(0)} ops/s`);

  const cold = await measuredCheck(base);
  console.log(`checked, fresh process (JIT cold): ${cold.line}`);
  const warmupRuns = Number(values.warmup);
  for (let done = 0, i = 1; done < warmupRuns; i++) {
    const runs = Math.min(300, warmupRuns - done);
    await runCheck({ ...base, runs, seed: seed + 1000 * i });
    done += runs;
  }
  const warm = await measuredCheck(base);
  console.log(`checked, after ${warmupRuns} warm-up runs (same workload): ${warm.line}`);
  console.log(
    `  (model + ${suite.invariants.state.length} state + ${suite.invariants.history.length} history invariants; ` +
      `load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")})`,
  );
  if (!cold.ok || !warm.ok) process.exitCode = 1;

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
      const coldJobs = await measuredCheck(base, inPool);
      console.log(
        `checked, --jobs ${jobs}, this thread + ${jobs - 1} fresh worker threads: ${coldJobs.line}`,
      );
      for (let done = 0, i = 1; done < warmupRuns; i++) {
        const runs = Math.min(300 * jobs, warmupRuns - done);
        await pool.check(jobCheckOptions({ ...base, runs, seed: seed + 1000 * i }));
        done += runs;
      }
      const warmJobs = await measuredCheck(base, inPool);
      console.log(`checked, --jobs ${jobs}, after ${warmupRuns} warm-up runs in the pool: ${warmJobs.line}`);
      console.log(
        `  (wall-clock ops/s with ${jobs} threads on ${availableJobs()} cores; per CPU second summed over threads; ` +
          `the workers run --seed and seeds derived from it, so not the same runs as above; load average ${loadavg()
            .map((x) => x.toFixed(1))
            .join(" ")})`,
      );
      if (!coldJobs.ok || !warmJobs.ok) process.exitCode = 1;
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
