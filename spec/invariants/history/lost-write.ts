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
import { type AckedSend, cite, groupBy, indexHistory, precedes, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "lost-write";

/** The first index in ascending `offsets` whose value is >= `target`. */
function lowerBound(offsets: readonly number[], target: number): number {
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (offsets[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const lostWrite: HistoryInvariant = {
  name: NAME,
  anomaly: "lost-write",
  description:
    "A durably acknowledged record is returned by every fetch invoked after the acknowledgement that reads across its offset.",
  check(history) {
    const idx = indexHistory(history);
    const out: Violation[] = [];
    // Per partition, binding acknowledgements sorted by offset, so each fetch visits only the
    // acknowledgements inside the range it covers.
    const acks = groupBy(
      idx.acked.filter((a) => idx.ackIsBinding(a)),
      (a) => tpKey(a.topic, a.partition),
    );
    const lost = new Set<AckedSend>();
    const offsetsOf = new Map<AckedSend[], number[]>();
    for (const list of acks.values()) {
      list.sort((x, y) => x.offset - y.offset);
      offsetsOf.set(
        list,
        list.map((a) => a.offset),
      );
    }
    for (const f of idx.fetches) {
      if (f.records.length === 0) continue;
      const list = acks.get(tpKey(f.fetch.op.topic, f.fetch.op.partition));
      if (!list) continue;
      const from = Math.max(f.fetch.op.offset, f.logStartOffset);
      const first = f.records[0].offset;
      const last = f.records[f.records.length - 1].offset;
      const offsets = offsetsOf.get(list) ?? [];
      let read: Map<number, string> | undefined;
      for (let i = lowerBound(offsets, from); i < list.length && list[i].offset <= last; i++) {
        const a = list[i];
        if (lost.has(a) || !precedes(a.send, f.fetch)) continue;
        read ??= new Map(f.records.map((r) => [r.offset, r.value]));
        const got = read.get(a.offset);
        if (got === a.value) continue;
        lost.add(a); // one proof per lost record is enough
        const instead = got !== undefined ? `it read ${got} there` : "the offset is missing";
        out.push(
          violationOf(
            NAME,
            `${a.value} acknowledged at ${a.topic}-${a.partition}@${a.offset} (produce ${cite(a.send)}) is lost: ` +
              `fetch ${cite(f.fetch)} read offsets ${first}..${last} after the acknowledgement and ${instead}`,
            [a.send, f.fetch],
          ),
        );
      }
    }
    return out;
  },
};
