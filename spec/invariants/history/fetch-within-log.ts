/**
 * fetch-within-log: a fetch returns only records in [logStartOffset, highWatermark) as that same
 * response reports them. Kafka reads up to the high watermark it then returns, so a record at or
 * above it was uncommitted; a record below the log start was already deleted.
 */
import { cite, indexHistory } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "fetch-within-log";

export const fetchWithinLog: HistoryInvariant = {
  name: NAME,
  description:
    "Fetched records lie at or above the log start offset and below the high watermark of the response.",
  check(history) {
    const idx = indexHistory(history);
    const out: Violation[] = [];
    for (const f of idx.fetches) {
      const bad = f.records.filter((r) => r.offset < f.logStartOffset || r.offset >= f.highWatermark);
      if (bad.length === 0) continue;
      const { topic, partition } = f.fetch.op;
      out.push(
        violationOf(
          NAME,
          `fetch ${cite(f.fetch)} of ${topic}-${partition} returned offsets ${bad.map((r) => r.offset).join(",")} ` +
            `outside [logStartOffset=${f.logStartOffset}, highWatermark=${f.highWatermark})`,
          [f.fetch],
        ),
      );
    }
    return out;
  },
};
