/**
 * weak-isr and strong-isr (TLA+ WeakIsr, StrongIsr): every running ISR member holds the leader's log
 * below the leader's high watermark, entry for entry (same offset, epoch and value). Weak checks the
 * leader's own ISR, strong the controller's: with strong, whatever a consumer may have read exists on
 * every replica that could become leader. A member whose broker is not running is skipped (see
 * replicas.ts); a hole in the member's log counts as a mismatch.
 */
import type { Observation, PartitionObservation } from "../../adapter.ts";
import type { StateInvariant, Violation } from "../types.ts";
import { firstMismatch, logMap, replicaOn, runningBrokers, stateViolation, tp } from "./replicas.ts";

function check(name: string, which: string, isrOf: (p: PartitionObservation) => number[], now: Observation) {
  const out: Violation[] = [];
  const running = runningBrokers(now);
  for (const p of now.partitions) {
    if (p.leader === null) continue;
    const leader = replicaOn(p, p.leader, running);
    if (!leader) continue;
    const ref = logMap(leader);
    for (const m of isrOf(p)) {
      if (m === p.leader) continue;
      const r = replicaOn(p, m, running);
      if (!r) continue;
      const from = Math.max(leader.logStartOffset, r.logStartOffset);
      const bad = firstMismatch(ref, logMap(r), from, p.highWatermark, true);
      if (bad) {
        out.push(
          stateViolation(
            name,
            `${tp(p)}: ${which} ISR member ${m} differs from leader ${p.leader} below high watermark ` +
              `${p.highWatermark} at ${bad}`,
          ),
        );
      }
    }
  }
  return out;
}

export const weakIsr: StateInvariant = {
  name: "weak-isr",
  description: "Every member of the leader's own ISR matches the leader's log below the high watermark.",
  check: (now) => check("weak-isr", "leader's", (p) => p.leaderIsr, now),
};

export const strongIsr: StateInvariant = {
  name: "strong-isr",
  description: "Every member of the controller's ISR matches the leader's log below the high watermark.",
  check: (now) => check("strong-isr", "controller's", (p) => p.isr, now),
};
