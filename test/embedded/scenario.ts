/**
 * A hand-written scenario through the whole suite: operations run one at a time against the embedded
 * target, every outcome goes to the reference model, every step's observation to the state invariants,
 * and the history to the history invariants at the end. Returns every complaint, so a test can assert
 * that a seeded fault is caught and that the same scenario passes without it.
 */

import { createEmbeddedTarget, type EmbeddedTarget } from "../../impl/embedded/index.ts";
import { ClusterModel } from "../../model/index.ts";
import type { ClusterSetup, Observation } from "../../spec/adapter.ts";
import { History } from "../../spec/history.ts";
import { checkHistory, checkState } from "../../spec/invariants/index.ts";
import { type ClientOp, type Fault, isFault, type Operation, type Outcome } from "../../spec/operations.ts";

export interface ScenarioResult {
  complaints: string[];
  outcomes: Outcome[];
  history: History;
  target: EmbeddedTarget;
  last: Observation;
}

/**
 * A step is an operation, a function that picks one from what the cluster looks like now, or an
 * operation started in the background (a JoinGroup that waits for the rest of the group).
 */
export type Step = Operation | ((o: Observation) => Operation | null) | { background: ClientOp };

export async function runScenario(setup: Partial<ClusterSetup>, steps: Step[]): Promise<ScenarioResult> {
  const full: ClusterSetup = { brokers: 3, seed: 1, config: {}, ...setup };
  const target = createEmbeddedTarget();
  const checker = new ClusterModel();
  await target.start(full);
  checker.begin(full);
  const history = new History();
  const complaints: string[] = [];
  const outcomes: Outcome[] = [];
  let prev = await target.observe();
  const finished: Array<{ op: Operation; outcome: Outcome; inv: ReturnType<History["invoke"]> }> = [];
  const record = (op: Operation, outcome: Outcome, inv: ReturnType<History["invoke"]>) => {
    history.complete(inv, outcome, target.sim.now);
    outcomes.push(outcome);
    const verdict = checker.check(op as ClientOp | Fault, outcome);
    if (!verdict.ok) complaints.push(`model: ${verdict.reason}`);
  };
  const drain = async () => {
    await new Promise((r) => setImmediate(r));
    for (const f of finished.splice(0)) record(f.op, f.outcome, f.inv);
  };
  for (const step of steps) {
    if (typeof step === "object" && "background" in step) {
      const op = step.background;
      const inv = history.invoke(op.kind, op, target.sim.now);
      void target.execute(op).then((outcome) => finished.push({ op, outcome, inv }));
      await drain();
      continue;
    }
    const op = typeof step === "function" ? step(prev) : step;
    if (op === null) continue;
    const process = isFault(op) ? "nemesis" : "client";
    const inv = history.invoke(process, op, target.sim.now);
    const outcome = isFault(op) ? await target.inject(op as Fault) : await target.execute(op as ClientOp);
    await drain();
    record(op, outcome, inv);
    await target.settle();
    await drain();
    const now = await target.observe();
    for (const v of checkState(now, prev)) complaints.push(`${v.invariant}: ${v.message}`);
    const adopted = checker.adopt(now);
    if (!adopted.ok) complaints.push(`adopt: ${adopted.reason}`);
    prev = now;
  }
  for (const v of checkHistory(history)) complaints.push(`${v.invariant}: ${v.message}`);
  return { complaints, outcomes, history, target, last: prev };
}

/** Helpers that read an observation. */
export const partitionOf = (o: Observation, topic: string, partition = 0) =>
  o.partitions.find((p) => p.topic === topic && p.partition === partition)!;

export const produce = (value: string, acks: 0 | 1 | -1 = -1, topic = "t", partition = 0): ClientOp => ({
  kind: "produce",
  producer: "p",
  topic,
  key: null,
  value,
  partitioner: { kind: "explicit", partition },
  acks,
  idempotent: false,
});

export const fetchAll = (topic = "t", partition = 0): ClientOp => ({
  kind: "fetch",
  consumer: "c",
  topic,
  partition,
  offset: 0,
  maxRecords: 100,
});
