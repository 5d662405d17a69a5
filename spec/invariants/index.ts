/**
 * The registry of invariant checkers. The runner calls `checkHistory` once per run (black-box, any
 * target) and `checkState` after every step on targets that can be observed (white-box).
 */
import type { Observation } from "../adapter.ts";
import type { History } from "../history.ts";
import { abortedRead } from "./history/aborted-read.ts";
import { duplicate } from "./history/duplicate.ts";
import { exclusiveAssignment } from "./history/exclusive-assignment.ts";
import { fetchWithinLog } from "./history/fetch-within-log.ts";
import { inconsistentOffsets } from "./history/inconsistent-offsets.ts";
import { lostWrite } from "./history/lost-write.ts";
import { monotonicCommittedOffsets } from "./history/monotonic-committed-offsets.ts";
import { monotonicHighWatermark } from "./history/monotonic-high-watermark.ts";
import { nonmonotonicPoll } from "./history/nonmonotonic-poll.ts";
import { nonmonotonicSend } from "./history/nonmonotonic-send.ts";
import { pollSkip } from "./history/poll-skip.ts";
import { cleanElection } from "./state/clean-election.ts";
import { controllerEpochMonotonic, leaderEpochMonotonic, partitionControllerEpoch } from "./state/epochs.ts";
import { strongIsr, weakIsr } from "./state/isr-matches-leader.ts";
import { leaderCompleteness } from "./state/leader-completeness.ts";
import { leaderInIsr } from "./state/leader-in-isr.ts";
import { logMatching } from "./state/log-matching.ts";
import { controllerRegistered, leaderRegistered } from "./state/registrations.ts";
import { stableGroupExclusive } from "./state/stable-group-exclusive.ts";
import { validHighWatermark } from "./state/valid-high-watermark.ts";
import type { HistoryInvariant, StateInvariant, Violation } from "./types.ts";

export { type UnseenReport, unseen } from "./history/unseen.ts";
export type { HistoryInvariant, JepsenAnomaly, StateInvariant, Violation } from "./types.ts";

export const HISTORY_INVARIANTS: readonly HistoryInvariant[] = [
  inconsistentOffsets,
  duplicate,
  lostWrite,
  pollSkip,
  nonmonotonicPoll,
  nonmonotonicSend,
  abortedRead,
  monotonicHighWatermark,
  monotonicCommittedOffsets,
  exclusiveAssignment,
  fetchWithinLog,
];

export const STATE_INVARIANTS: readonly StateInvariant[] = [
  leaderInIsr,
  weakIsr,
  strongIsr,
  validHighWatermark,
  logMatching,
  leaderCompleteness,
  controllerEpochMonotonic,
  leaderEpochMonotonic,
  stableGroupExclusive,
  partitionControllerEpoch,
  cleanElection,
  controllerRegistered,
  leaderRegistered,
];

/** Every history invariant's violations, in registry order. `only` restricts to the named checkers. */
export function checkHistory(history: History, only?: readonly string[]): Violation[] {
  return HISTORY_INVARIANTS.filter((i) => !only || only.includes(i.name)).flatMap((i) => i.check(history));
}

/** Every state invariant's violations for one observation; `previous` is the one before the last step. */
export function checkState(now: Observation, previous?: Observation, only?: readonly string[]): Violation[] {
  return STATE_INVARIANTS.filter((i) => !only || only.includes(i.name)).flatMap((i) =>
    i.check(now, previous),
  );
}
