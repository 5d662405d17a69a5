/**
 * controller-registered and leader-registered: the roles the metadata store hands out belong to live,
 * registered brokers. Both read `registered` on the observation's brokers (set by targets that read
 * broker registrations, /brokers/ids/N); brokers without it are not judged.
 *
 * - controller-registered: /controller and /brokers/ids/N are ephemeral nodes of the same ZooKeeper
 *   session, created registration first, so in one consistent snapshot (MetadataRead.consistent) the
 *   controller is always a registered broker.
 * - leader-registered: a leader whose broker's registration vanished must be replaced (or the partition
 *   marked leaderless) by a live controller. The controller learns it from a watch, and a stalled
 *   controller keeps its session, and its role, for up to a session timeout: so a leader counts as stale
 *   only once it has been seen unregistered, under one controller epoch whose controller was registered
 *   all along, for longer than MetadataRead.reactionBoundMs.
 */
import type { Observation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import { stateViolation, tp } from "./replicas.ts";

/** What a run's observations have shown so far about registrations, carried from step to step. */
interface Tracking {
  /** Broker -> the time it was first seen unregistered (in this unbroken stretch). */
  unregisteredSince: Map<number, number>;
  /** The controller epoch, and since when it has been seen with its controller registered; null if not. */
  controller: { epoch: number; since: number } | null;
}

// Derived per observation and keyed by identity (observations are never mutated): each step's tracking
// is the previous step's, moved on by what `now` shows. A run with no previous tracking starts afresh.
const tracked = new WeakMap<Observation, Tracking>();

function registeredIn(obs: Observation): Map<number, boolean> {
  const out = new Map<number, boolean>();
  for (const b of obs.brokers) if (b.registered !== undefined) out.set(b.id, b.registered);
  return out;
}

function track(now: Observation, previous: Observation | undefined): Tracking {
  const hit = tracked.get(now);
  if (hit !== undefined) return hit;
  const before = previous === undefined ? undefined : tracked.get(previous);
  const registered = registeredIn(now);
  const unregisteredSince = new Map<number, number>();
  for (const [id, yes] of registered)
    if (!yes) unregisteredSince.set(id, before?.unregisteredSince.get(id) ?? now.time);
  const c = now.controller;
  const controllerUp = c.broker !== null && registered.get(c.broker) === true;
  const controller = !controllerUp
    ? null
    : before?.controller !== null && before?.controller.epoch === c.epoch
      ? before.controller
      : { epoch: c.epoch, since: now.time };
  const t = { unregisteredSince, controller };
  tracked.set(now, t);
  return t;
}

const CONTROLLER = "controller-registered";

export const controllerRegistered: StateInvariant = {
  name: CONTROLLER,
  description: "In a consistent snapshot, the controller is a registered broker.",
  needs: "metadata",
  check(now: Observation) {
    const c = now.controller.broker;
    if (c === null || now.metadataRead?.consistent !== true) return [];
    if (registeredIn(now).get(c) !== false) return [];
    return [
      stateViolation(
        CONTROLLER,
        `broker ${c} is the controller (epoch ${now.controller.epoch}) but not registered`,
      ),
    ];
  },
};

const LEADER = "leader-registered";

export const leaderRegistered: StateInvariant = {
  name: LEADER,
  description:
    "A partition's leader is a registered broker, or stops being the leader within the controller's reaction bound.",
  needs: "metadata",
  check(now: Observation, previous?: Observation) {
    const bound = now.metadataRead?.reactionBoundMs;
    const t = track(now, previous);
    if (bound === undefined || t.controller === null) return [];
    const out: Violation[] = [];
    for (const p of now.partitions) {
      if (p.leader === null) continue;
      const since = t.unregisteredSince.get(p.leader);
      if (since === undefined) continue;
      const waited = now.time - Math.max(since, t.controller.since);
      if (waited > bound)
        out.push(
          stateViolation(
            LEADER,
            `${tp(p)}: leader ${p.leader} (epoch ${p.leaderEpoch}) has been unregistered for ${waited} ms ` +
              `under controller ${now.controller.broker} (epoch ${now.controller.epoch}), past the ${bound} ms bound`,
          ),
        );
    }
    return out;
  },
};
