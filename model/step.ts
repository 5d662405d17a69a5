/**
 * The pure step API: any machine of the model as a function (snapshot, event) -> snapshot.
 * No actors, no timers; what a machine decides is in the returned snapshot's context.
 */
import {
  type AnyStateMachine,
  type EventFromLogic,
  initialTransition,
  type SnapshotFrom,
  transition,
} from "xstate";

// biome-ignore lint/suspicious/noExplicitAny: the machine's own input type
export function initial<M extends AnyStateMachine>(machine: M, input?: any): SnapshotFrom<M> {
  return initialTransition(machine, input)[0] as SnapshotFrom<M>;
}

export function step<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: EventFromLogic<M>,
): SnapshotFrom<M> {
  return transition(machine, snapshot, event)[0] as SnapshotFrom<M>;
}

/** Step through several events, returning every snapshot along the way (the first is the initial). */
export function run<M extends AnyStateMachine>(
  machine: M,
  start: SnapshotFrom<M>,
  events: ReadonlyArray<EventFromLogic<M>>,
): SnapshotFrom<M>[] {
  const out = [start];
  for (const e of events) out.push(step(machine, out[out.length - 1], e));
  return out;
}
