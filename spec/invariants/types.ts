/**
 * The two layers of checkers. History invariants are black-box: they read only what clients saw, so they
 * run against any target. State invariants are white-box: they read `observe()` snapshots.
 */
import type { Observation } from "../adapter.ts";
import type { History } from "../history.ts";

/** Jepsen's names for Kafka anomalies, where an invariant matches one. */
export type JepsenAnomaly =
  | "lost-write"
  | "duplicate"
  | "inconsistent-offsets"
  | "poll-skip"
  | "nonmonotonic-poll"
  | "nonmonotonic-send"
  | "G1a"
  | "unseen";

export interface Violation {
  invariant: string;
  message: string;
  /** History event indices (for history invariants) that together show the violation. */
  events: number[];
}

export interface HistoryInvariant {
  name: string;
  anomaly?: JepsenAnomaly;
  /** One sentence: what must hold. */
  description: string;
  check(history: History): Violation[];
}

export interface StateInvariant {
  name: string;
  description: string;
  /**
   * "metadata": reads only what a metadata observation carries (controller, registrations, leaders, leader
   * epochs, ISRs), so it also runs on targets that observe only metadata (Capabilities.observe). Absent:
   * needs the whole observation (replicas' logs, high watermarks, groups).
   */
  needs?: "metadata";
  /** `previous` is the snapshot before the last step, for invariants about change (never goes back). */
  check(now: Observation, previous?: Observation): Violation[];
}
