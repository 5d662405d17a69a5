/**
 * log-matching (TLA+ LogMatching): any two running replicas of a durable partition agree on every
 * offset both hold below both of their own high watermarks. Non-durable partitions are exempt: after
 * an unclean election, or the loss of the last in-sync replica's unflushed tail with
 * min.insync.replicas=1, Kafka's replicas legitimately disagree about records once committed.
 */
import type { StateInvariant, Violation } from "../types.ts";
import { firstMismatch, isDurable, logMap, runningBrokers, stateViolation, tp } from "./replicas.ts";

const NAME = "log-matching";

export const logMatching: StateInvariant = {
  name: NAME,
  description: "Two replicas' logs agree below both of their high watermarks.",
  check(now) {
    const out: Violation[] = [];
    const running = runningBrokers(now);
    for (const p of now.partitions) {
      if (!isDurable(p)) continue;
      const rs = p.replicaStates.filter((r) => running.has(r.broker));
      const logs = rs.map(logMap);
      for (let i = 0; i < rs.length; i++) {
        for (let j = i + 1; j < rs.length; j++) {
          const from = Math.max(rs[i].logStartOffset, rs[j].logStartOffset);
          const to = Math.min(rs[i].highWatermark, rs[j].highWatermark);
          const bad = firstMismatch(logs[i], logs[j], from, to, false);
          if (bad) {
            out.push(
              stateViolation(
                NAME,
                `${tp(p)}: replicas ${rs[i].broker} and ${rs[j].broker} disagree below high watermark ${to} at ${bad}`,
              ),
            );
          }
        }
      }
    }
    return out;
  },
};
