/**
 * One run of a workload against a target: the steps, the in-flight operations, the history, the
 * checks. Operations are concurrent across clients: `execute` may stay pending (a JoinGroup waits for
 * its group) while other clients go on; a process has at most one operation in flight. Every completion
 * is recorded, judged by the reference model and folded into the clients' state; after each step the
 * target settles and, if it can be observed, the state invariants run. Any finding ends the run by
 * throwing `RunFailed`, which is what fast-check shrinks on.
 */
import type { ClusterSetup, Observation, OutcomeChecker, Target } from "../adapter.ts";
import { History, type InvokeEvent, NEMESIS } from "../history.ts";
import type { HistoryInvariant, StateInvariant } from "../invariants/types.ts";
import { type ClientOp, type Fault, isFault, type Operation, type Outcome } from "../operations.ts";
import { bump, type CheckStats, emptyStats, type Finding } from "../report/types.ts";
import { type BuildContext, buildOp } from "./build.ts";
import { type Intent, intentProcess } from "./intents.ts";
import { applyOutcome, initialState, rolesOf, type WorkloadState } from "./state.ts";

export interface InvariantSuite {
  history: readonly HistoryInvariant[];
  state: readonly StateInvariant[];
}

export interface ExecutionOptions {
  target: Target;
  checker: OutcomeChecker;
  invariants: InvariantSuite;
  build: BuildContext;
  setup: ClusterSetup;
  /** Virtual time the end phase advances so that pending operations (JoinGroups) can complete. */
  finalAdvanceMs: number;
  /** Real targets: how long the end phase waits for pending operations. */
  finalWaitMs: number;
}

export const MODEL_OUTCOME = "model-outcome";
export const MODEL_ADOPT = "model-adopt";

export class RunFailed extends Error {
  constructor(readonly findings: Finding[]) {
    super(findings.map((f) => `${f.invariant}: ${f.message}`).join("; "));
    this.name = "RunFailed";
  }
}

const drainMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

function isOutcome(x: unknown): x is Outcome {
  if (typeof x !== "object" || x === null) return false;
  const s = (x as { status?: unknown }).status;
  return s === "ok" || s === "failed" || s === "unknown";
}

export class RunExecution {
  readonly state: WorkloadState;
  readonly history = new History();
  readonly findings: Finding[] = [];
  readonly stats: CheckStats = emptyStats();
  private readonly inflight = new Set<Promise<void>>();
  private previous: Observation | undefined;
  private readonly startedAt = Date.now();
  private started = false;
  // Checks counted as plain numbers per step and folded into stats.invariantChecks once (finalStats):
  // a string-keyed record bumped ten times a step showed in profiles.
  private observations = 0;
  private adoptions = 0;
  private outcomeChecks = 0;

  /** The state invariants this target's observations can feed (Capabilities.observe). */
  private readonly stateInvariants: readonly StateInvariant[];

  constructor(private readonly o: ExecutionOptions) {
    this.state = initialState(o.setup.brokers);
    this.stateInvariants =
      o.target.capabilities.observe === "metadata"
        ? o.invariants.state.filter((i) => i.needs === "metadata")
        : o.invariants.state;
  }

  get target(): Target {
    return this.o.target;
  }

  /** Milliseconds since the run began: virtual on simulated targets, real otherwise. */
  now(): number {
    return this.o.target.capabilities.virtualTime ? this.state.virtualTimeMs : Date.now() - this.startedAt;
  }

  async start(): Promise<void> {
    this.o.checker.begin(this.o.setup);
    this.started = true;
    await this.o.target.start(this.o.setup);
    await this.quiesce();
    this.throwIfFailed();
  }

  /** Whether the intent applies now: it builds an operation and its process is idle. */
  canRun(intent: Intent): boolean {
    return !this.state.busy.has(intentProcess(intent)) && buildOp(intent, this.state, this.o.build) !== null;
  }

  async step(intent: Intent): Promise<void> {
    // canRun's test, building the operation once (buildOp is pure).
    const op = this.state.busy.has(intentProcess(intent)) ? null : buildOp(intent, this.state, this.o.build);
    if (op === null) {
      this.stats.skippedSteps++;
      return;
    }
    this.launch(intentProcess(intent), op);
    await this.quiesce();
    this.throwIfFailed();
  }

