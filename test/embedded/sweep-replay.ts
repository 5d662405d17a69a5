/**
 * Replaying a case a long conformance sweep found, and checking that it is still that case.
 *
 * The token's fingerprint proves the runner still generates the same steps (runCheck refuses it otherwise).
 * It cannot prove the target still walks the same path on them: a change in the simulator or the broker may
 * make the same steps miss the situation the case was kept for, and a replay that passes would then test
 * nothing. So each case also names what its history must show (`shows`: patterns matched in order against
 * the formatted history); when it stops showing it, find a new case with the fix switched off (a sweep,
 * `check --target embedded --runs 2000 --ops 100 --seed N`) and store that one's seed and token.
 * The stronger check, made by hand when the tokens were re-derived (session 3): with the fix or the checker
 * rule switched off in a scratch copy, the replay fails with the message it was kept for; a case that passes
 * then is marked `lost`.
 */
import { createEmbeddedTarget } from "../../impl/embedded/index.ts";
import { formatEvent } from "../../spec/history.ts";
import type { FaultFamily } from "../../spec/operations.ts";
import { type CheckResult, loadReferenceSuite, runCheck } from "../../spec/runner.ts";

export const SWEEP_FAULTS: FaultFamily[] = ["crash", "restart", "isolate", "session", "time"];

export interface SweepCase {
  seed: number;
  /** The sweep's --ops. */
  ops: number;
  /** The failure report's replay token, with its case fingerprint. */
  token: string;
  faults?: FaultFamily[];
  /** What the replayed history must show, in order: the situation the case was kept for. */
  shows: RegExp[];
  /**
   * Set when the same steps no longer reach that situation (why, and since when): the case is still replayed
   * and must still pass, but it no longer tests what it was kept for; `shows` is then not asserted.
   */
  lost?: string;
}

/** Replays the case on the embedded target (3 brokers); returns the result and the run's history lines. */
export async function replaySweepCase(c: SweepCase): Promise<{ result: CheckResult; history: string[] }> {
  const suite = await loadReferenceSuite();
  let history: string[] = [];
  const result = await runCheck({
    ...suite,
    target: () => createEmbeddedTarget(),
    runs: 1,
    opsPerRun: c.ops,
    seed: c.seed,
    brokers: 3,
    faults: c.faults ?? SWEEP_FAULTS,
    replay: c.token,
    onRunEnd: (run) => {
      history = run.history.events.map(formatEvent);
    },
  });
  return { result, history };
}

/** The first pattern the history does not show after the lines the patterns before it matched; null if all do. */
export function firstMissing(history: readonly string[], shows: readonly RegExp[]): RegExp | null {
  let from = 0;
  for (const pattern of shows) {
    const at = history.findIndex((line, i) => i >= from && pattern.test(line));
    if (at < 0) return pattern;
    from = at + 1;
  }
  return null;
}
