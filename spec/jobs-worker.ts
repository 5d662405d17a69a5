/**
 * One worker thread of the parallel check (spec/jobs.ts): builds the target from its module reference,
 * loads the reference suite once, then runs the checks and hunts the pool sends, one at a time.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Target } from "./adapter.ts";
import type { FromWorker, JobCheckOptions, ToWorker, WorkerData } from "./jobs.ts";
import {
  huntSeededFaults,
  loadReferenceSuite,
  type RunCheckOptions,
  runCheck,
  type SeededFaultEntry,
} from "./runner.ts";

const data = workerData as WorkerData;
const stop = new Int32Array(data.stop);
const port = parentPort!;
const send = (m: FromWorker) => port.postMessage(m);

const ready = (async () => {
  const mod = (await import(data.target.module)) as Record<string, (arg: unknown) => Promise<() => Target>>;
  const target = await mod[data.target.export](data.target.arg);
  return { target, suite: await loadReferenceSuite() };
})();

async function options(o: JobCheckOptions): Promise<RunCheckOptions> {
  const { target, suite } = await ready;
  return {
    ...o,
    target,
    checker: suite.checker,
    invariants: suite.invariants,
    assign: suite.assign,
    customPartitioners: suite.customPartitioners,
  };
}

async function handle(task: ToWorker): Promise<FromWorker> {
  if (task.type === "check") {
    const result = await runCheck({
      ...(await options(task.options)),
      onProgress: (p) =>
        send({
          type: "progress",
          runs: p.runs,
          shrinkRuns: p.shrinkRuns,
          operations: p.operations,
          shrinking: p.phase === "shrinking",
        }),
      shouldStop: () => Atomics.load(stop, 0) !== 0,
      onFirstFailure: () => send({ type: "failed" }),
    });
    return { type: "checked", result };
  }
  const catalog = (await import(task.catalog.module))[task.catalog.export] as readonly SeededFaultEntry[];
  const entry = catalog.find((e) => e.name === task.fault);
  if (entry === undefined) throw new Error(`no seeded fault "${task.fault}" in ${task.catalog.module}`);
  const [result] = await huntSeededFaults([entry], await options(task.options), task.budget);
  return { type: "hunted", result };
}

port.on("message", (task: ToWorker) => {
  handle(task).then(send, (e: unknown) =>
    send({ type: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
  );
});
