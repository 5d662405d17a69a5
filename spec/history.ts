/**
 * A Jepsen-style history: every operation appears as an `invoke` and later a `complete` with the same
 * `id`; other events may come between (operations are concurrent across clients). Faults are operations
 * of the process "nemesis". The history is plain JSON: saved with a failure, read back by checkers.
 */
import type { ClientOp, Fault, Operation, Outcome } from "./operations.ts";
import { describeOperation, describeOutcome, isFault } from "./operations.ts";

export const NEMESIS = "nemesis";

export interface InvokeEvent {
  type: "invoke";
  /** Position of this event in the history. */
  index: number;
  /** Operation id: pairs an invoke with its completion. */
  id: number;
  /** The client that issued it (ClientName), or "nemesis" for faults. */
  process: string;
  /** Milliseconds since the start (virtual on simulated targets). */
  time: number;
  op: Operation;
}

export interface CompleteEvent {
  type: "complete";
  index: number;
  id: number;
  process: string;
  time: number;
  op: Operation;
  outcome: Outcome;
}

export type HistoryEvent = InvokeEvent | CompleteEvent;

export class History {
  readonly events: HistoryEvent[] = [];
  private nextId = 0;

  invoke(process: string, op: Operation, time: number): InvokeEvent {
    const e: InvokeEvent = {
      type: "invoke",
      index: this.events.length,
      id: this.nextId++,
      process,
      time,
      op,
    };
    this.events.push(e);
    return e;
  }

  complete(invoke: InvokeEvent, outcome: Outcome, time: number): CompleteEvent {
    const e: CompleteEvent = {
      type: "complete",
      index: this.events.length,
      id: invoke.id,
      process: invoke.process,
      time,
      op: invoke.op,
      outcome,
    };
    this.events.push(e);
    return e;
  }

  /** Completed operations in completion order. */
  completions(): CompleteEvent[] {
    return this.events.filter((e): e is CompleteEvent => e.type === "complete");
  }

  /** Invocations that never completed (the run ended first): Jepsen treats them as :info. */
  pending(): InvokeEvent[] {
    const done = new Set(this.completions().map((c) => c.id));
    return this.events.filter((e): e is InvokeEvent => e.type === "invoke" && !done.has(e.id));
  }

  toJSON(): HistoryEvent[] {
    return this.events;
  }

  static from(events: HistoryEvent[]): History {
    const h = new History();
    h.events.push(...events);
    h.nextId = events.reduce((m, e) => Math.max(m, e.id + 1), 0);
    return h;
  }
}

/** Completed client operations of one kind, typed. */
export function completionsOf<K extends ClientOp["kind"]>(
  history: History,
  kind: K,
): Array<CompleteEvent & { op: Extract<ClientOp, { kind: K }> }> {
  return history
    .completions()
    .filter((e): e is CompleteEvent & { op: Extract<ClientOp, { kind: K }> } => e.op.kind === kind);
}

export function faultsOf(history: History): Array<CompleteEvent & { op: Fault }> {
  return history.completions().filter((e): e is CompleteEvent & { op: Fault } => isFault(e.op));
}

/** One line per event, as a report prints it. */
export function formatEvent(e: HistoryEvent): string {
  const head = `#${e.index} t=${e.time} ${e.process} ${e.type === "invoke" ? "invoke  " : "complete"} `;
  return e.type === "invoke"
    ? head + describeOperation(e.op)
    : `${head}${describeOperation(e.op)} -> ${describeOutcome(e.outcome)}`;
}
