/**
 * nonmonotonic-poll (Jepsen): a consumer reads a partition backwards or out of order. Within one fetch
 * the offsets must be strictly increasing, contiguous and not below the requested offset; a fetch that
 * continues from the previous fetch's end (same consumer and assignment) must return only offsets
 * above what the previous one read. A rebalance in between resets the sequence.
 */
import { cite, fetchSteps, indexHistory, type OkFetch } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "nonmonotonic-poll";

/** The first place a fetch's offsets are not one more than the previous, as "a then b". */
function firstBreak(f: OkFetch): string | undefined {
  for (let i = 1; i < f.records.length; i++) {
    const a = f.records[i - 1].offset;
    const b = f.records[i].offset;
    if (b !== a + 1) return `offset ${b} follows ${a}`;
  }
  return undefined;
}

export const nonmonotonicPoll: HistoryInvariant = {
  name: NAME,
  anomaly: "nonmonotonic-poll",
  description:
    "Each fetch returns contiguous increasing offsets from its requested offset, and a continuing fetch never re-reads.",
  check(history) {
    const idx = indexHistory(history);
    const out: Violation[] = [];
    const continuation = new Map<OkFetch, OkFetch>();
    for (const s of fetchSteps(idx)) {
      if (s.continues && s.prev.records.length > 0) continuation.set(s.next, s.prev);
    }
    for (const f of idx.fetches) {
      const { consumer, topic, partition, offset } = f.fetch.op;
      const where = `${consumer} on ${topic}-${partition}`;
      const brk = firstBreak(f);
      if (brk) {
        out.push(
          violationOf(NAME, `${where}: fetch ${cite(f.fetch)} is not contiguous and increasing: ${brk}`, [
            f.fetch,
          ]),
        );
      }
      const below = f.records.filter((r) => r.offset < offset).map((r) => r.offset);
      if (below.length === 0) continue;
      const prev = continuation.get(f);
      if (prev) {
        const lastRead = prev.records[prev.records.length - 1].offset;
        out.push(
          violationOf(
            NAME,
            `${where}: fetch ${cite(f.fetch)} continued from ${offset} after fetch ${cite(prev.fetch)} read up to ` +
              `${lastRead}, yet returned offsets ${below.join(",")} again`,
            [prev.fetch, f.fetch],
          ),
        );
      } else {
        out.push(
          violationOf(
            NAME,
            `${where}: fetch ${cite(f.fetch)} asked for offset ${offset} and returned earlier offsets ${below.join(",")}`,
            [f.fetch],
          ),
        );
      }
    }
    return out;
  },
};
