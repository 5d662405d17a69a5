/**
 * controller-epoch-monotonic and leader-epoch-monotonic: the epochs that fence stale controllers and
 * stale leaders only grow. The leader epoch is checked per partition across observations, and within
 * one observation each running replica's epoch cache must be strictly ascending in epoch with
 * non-decreasing start offsets (KIP-101's truncation relies on it).
 */
import type { Observation, PartitionObservation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import { partitionsByName, runningBrokers, stateViolation, tp } from "./replicas.ts";

export const controllerEpochMonotonic: StateInvariant = {
  name: "controller-epoch-monotonic",
  description: "The controller epoch never decreases.",
  check(now, previous) {
    if (!previous || now.controller.epoch >= previous.controller.epoch) return [];
    return [
      stateViolation(
        "controller-epoch-monotonic",
        `controller epoch went from ${previous.controller.epoch} (broker ${previous.controller.broker}) back to ` +
          `${now.controller.epoch} (broker ${now.controller.broker})`,
      ),
    ];
  },
};

const NAME = "leader-epoch-monotonic";

export const leaderEpochMonotonic: StateInvariant = {
  name: NAME,
  description: "A partition's leader epoch never decreases, and every replica's epoch cache ascends.",
  check(now: Observation, previous?: Observation) {
    const out: Violation[] = [];
    const before =
      previous === undefined ? new Map<string, PartitionObservation>() : partitionsByName(previous);
    const running = runningBrokers(now);
    for (const p of now.partitions) {
      const q = before.get(tp(p));
      if (q && p.leaderEpoch < q.leaderEpoch) {
        out.push(
          stateViolation(NAME, `${tp(p)}: leader epoch went from ${q.leaderEpoch} back to ${p.leaderEpoch}`),
        );
      }
      for (const r of p.replicaStates) {
        if (!running.has(r.broker)) continue;
        for (let i = 1; i < r.epochCache.length; i++) {
          const [e0, s0] = r.epochCache[i - 1];
          const [e1, s1] = r.epochCache[i];
          if (e1 <= e0 || s1 < s0) {
            out.push(
              stateViolation(
                NAME,
                `${tp(p)}: replica ${r.broker}'s epoch cache is out of order: [${e0},${s0}] then [${e1},${s1}]`,
              ),
            );
            break;
          }
        }
      }
    }
    return out;
  },
};
