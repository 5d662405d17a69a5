/**
 * aborted-read (Jepsen G1a): a fetch returned a value whose send definitely failed. Failures that
 * Kafka can report although the record may be in the log (INDEFINITE_SEND_ERRORS: appended but too few
 * replicas, leadership moved while an acks=all produce waited, timeouts, network and storage errors)
 * are indefinite and do not count.
 */
import { cite, INDEFINITE_SEND_ERRORS, indexHistory, type OpRecord } from "../../history-index.ts";
import type { Produce } from "../../operations.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "aborted-read";

export const abortedRead: HistoryInvariant = {
  name: NAME,
  anomaly: "G1a",
  description: "No fetch returns a value whose send definitely failed.",
  check(history) {
    const idx = indexHistory(history);
    const failedSends = new Map<string, OpRecord<Produce>>();
    for (const s of idx.sends) {
      const o = s.complete?.outcome;
      if (o?.status === "failed" && !INDEFINITE_SEND_ERRORS.has(o.error)) failedSends.set(s.op.value, s);
    }
    const out: Violation[] = [];
    const reported = new Set<string>();
    for (const f of idx.fetches) {
      for (const r of f.records) {
        const s = failedSends.get(r.value);
        if (!s || reported.has(r.value)) continue;
        reported.add(r.value);
        const err = s.complete?.outcome.status === "failed" ? s.complete.outcome.error : "";
        out.push(
          violationOf(
            NAME,
            `fetch ${cite(f.fetch)} read ${r.value} at ${f.fetch.op.topic}-${f.fetch.op.partition}@${r.offset}, ` +
              `but its send ${cite(s)} failed with ${err}`,
            [s, f.fetch],
          ),
        );
      }
    }
    return out;
  },
};
