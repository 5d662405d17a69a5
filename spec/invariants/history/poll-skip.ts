/**
 * poll-skip (Jepsen): a consumer's fetch that continued exactly where its previous fetch on that
 * partition ended, within one assignment, jumped over offsets that hold records. A Kafka log has no
 * gaps without compaction or transactions (neither is in the vocabulary), so any offset some
 * acknowledgement or fetch showed to hold a record must be returned before later ones.
 */
import { cite, fetchSteps, getOrInsert, indexHistory, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "poll-skip";

export const pollSkip: HistoryInvariant = {
  name: NAME,
  anomaly: "poll-skip",
  description:
    "A fetch continuing from the previous fetch's end (same consumer, partition and assignment) skips no offset that holds a record.",
  check(history) {
    const idx = indexHistory(history);
    // Offsets known to hold a record, per partition: an offset once written stays occupied (by it or
    // by whatever replaced it after a truncation), since offsets are dense.
    const known = new Map<string, Set<number>>();
    const mark = (k: string, o: number) => {
      getOrInsert(known, k, () => new Set<number>()).add(o);
    };
    for (const a of idx.acked) mark(tpKey(a.topic, a.partition), a.offset);
    for (const f of idx.fetches)
      for (const r of f.records) mark(tpKey(f.fetch.op.topic, f.fetch.op.partition), r.offset);

    const out: Violation[] = [];
    for (const s of fetchSteps(idx)) {
      const n = s.next;
      if (!s.continues || n.records.length === 0) continue;
      const from = Math.max(n.fetch.op.offset, n.logStartOffset);
      const first = n.records[0].offset;
      const occupied = known.get(tpKey(n.fetch.op.topic, n.fetch.op.partition)) ?? new Set<number>();
      const skipped: number[] = [];
      for (let o = from; o < first; o++) if (occupied.has(o)) skipped.push(o);
      if (skipped.length === 0) continue;
      const { consumer, topic, partition } = n.fetch.op;
      out.push(
        violationOf(
          NAME,
          `${consumer} on ${topic}-${partition}: fetch ${cite(s.prev.fetch)} ended at ${s.prevEnd}, fetch ` +
            `${cite(n.fetch)} continued from ${n.fetch.op.offset} but began at ${first}, skipping offsets ` +
            `${skipped.join(",")} that hold records`,
          [s.prev.fetch, n.fetch],
        ),
      );
    }
    return out;
  },
};
