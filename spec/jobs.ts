/**
 * Parallel checks (`kafkaspec check --jobs N`): the runs are split over N worker threads, each running
 * `runCheck` on its share with its own fast-check seed, and the results are merged into one.
 *
 * Worker i's seed is `workerSeed(seed, i)`: worker 0 runs `--seed` itself, the others a seed derived from
 * it. A failure found by any worker is reported with that worker's seed and replay token, so
 * `kafkaspec check --seed <that seed> --replay <token>` (one job) runs the same shrunk case again.
 * The first failing run stops the other workers before their next run; the failing worker shrinks alone.
 *
 * Workers are threads in this process's pool, not processes: only for targets that live in-process
 * (model, embedded). Whatever a worker needs is passed as data: the target by module URL and export name.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { type CheckResult, emptyStats, type JobSummary, mergeStats } from "./report/types.ts";
import { type HuntResult, type Progress, type RunCheckOptions, runCheck } from "./runner.ts";

/** A module's export, named so a worker thread can import it: `(await import(module))[name]`. */
export interface ModuleRef {
  /** Absolute file: URL. */
  module: string;
  export: string;
}

/** A target a worker can build: the export is `(arg) => Promise<() => Target>` (a fresh target per run). */
export interface TargetRef extends ModuleRef {
  /** Structured-cloneable argument for the export. */
  arg?: unknown;
}

/** RunCheckOptions without the functions: what crosses into a worker. */
export type JobCheckOptions = Omit<
  RunCheckOptions,
  | "target"
  | "checker"
  | "invariants"
  | "assign"
  | "customPartitioners"
  | "onProgress"
  | "shouldStop"
  | "onFirstFailure"
  | "onRunEnd"
  | "replay"
>;

export interface JobsSetup {
  target: TargetRef;
  /** Jobs in all (at least 1): with `local`, this thread runs one of them and jobs - 1 are worker threads. */
  jobs: number;
  /** The target and reference suite as already loaded here: this thread then runs job 0 itself. */
  local?: LocalJob;
}

/** What this thread needs to run job 0 itself (the same target as `target` names, and the reference suite). */
export type LocalJob = Pick<
  RunCheckOptions,
  "target" | "checker" | "invariants" | "assign" | "customPartitioners"
>;

/** Messages between the pool and its workers. */
export type ToWorker =
  | { type: "check"; options: JobCheckOptions }
  | {
      type: "hunt";
      catalog: ModuleRef;
      fault: string;
      options: JobCheckOptions;
      budget: { runs: number; timeMs: number };
    };
export type FromWorker =
  | { type: "progress"; runs: number; shrinkRuns: number; operations: number; shrinking: boolean }
  | { type: "failed" }
  | { type: "checked"; result: CheckResult }
  | { type: "hunted"; result: HuntResult }
  | { type: "error"; message: string };

/** What a worker thread is started with. */
export interface WorkerData {
  target: TargetRef;
  /** Int32Array over a SharedArrayBuffer: [0] !== 0 asks the worker's check to stop before its next run. */
  stop: SharedArrayBuffer;
}

