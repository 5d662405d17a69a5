/**
 * leader-in-isr (TLA+ LeaderInIsr): a partition's elected leader is in the ISR the controller records,
 * and in the leader's own ISR when the leader holds one. A crashed leader stays in both until the
 * controller reacts, which is fine: it is still a member.
 */
import type { StateInvariant, Violation } from "../types.ts";
import { stateViolation, tp } from "./replicas.ts";

const NAME = "leader-in-isr";

export const leaderInIsr: StateInvariant = {
  name: NAME,
  description: "Every partition's leader is a member of its ISR.",
  needs: "metadata",
  check(now) {
    const out: Violation[] = [];
    for (const p of now.partitions) {
      if (p.leader === null) continue;
      if (!p.isr.includes(p.leader)) {
        out.push(
          stateViolation(NAME, `${tp(p)}: leader ${p.leader} is not in the controller's ISR [${p.isr}]`),
        );
      }
      if (p.leaderIsr.length > 0 && !p.leaderIsr.includes(p.leader)) {
        out.push(stateViolation(NAME, `${tp(p)}: leader ${p.leader} is not in its own ISR [${p.leaderIsr}]`));
      }
    }
    return out;
  },
};
