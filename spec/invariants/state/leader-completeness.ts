/**
 * leader-completeness (TLA+ LeaderCompleteness): the leader holds every record that was committed (below
 * the leader's high watermark) in the previous observation, above its own log start. Checked for durable
 * partitions only, and assuming at most RF-1 replicas of a partition lose unflushed data at once (the
 * DESIGN's failure bound); the previous committed records are read from the previous leader's log.
 */
import type { Observation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import {
  firstMismatch,
  isDurable,
  logMap,
  partitionsByName,
  replicaOn,
  runningBrokers,
  stateViolation,
  tp,
} from "./replicas.ts";

const NAME = "leader-completeness";

export const leaderCompleteness: StateInvariant = {
  name: NAME,
  description: "A leader holds every record committed in the previous observation.",
  check(now: Observation, previous?: Observation) {
    if (!previous) return [];
    const out: Violation[] = [];
    const running = runningBrokers(now);
    const before = partitionsByName(previous);
    const runningBefore = runningBrokers(previous);
    for (const p of now.partitions) {
      const q = before.get(tp(p));
      if (!q || q.leader === null || p.leader === null || !isDurable(p)) continue;
      // The previous high watermark means something only if its leader was running then.
      const oldLeader = replicaOn(q, q.leader, runningBefore);
      const leader = replicaOn(p, p.leader, running);
      if (!oldLeader || !leader) continue;
      const bad = firstMismatch(
        logMap(oldLeader),
        logMap(leader),
        leader.logStartOffset,
        q.highWatermark,
        true,
      );
      if (bad) {
        out.push(
          stateViolation(
            NAME,
            `${tp(p)}: leader ${p.leader} (epoch ${p.leaderEpoch}) lacks a record committed before (leader ` +
              `${q.leader}, epoch ${q.leaderEpoch}, high watermark ${q.highWatermark}) at ${bad}`,
          ),
        );
      }
    }
    return out;
  },
};
