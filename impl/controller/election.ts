/**
 * Leader election rules of Kafka's ZooKeeper-mode controller, as pure functions over one partition.
 */
import type { BrokerId } from "../../spec/operations.ts";

export interface LeaderAndIsr {
  leader: BrokerId;
  leaderEpoch: number;
  isr: BrokerId[];
}

export const NO_LEADER = -1;

/**
 * OfflinePartitionLeaderElectionStrategy: the first replica in assignment order that is alive and in
 * the ISR; failing that, if unclean election is allowed, the first live replica (with the ISR reset to
 * it). Returns null when no replica may lead.
 */
export function electLeader(
  replicas: readonly BrokerId[],
  current: LeaderAndIsr,
  live: ReadonlySet<BrokerId>,
  allowUnclean: boolean,
): LeaderAndIsr | null {
  const clean = replicas.find((r) => live.has(r) && current.isr.includes(r));
  if (clean !== undefined) {
    return {
      leader: clean,
      leaderEpoch: current.leaderEpoch + 1,
      isr: current.isr.filter((r) => live.has(r)),
    };
  }
  if (!allowUnclean) return null;
  const unclean = replicas.find((r) => live.has(r));
  if (unclean === undefined) return null;
  return { leader: unclean, leaderEpoch: current.leaderEpoch + 1, isr: [unclean] };
}

/**
 * ReplicaStateMachine's removal of a dead replica from the ISR: a leader that dies leaves NoLeader, and
 * the last ISR member is kept so a later clean election knows who had everything.
 */
export function removeFromIsr(current: LeaderAndIsr, dead: BrokerId): LeaderAndIsr {
  const leader = current.leader === dead ? NO_LEADER : current.leader;
  const isr = current.isr.length === 1 ? current.isr : current.isr.filter((r) => r !== dead);
  return { leader, leaderEpoch: current.leaderEpoch + 1, isr };
}

/**
 * The seeded fault "elect-outside-isr": the first live replica in assignment order leads, in the ISR or
 * not, and the ISR is reset to it, as an unclean election would. Only under that fault.
 */
export function electFirstLive(
  replicas: readonly BrokerId[],
  current: LeaderAndIsr,
  live: ReadonlySet<BrokerId>,
): LeaderAndIsr | null {
  const first = replicas.find((r) => live.has(r));
  if (first === undefined) return null;
  const isr = current.isr.includes(first) ? current.isr.filter((r) => live.has(r)) : [first];
  return { leader: first, leaderEpoch: current.leaderEpoch + 1, isr };
}

/**
 * The election after an unseen bounce of the leader (it restarted and registered again before any
 * controller saw it go): as Kafka's failure-then-startup, another live ISR member that has not itself
 * restarted since leads if there is one; otherwise the restarted leader leads again. Either way the leader
 * epoch moves, so followers fence the old incarnation's epoch and truncate to the new leader's log.
 */
export function reelectAfterBounce(
  replicas: readonly BrokerId[],
  current: LeaderAndIsr,
  live: ReadonlySet<BrokerId>,
  restarted: (b: BrokerId) => boolean,
): LeaderAndIsr {
  const other = replicas.find(
    (r) => r !== current.leader && live.has(r) && current.isr.includes(r) && !restarted(r),
  );
  return {
    leader: other ?? current.leader,
    leaderEpoch: current.leaderEpoch + 1,
    isr: current.isr.filter((r) => live.has(r)),
  };
}

/**
 * ControlledShutdownPartitionLeaderElectionStrategy: a broker asked to shut down hands the partitions it
 * leads to the first replica in assignment order that is live, in the ISR and not shutting down itself;
 * the ISR loses every shutting-down broker. Null when no replica qualifies: the partition stays led by
 * the broker and is reported back as remaining, so the broker retries (a follower may catch up meanwhile).
 */
export function electForControlledShutdown(
  replicas: readonly BrokerId[],
  current: LeaderAndIsr,
  eligible: ReadonlySet<BrokerId>,
  shuttingDown: ReadonlySet<BrokerId>,
): LeaderAndIsr | null {
  const leader = replicas.find((r) => eligible.has(r) && current.isr.includes(r) && !shuttingDown.has(r));
  if (leader === undefined) return null;
  return {
    leader,
    leaderEpoch: current.leaderEpoch + 1,
    isr: current.isr.filter((r) => !shuttingDown.has(r)),
  };
}
