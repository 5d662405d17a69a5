/**
 * controller-epoch-monotonic, leader-epoch-monotonic and partition-controller-epoch: the epochs that fence
 * stale controllers and stale leaders only grow. The leader epoch is checked per partition across
 * observations, and within one observation each running replica's epoch cache must be strictly ascending
 * in epoch with non-decreasing start offsets (KIP-101's truncation relies on it). A partition state whose
 * znode was created anew (another czxid: the topic was deleted and made again) starts over.
 */
import type { Observation, PartitionObservation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import { partitionsByName, runningBrokers, stateViolation, tp } from "./replicas.ts";

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
      if (q && sameState(p, q) && p.leaderEpoch < q.leaderEpoch) {
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

/** Whether two observations of a partition are of the same partition state (not a re-created topic's). */
function sameState(p: PartitionObservation, q: PartitionObservation): boolean {
  return (
    p.stateZnode === undefined || q.stateZnode === undefined || p.stateZnode.czxid === q.stateZnode.czxid
  );
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
      if (q?.controllerEpoch !== undefined && sameState(p, q) && p.controllerEpoch < q.controllerEpoch)
        out.push(
          stateViolation(
            PARTITION_NAME,
            `${tp(p)}: written by controller epoch ${q.controllerEpoch}, then by an older controller epoch ` +
              `${p.controllerEpoch} (leader ${p.leader}, leader epoch ${p.leaderEpoch})`,
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