/** `--jobs auto`: the cores this process may use. */
export function availableJobs(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Worker i's fast-check seed: `seed` for worker 0 (so `--jobs 1` is the check it always was), a 32-bit
 * mix of seed and index for the others (SplitMix32-style finalizer: neighbouring seeds and indices land
 * far apart). Always within --seed's range (a signed 32-bit integer).
 */
export function workerSeed(seed: number, index: number): number {
  if (index === 0) return seed;
  let x = (seed ^ Math.imul(index, 0x9e3779b9)) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

/** Runs per worker: as even as possible, earlier workers take the remainder; workers with none are left out. */
export function splitRuns(runs: number, jobs: number): number[] {
  const n = Math.max(1, Math.min(jobs, runs));
  return Array.from({ length: n }, (_, i) => Math.floor(runs / n) + (i < runs % n ? 1 : 0));
}

interface Part {
  index: number;
  seed: number;
  share: number;
  result: CheckResult;
  /** Order in which workers reported their first failing run (undefined: none). */
  failedAt?: number;
}

/**
 * One result from the workers' results: counters summed, wall time the caller's, the failure that was
 * found first (its seed is its worker's seed). `timeToFailureMs` is measured by the caller across workers.
 */
export function mergeResults(
  parts: readonly Part[],
  o: { seed: number; elapsedMs: number; timeToFailureMs?: number },
): CheckResult {
  const stats = emptyStats();
  for (const p of parts) {
    mergeStats(stats, p.result.stats);
    stats.runs += p.result.stats.runs;
    stats.shrinkRuns += p.result.stats.shrinkRuns;
  }
  stats.elapsedMs = o.elapsedMs;
  stats.opsPerSecond =
    o.elapsedMs > 0 ? Math.round(((stats.operations + stats.faults) * 1000) / o.elapsedMs) : 0;
  const failing = parts
    .filter((p) => p.result.failure !== undefined)
    .sort((a, b) => (a.failedAt ?? Number.MAX_SAFE_INTEGER) - (b.failedAt ?? Number.MAX_SAFE_INTEGER))[0];
  const first = parts[0].result;
  const ok = failing === undefined && parts.every((p) => p.result.ok);
  const jobs: JobSummary[] = parts.map((p) => ({
    index: p.index,
    seed: p.seed,
    share: p.share,
    runs: p.result.stats.runs,
    ok: p.result.ok,
    interrupted: p.result.interrupted,
  }));
  return {
    ok,
    target: first.target,
    seed: o.seed,
    brokers: first.brokers,
    faultKinds: first.faultKinds,
    seededFaults: first.seededFaults,
    // Stopped because another worker failed is not a time limit: only a passing check reports it.
    interrupted: ok && parts.some((p) => p.result.interrupted),
    stats,
    ...(o.timeToFailureMs !== undefined ? { timeToFailureMs: o.timeToFailureMs } : {}),
    ...(failing?.result.failure !== undefined ? { failure: failing.result.failure } : {}),
    jobs,
  };
}

/** A pool of worker threads, each able to run one check or hunt at a time. */
class Pool {
  private readonly workers: Worker[] = [];
  readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));

  constructor(target: TargetRef, size: number) {
    const data: WorkerData = { target, stop: this.stopFlag.buffer as SharedArrayBuffer };
    for (let i = 0; i < size; i++)
      this.workers.push(new Worker(new URL("./jobs-worker-boot.mjs", import.meta.url), { workerData: data }));
  }

  get size(): number {
    return this.workers.length;
  }

  /** Send one task to worker i; resolve with its final message, passing the others to `onMessage`. */
  run<T>(
    i: number,
    task: ToWorker,
    onMessage: (m: FromWorker) => void,
    done: (m: FromWorker) => T | undefined,
  ): Promise<T> {
    const w = this.workers[i];
    return new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        w.off("message", message);
        w.off("error", error);
        w.off("exit", exit);
      };
      const message = (m: FromWorker) => {
        if (m.type === "error") {
          cleanup();
          reject(new Error(`job ${i}: ${m.message}`));
          return;
        }
        const r = done(m);
        if (r !== undefined) {
          cleanup();
          resolve(r);
        } else onMessage(m);
      };
      const error = (e: Error) => {
        cleanup();
        reject(e);
      };
      const exit = (code: number) => {
        cleanup();
        reject(new Error(`job ${i}: worker exited with code ${code}`));
      };
      w.on("message", message);
      w.on("error", error);
      w.on("exit", exit);
      w.postMessage(task);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Worker threads kept for several checks (a benchmark's warm-up and measurement, a sweep of seeds): each
 * check splits its runs over the threads, which keep their loaded modules and JIT state between checks.
 */
export class CheckPool {
  private readonly pool: Pool;

  /** `jobs` in all; with `local`, job 0 runs on this thread and only jobs - 1 threads are started. */
  constructor(
    target: TargetRef,
    readonly jobs: number,
    private readonly local?: LocalJob,
  ) {
    this.pool = new Pool(target, local === undefined ? jobs : jobs - 1);
  }

  /** One check, options.runs split over the threads (fewer threads when there are fewer runs). */
  async check(options: JobCheckOptions, onProgress?: (p: Progress) => void): Promise<CheckResult> {
    const pool = this.pool;
    const started = Date.now();
    const offset = this.local === undefined ? 0 : 1;
    const shares = splitRuns(options.runs, pool.size + offset);
    Atomics.store(pool.stopFlag, 0, 0);
    const progress = shares.map(() => ({ runs: 0, shrinkRuns: 0, operations: 0, shrinking: false }));
    const failedOrder: Array<number | undefined> = shares.map(() => undefined);
    let failures = 0;
    let timeToFailureMs: number | undefined;
    const report = () => {
      if (onProgress === undefined) return;
      const sum = (k: "runs" | "shrinkRuns" | "operations") => progress.reduce((a, p) => a + p[k], 0);
      onProgress({
        runs: sum("runs"),
        shrinkRuns: sum("shrinkRuns"),
        operations: sum("operations"),
        elapsedMs: Date.now() - started,
        phase: progress.some((p) => p.shrinking) ? "shrinking" : "running",
      });
    };
    const progressed = (index: number, p: (typeof progress)[number]) => {
      progress[index] = p;
      report();
    };
    const failed = (index: number) => {
      failedOrder[index] = failures++;
      timeToFailureMs ??= Date.now() - started;
      // The others stop before their next run; this one goes on to shrink.
      Atomics.store(pool.stopFlag, 0, 1);
    };
    const runShare = (index: number, share: number, seed: number): Promise<CheckResult> => {
      const local = this.local;
      if (index < offset && local !== undefined)
        return runCheck({
          ...options,
          ...local,
          runs: share,
          seed,
          onProgress: (p) =>
            progressed(index, {
              runs: p.runs,
              shrinkRuns: p.shrinkRuns,
              operations: p.operations,
              shrinking: p.phase === "shrinking",
            }),
          shouldStop: () => Atomics.load(pool.stopFlag, 0) !== 0,
          onFirstFailure: () => failed(index),
        });
      return pool.run<CheckResult>(
        index - offset,
        { type: "check", options: { ...options, runs: share, seed } },
        (m) => {
          if (m.type === "progress") progressed(index, m);
          else if (m.type === "failed") failed(index);
        },
        (m) => (m.type === "checked" ? m.result : undefined),
      );
    };
    const parts = await Promise.all(
      shares.map(async (share, index): Promise<Part> => {
        const seed = workerSeed(options.seed, index);
        const result = await runShare(index, share, seed);
        const failedAt = failedOrder[index];
        return { index, seed, share, result, ...(failedAt !== undefined ? { failedAt } : {}) };
      }),
    );
    return mergeResults(parts, {
      seed: options.seed,
      elapsedMs: Date.now() - started,
      ...(timeToFailureMs !== undefined ? { timeToFailureMs } : {}),
    });
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

/**
 * Run a check over `setup.jobs` worker threads (options.runs split between them) and merge the results.
 * `onProgress` sees the sum over workers.
 */
export async function runCheckJobs(
  setup: JobsSetup,
  options: JobCheckOptions,
  onProgress?: (p: Progress) => void,
): Promise<CheckResult> {
  const pool = new CheckPool(setup.target, Math.max(1, Math.min(setup.jobs, options.runs)), setup.local);
  try {
    return await pool.check(options, onProgress);
  } finally {
    await pool.close();
  }
}

/**
 * `huntSeededFaults` over worker threads: each worker hunts one fault at a time, taking the next from
 * the catalog when it is done. Results come back in catalog order; `onResult` sees each as it ends.
 * The catalog must be importable by the workers (`catalog` names it), `names` picks the entries.
 */
export async function huntSeededFaultsJobs(
  setup: JobsSetup & { catalog: ModuleRef },
  names: readonly string[],
  options: JobCheckOptions,
  budget: { runs: number; timeMs: number },
  onResult?: (r: HuntResult) => void,
): Promise<HuntResult[]> {
  const pool = new Pool(setup.target, Math.max(1, Math.min(setup.jobs, names.length)));
  const results: HuntResult[] = new Array(names.length);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: pool.size }, async (_, w) => {
        while (next < names.length) {
          const i = next++;
          const result = await pool.run<HuntResult>(
            w,
            { type: "hunt", catalog: setup.catalog, fault: names[i], options, budget },
            () => {},
            (m) => (m.type === "hunted" ? m.result : undefined),
          );
          results[i] = result;
          onResult?.(result);
        }
      }),
    );
    return results;
  } finally {
    await pool.close();
  }
}

/** The data part of a check's options (what a worker needs besides the target and the reference suite). */
export function jobCheckOptions(o: RunCheckOptions): JobCheckOptions {
  const {
    target: _target,
    checker: _checker,
    invariants: _invariants,
    assign: _assign,
    customPartitioners: _custom,
    onProgress: _progress,
    shouldStop: _stop,
    onFirstFailure: _first,
    onRunEnd: _runEnd,
    replay: _replay,
    ...data
  } = o;
  return data;
}
