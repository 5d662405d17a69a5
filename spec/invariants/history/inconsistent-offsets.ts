/**
 * inconsistent-offsets (Jepsen): one offset of a partition holding more than one value. Evidence is
 * every acknowledgement and every fetched record that binds the cluster (see HistoryIndex.ackIsBinding
 * and readIsBinding): an acks=1 record may be truncated and its offset reused after a failover, which
 * Kafka allows, so such evidence counts only in runs without lossy faults.
 */
import { cite, getOrInsert, indexHistory, type OpRecord, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "inconsistent-offsets";

export const inconsistentOffsets: HistoryInvariant = {
  name: NAME,
  anomaly: "inconsistent-offsets",
  description:
    "Every offset of a partition holds one value: all acknowledgements and fetches that name it agree.",
  check(history) {
    const idx = indexHistory(history);
    // partition -> offset -> value -> first operation that showed it
    const seen = new Map<string, Map<number, Map<string, { by: OpRecord; how: string }>>>();
    const note = (
      topic: string,
      partition: number,
      offset: number,
      value: string,
      by: OpRecord,
      how: string,
    ) => {
      const k = tpKey(topic, partition);
      const offsets = getOrInsert(
        seen,
        k,
        () => new Map<number, Map<string, { by: OpRecord; how: string }>>(),
      );
      const values = getOrInsert(offsets, offset, () => new Map<string, { by: OpRecord; how: string }>());
      if (!values.has(value)) values.set(value, { by, how });
    };
    for (const a of idx.acked) {
      if (idx.ackIsBinding(a)) note(a.topic, a.partition, a.offset, a.value, a.send, "acknowledged by");
    }
    for (const f of idx.fetches) {
      const { topic, partition } = f.fetch.op;
      if (!idx.readIsBinding(topic)) continue;
      for (const r of f.records) note(topic, partition, r.offset, r.value, f.fetch, "read by");
    }
    const out: Violation[] = [];
    for (const [k, offsets] of seen) {
      for (const [offset, values] of offsets) {
        if (values.size < 2) continue;
        const parts = [...values].map(([v, w]) => `${v} (${w.how} ${w.by.op.kind} ${cite(w.by)})`);
        out.push(
          violationOf(
            NAME,
            `${k.replace("/", "-")} offset ${offset} holds ${values.size} values: ${parts.join(", ")}`,
            [...values.values()].map((w) => w.by),
          ),
        );
      }
    }
    return out;
  },
};
