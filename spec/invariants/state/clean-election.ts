/**
 * clean-election: with unclean.leader.election.enable=false, a new leader comes from the last ISR, and a
 * write that moves the leader epoch (an election, a dead replica's removal, a bounce) never adds members
 * to the ISR: only the leader grows the ISR, and it does so without a new epoch (Kafka's ZooKeeper-mode
 * controller: OfflinePartitionLeaderElectionStrategy, removeReplicasFromIsr; TLA+ LeaderInIsr across steps).
 *
 * Judged only between two states of one partition known to be consecutive writes (the same znode,
 * versions n and n+1: ZnodeStamp), because between farther-apart ones the leader may have grown the ISR
 * first and the next election then rightly picked the newcomer. The states are the previous
 * observation's, those the target saw written in between (earlierStates) and this one's. Observations
 * without znode stamps (the model target's) are not judged; the embedded target records every write.
 */
import type { Observation, PartitionStateObservation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import { partitionsByName, stateChain, stateViolation, tp } from "./replicas.ts";

const NAME = "clean-election";

/** Whether `p` is the state written right after `q`: same znode, one data version later. */
function nextWrite(q: PartitionStateObservation, p: PartitionStateObservation): boolean {
  const a = q.stateZnode;
  const b = p.stateZnode;
  return a !== undefined && b !== undefined && a.czxid === b.czxid && b.version === a.version + 1;
}

export const cleanElection: StateInvariant = {
  name: NAME,
  description:
    "Without unclean election, a new leader comes from the last ISR, and a write that bumps the leader epoch adds nobody to the ISR.",
  needs: "metadata",
  check(now: Observation, previous?: Observation) {
    if (previous === undefined) return [];
    const out: Violation[] = [];
    const before = partitionsByName(previous);
    for (const part of now.partitions) {
      const last = before.get(tp(part));
      if (last === undefined || part.uncleanLeaderElection || last.uncleanLeaderElection) continue;
      const chain = stateChain(last, part);
      for (let i = 1; i < chain.length; i++) {
        const [q, p] = [chain[i - 1], chain[i]];
        if (!nextWrite(q, p) || p.leaderEpoch <= q.leaderEpoch) continue;
        const was = `leader ${q.leader ?? "none"}, epoch ${q.leaderEpoch}, ISR [${q.isr}]`;
        const added = p.isr.filter((r) => !q.isr.includes(r));
        // One finding per write: a leader from outside the ISR usually comes with itself added to it.
        if (p.leader !== null && p.leader !== q.leader && !q.isr.includes(p.leader))
          out.push(
            stateViolation(
              NAME,
              `${tp(part)}: broker ${p.leader} elected at epoch ${p.leaderEpoch} from outside the last ISR ` +
                `(${was}); unclean election is off`,
            ),
          );
        else if (added.length > 0)
          out.push(
            stateViolation(
              NAME,
              `${tp(part)}: the write of leader epoch ${p.leaderEpoch} (leader ${p.leader ?? "none"}) added ` +
                `[${added}] to the ISR (${was})`,
            ),
          );
      }
    }
    return out;
  },
};
