/**
 * Seeded faults of the group coordinator: deliberate bugs, off by default, switched on by name so the
 * conformance suite can prove it catches them. The names match impl/faults/catalog.ts.
 *
 *   commit-old-generation  OffsetCommit from an older generation (a zombie member) is accepted
 *                          instead of failing with ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID.
 *   stale-syncgroup        A SyncGroup naming an older generation (e.g. from a late joiner that was
 *                          dropped from the group) is accepted and answered with the assignment that
 *                          member held in that generation, instead of ILLEGAL_GENERATION /
 *                          UNKNOWN_MEMBER_ID.
 *   double-assignment      When the leader's assignment is handed out, one partition of one member is
 *                          also given to a second member.
 */
export const GROUP_SEEDED_FAULTS = ["commit-old-generation", "stale-syncgroup", "double-assignment"] as const;

export type GroupSeededFault = (typeof GROUP_SEEDED_FAULTS)[number];

/** The subset of a run's seeded-fault names that concern the group coordinator; others are ignored. */
export class GroupFaults {
  private readonly on: ReadonlySet<GroupSeededFault>;

  constructor(names: Iterable<string> = []) {
    const known = new Set<string>(GROUP_SEEDED_FAULTS);
    const on = new Set<GroupSeededFault>();
    for (const n of names) if (known.has(n)) on.add(n as GroupSeededFault);
    this.on = on;
  }

  has(name: GroupSeededFault): boolean {
    return this.on.has(name);
  }

  get active(): GroupSeededFault[] {
    return [...this.on];
  }
}
