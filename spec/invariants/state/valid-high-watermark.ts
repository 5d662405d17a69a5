/**
 * valid-high-watermark (TLA+ ValidHighWatermark): while the leader runs, every running member of the
 * leader's own ISR (the set the leader computes its high watermark over) has a log end offset at least
 * the high watermark; and no running replica believes in a high watermark beyond its own log end.
 */
import type { StateInvariant, Violation } from "../types.ts";
import { replicaOn, runningBrokers, stateViolation, tp } from "./replicas.ts";

const NAME = "valid-high-watermark";

export const validHighWatermark: StateInvariant = {
  name: NAME,
  description: "Each in-sync replica's log end offset is at least the high watermark.",
  check(now) {
    const out: Violation[] = [];
    const running = runningBrokers(now);
    for (const p of now.partitions) {
      // p.highWatermark is the leader's: meaningless while the leader is down or not yet acting.
      const leaderUp = p.leader !== null && replicaOn(p, p.leader, running) !== undefined;
      for (const m of leaderUp ? p.leaderIsr : []) {
        const r = replicaOn(p, m, running);
        if (r && r.logEndOffset < p.highWatermark) {
          out.push(
            stateViolation(
              NAME,
              `${tp(p)}: ISR member ${m} ends at ${r.logEndOffset}, below the high watermark ${p.highWatermark}`,
            ),
          );
        }
      }
      for (const r of p.replicaStates) {
        if (running.has(r.broker) && r.highWatermark > r.logEndOffset) {
          out.push(
            stateViolation(
              NAME,
              `${tp(p)}: replica ${r.broker} has high watermark ${r.highWatermark} beyond its log end ${r.logEndOffset}`,
            ),
          );
        }
      }
    }
    return out;
  },
};
