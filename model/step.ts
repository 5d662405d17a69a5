/**
 * The pure step API: any machine of the model as a function (snapshot, event) -> snapshot.
 * No actors run, no timers; what a machine decides is in the returned snapshot's context.
 *
 * xstate's own `transition(machine, snapshot, event)` builds a throwaway actor on every call; the model's
 * machines spawn nothing, delay nothing and execute no side effects, so one inert scope per machine is
 * reused instead (the same shape xstate builds), which keeps a step cheap enough for thousands per second.
 */
import {
  type AnyActorScope,
  type AnyStateMachine,
  createActor,
  type EventFromLogic,
  initialTransition,
  type SnapshotFrom,
} from "xstate";

const scopes = new WeakMap<AnyStateMachine, AnyActorScope>();

function scopeFor(machine: AnyStateMachine): AnyActorScope {
  let scope = scopes.get(machine);
  if (scope === undefined) {
    const self = createActor(machine);
    scope = {
      self,
      defer: () => {},
      id: "",
      logger: () => {},
      sessionId: "",
      stopChild: () => {},
      system: self.system,
      emit: () => {},
      actionExecutor: () => {},
    } as unknown as AnyActorScope;
    scopes.set(machine, scope);
  }
  return scope;
}

// biome-ignore lint/suspicious/noExplicitAny: the machine's own input type
export function initial<M extends AnyStateMachine>(machine: M, input?: any): SnapshotFrom<M> {
  return initialTransition(machine, input)[0] as SnapshotFrom<M>;
}

export function step<M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  event: EventFromLogic<M>,
): SnapshotFrom<M> {
  return machine.transition(snapshot, event, scopeFor(machine)) as SnapshotFrom<M>;
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
