/** Building violations the same way in every checker: one index per operation, ascending. */
import type { OpRecord } from "../history-index.ts";
import type { Violation } from "./types.ts";

/**
 * The event that carries an operation's evidence: its completion (where the outcome is), or its
 * invocation when it never completed.
 */
export function evidenceIndex(r: OpRecord): number {
  return r.complete ? r.complete.index : r.invoke.index;
}

/** A violation citing the completion event of each operation involved (deduplicated, ascending). */
export function violationOf(invariant: string, message: string, ops: readonly OpRecord[]): Violation {
  const events = [...new Set(ops.map(evidenceIndex))].sort((a, b) => a - b);
  return { invariant, message, events };
}
