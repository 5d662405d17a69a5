/**
 * controller-epoch-monotonic, leader-epoch-monotonic and partition-controller-epoch: the epochs that fence
 * stale controllers and stale leaders only grow. The leader epoch is checked per partition across
 * observations, and within one observation each running replica's epoch cache must be strictly ascending
 * in epoch with non-decreasing start offsets (KIP-101's truncation relies on it). A partition state whose
 * znode was created anew (another czxid: the topic was deleted and made again) starts over.
 */
import type { Observation, PartitionObservation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import { partitionsByName, runningBrokers, stateChain, stateViolation, tp } from "./replicas.ts";

export const controllerEpochMonotonic: StateInvariant = {
  name: "controller-epoch-monotonic",
  description: "The controller epoch never decreases.",
  needs: "metadata",
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
  needs: "metadata",
  check(now: Observation, previous?: Observation) {
    const out: Violation[] = [];
    const before =
      previous === undefined ? new Map<string, PartitionObservation>() : partitionsByName(previous);
    const running = runningBrokers(now);
    for (const p of now.partitions) {
      const q = before.get(tp(p));
      const back = q === undefined ? undefined : firstDrop(stateChain(q, p), (s) => s.leaderEpoch);
      if (back !== undefined)
        out.push(stateViolation(NAME, `${tp(p)}: leader epoch went from ${back[0]} back to ${back[1]}`));
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

/** The first step along a partition's states where `value` went down, as [before, after]. */
function firstDrop<T>(
  chain: readonly T[],
  value: (s: T) => number | undefined,
): [number, number] | undefined {
  for (let i = 1; i < chain.length; i++) {
    const [a, b] = [value(chain[i - 1]), value(chain[i])];
    if (a !== undefined && b !== undefined && b < a) return [a, b];
  }
  return undefined;
}

const PARTITION_NAME = "partition-controller-epoch";

/**
 * The controller epoch a partition state records never decreases, and never exceeds /controller_epoch:
 * every write to a partition state is fenced by the writer's controller epoch (Kafka's controller checks
 * /controller_epoch's version in the same transaction; a leader's ISR update names the state version it
 * read), so an older controller's write landing after a newer one's is a stale controller unfenced
 * (KAFKA-6082). The upper bound needs one consistent snapshot (MetadataRead.consistent); partitions whose
 * observation carries no controller epoch are skipped.
 */
export const partitionControllerEpoch: StateInvariant = {
  name: PARTITION_NAME,
  description:
    "A partition state's controller epoch never decreases and never exceeds the cluster's controller epoch.",
  needs: "metadata",
  check(now: Observation, previous?: Observation) {
    const out: Violation[] = [];
    const before =
      previous === undefined ? new Map<string, PartitionObservation>() : partitionsByName(previous);
    const consistent = now.metadataRead?.consistent === true;
    for (const p of now.partitions) {
      if (p.controllerEpoch === undefined) continue;
      const q = before.get(tp(p));
      const chain = q === undefined ? [] : stateChain(q, p);
      const back = firstDrop(chain, (s) => s.controllerEpoch);
      const stale = back === undefined ? undefined : chain.find((x) => x.controllerEpoch === back[1]);
      if (back !== undefined && stale !== undefined)
        out.push(
          stateViolation(
            PARTITION_NAME,
            `${tp(p)}: written by controller epoch ${back[0]}, then by an older controller epoch ` +
              `${back[1]} (leader ${stale.leader}, leader epoch ${stale.leaderEpoch})`,
          ),
        );
      if (consistent && p.controllerEpoch > now.controller.epoch)
        out.push(
          stateViolation(
            PARTITION_NAME,
            `${tp(p)}: written by controller epoch ${p.controllerEpoch}, above the cluster's controller epoch ` +
              `${now.controller.epoch}`,
          ),
        );
    }
    return out;
  },
};
