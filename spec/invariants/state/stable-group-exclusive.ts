/**
 * stable-group-exclusive: in a Stable group, no partition is assigned to two members. (Groups in other
 * states are mid-rebalance: members may still hold the previous generation's assignment.)
 */
import type { StateInvariant, Violation } from "../types.ts";
import { stateViolation, tp } from "./replicas.ts";

const NAME = "stable-group-exclusive";

export const stableGroupExclusive: StateInvariant = {
  name: NAME,
  description: "The members of a Stable group own disjoint sets of partitions.",
  check(now) {
    const out: Violation[] = [];
    for (const g of now.groups) {
      if (g.state !== "Stable") continue;
      const owner = new Map<string, string>();
      for (const m of g.members) {
        for (const a of m.assignment) {
          const k = tp(a);
          const other = owner.get(k);
          if (other !== undefined && other !== m.memberId) {
            out.push(
              stateViolation(
                NAME,
                `group ${g.groupId} generation ${g.generation}: ${k} is assigned to both ${other} and ${m.memberId}`,
              ),
            );
          } else owner.set(k, m.memberId);
        }
      }
    }
    return out;
  },
};