  /** End phase: let pending operations finish, then check the whole history. */
  async finish(): Promise<void> {
    const caps = this.o.target.capabilities;
    if (this.inflight.size > 0) {
      if (caps.virtualTime && caps.faults.includes("advanceTime")) {
        this.launch(NEMESIS, { kind: "advanceTime", ms: this.o.finalAdvanceMs });
        await this.quiesce();
      } else if (!caps.virtualTime) {
        let timer: NodeJS.Timeout | undefined;
        const wait = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, this.o.finalWaitMs);
        });
        await Promise.race([Promise.all(this.inflight), wait]);
        clearTimeout(timer);
        await this.quiesce();
      }
    }
    this.stats.outcomes.pending += this.history.pending().length;
    for (const inv of this.o.invariants.history) {
      bump(this.stats.invariantChecks, inv.name);
      for (const v of this.guard(inv.name, () => inv.check(this.history)))
        this.findings.push({
          source: "history",
          invariant: v.invariant,
          message: v.message,
          events: v.events,
        });
    }
    this.throwIfFailed();
  }

  /** The run's counters, with the per-step check counts folded in. */
  finalStats(): CheckStats {
    if (this.observations > 0)
      for (const inv of this.stateInvariants) bump(this.stats.invariantChecks, inv.name, this.observations);
    if (this.outcomeChecks > 0) bump(this.stats.invariantChecks, MODEL_OUTCOME, this.outcomeChecks);
    if (this.adoptions > 0) bump(this.stats.invariantChecks, MODEL_ADOPT, this.adoptions);
    this.observations = this.adoptions = this.outcomeChecks = 0;
    return this.stats;
  }

  async stop(): Promise<void> {
    if (this.started) await this.o.target.stop();
  }

  private launch(process: string, op: Operation): void {
    const inv = this.history.invoke(process, op, this.now());
    // The checker counts operations in flight exactly (possible writes, commits) instead of one per client.
    this.o.checker.invoke?.(op as ClientOp | Fault);
    if (op.kind === "produce") this.state.nextValue++;
    this.state.busy.add(process);
    if (isFault(op)) {
      this.stats.faults++;
      bump(this.stats.faultsByKind, op.kind);
    } else {
      this.stats.operations++;
      bump(this.stats.operationsByKind, op.kind);
    }
    let call: Promise<Outcome>;
    try {
      call = isFault(op) ? this.o.target.inject(op as Fault) : this.o.target.execute(op as ClientOp);
    } catch (e) {
      call = Promise.reject(e);
    }
    const done = call.then(
      (outcome) => this.complete(inv, op, outcome),
      (error: unknown) => this.targetError(inv, error),
    );
    this.inflight.add(done);
    void done.finally(() => this.inflight.delete(done));
  }

  private complete(inv: InvokeEvent, op: Operation, outcome: Outcome): void {
    if (!isOutcome(outcome)) {
      this.targetError(inv, new Error(`not an outcome: ${JSON.stringify(outcome)}`));
      return;
    }
    const ev = this.history.complete(inv, outcome, this.now());
    this.state.busy.delete(inv.process);
    this.stats.outcomes[outcome.status]++;
    if (outcome.status !== "ok" && outcome.error !== undefined) bump(this.stats.errors, outcome.error);
    this.outcomeChecks++;
    const verdict = this.guardVerdict(MODEL_OUTCOME, () =>
      this.o.checker.check(op as ClientOp | Fault, outcome),
    );
    if (!verdict.ok)
      this.findings.push({
        source: "model",
        invariant: MODEL_OUTCOME,
        message: verdict.reason,
        events: [inv.index, ev.index],
      });
    applyOutcome(this.state, op, outcome);
  }

  /** The adapter threw instead of returning an outcome: a broken contract, reported as such. */
  private targetError(inv: InvokeEvent, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const ev = this.history.complete(
      inv,
      { status: "unknown", message: `target threw: ${message}` },
      this.now(),
    );
    this.state.busy.delete(inv.process);
    this.stats.outcomes.unknown++;
    this.findings.push({
      source: "target",
      invariant: "target-contract",
      message: `execute/inject threw instead of returning an outcome: ${message}`,
      events: [inv.index, ev.index],
    });
  }

  /** Let the target run what it can, deliver completions, then check the state. */
  private async quiesce(): Promise<void> {
    await this.o.target.settle?.();
    await drainMicrotasks();
    const target = this.o.target;
    if (!target.capabilities.observe || target.observe === undefined) return;
    const now = await target.observe();
    this.state.roles = rolesOf(now);
    const last = this.history.events.length - 1;
    const anchor = last >= 0 ? [last] : [];
    this.observations++;
    for (const inv of this.stateInvariants) {
      // guard() inlined: a closure per invariant per step showed in profiles.
      let violations: ReturnType<typeof inv.check>;
      try {
        violations = inv.check(now, this.previous);
      } catch (e) {
        violations = this.threw(inv.name, e);
      }
      for (const v of violations)
        this.findings.push({
          source: "state",
          invariant: v.invariant,
          message: v.message,
          events: v.events.length > 0 ? v.events : anchor,
        });
    }
    if (this.o.checker.adopt !== undefined) {
      this.adoptions++;
      const verdict = this.guardVerdict(MODEL_ADOPT, () => this.o.checker.adopt!(now));
      if (!verdict.ok)
        this.findings.push({
          source: "model",
          invariant: MODEL_ADOPT,
          message: verdict.reason,
          events: anchor,
        });
    }
    this.previous = now;
  }

  /** A checker that throws is a finding too (a crash in the model or an invariant), not a lost run. */
  private guard<T>(
    name: string,
    f: () => T[],
  ): T[] | Array<{ invariant: string; message: string; events: number[] }> {
    try {
      return f();
    } catch (e) {
      return this.threw(name, e);
    }
  }

  private threw(name: string, e: unknown): Array<{ invariant: string; message: string; events: number[] }> {
    return [
      { invariant: name, message: `checker threw: ${e instanceof Error ? e.stack : String(e)}`, events: [] },
    ];
  }

  private guardVerdict(name: string, f: () => { ok: true } | { ok: false; reason: string }) {
    try {
      return f();
    } catch (e) {
      return { ok: false as const, reason: `${name} threw: ${e instanceof Error ? e.stack : String(e)}` };
    }
  }

  private throwIfFailed(): void {
    if (this.findings.length > 0) throw new RunFailed(this.findings);
  }
}
