/**
 * lost-write (Jepsen): an acknowledged send that a later fetch passed over. Only binding
 * acknowledgements count: acks=all on a topic with min.insync.replicas >= 2 and no unclean election,
 * or any acknowledgement in a run without lossy faults.
 *
 * A fetch covers offset o when it was invoked after the send's acknowledgement and read across o:
 * max(requested offset, logStartOffset) <= o <= its last record's offset. A covering fetch that does not
 * return the value at o proves the record is gone (or moved). A fetch that began above o, or that
 * returned before the send was acknowledged, proves nothing and is ignored; records never covered at
 * all are `unseen`, not lost.
 */
import { cite, indexHistory, type OkFetch, precedes, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "lost-write";

function covers(f: OkFetch, offset: number): boolean {
  if (f.records.length === 0) return false;
  const from = Math.max(f.fetch.op.offset, f.logStartOffset);
  return from <= offset && offset <= f.records[f.records.length - 1].offset;
}

export const lostWrite: HistoryInvariant = {
  name: NAME,
  anomaly: "lost-write",
  description:
    "A durably acknowledged record is returned by every fetch invoked after the acknowledgement that reads across its offset.",
  check(history) {
    const idx = indexHistory(history);
    const fetches = idx.fetchesByPartition();
    const out: Violation[] = [];
    for (const a of idx.acked) {
      if (!idx.ackIsBinding(a)) continue;
      for (const f of fetches.get(tpKey(a.topic, a.partition)) ?? []) {
        if (!precedes(a.send, f.fetch) || !covers(f, a.offset)) continue;
        const got = f.records.find((r) => r.offset === a.offset);
        if (got?.value === a.value) continue;
        const first = f.records[0].offset;
        const last = f.records[f.records.length - 1].offset;
        const instead = got ? `it read ${got.value} there` : "the offset is missing";
        out.push(
          violationOf(
            NAME,
            `${a.value} acknowledged at ${a.topic}-${a.partition}@${a.offset} (produce ${cite(a.send)}) is lost: ` +
              `fetch ${cite(f.fetch)} read offsets ${first}..${last} after the acknowledgement and ${instead}`,
            [a.send, f.fetch],
          ),
        );
        break; // one proof per lost record is enough
      }
    }
    return out;
  },
};
