/**
 * duplicate (Jepsen): one value at more than one offset (or partition). Values are unique per run and
 * the runner never retries a send, so any second position is a broker-made duplicate; for idempotent
 * producers this is the idempotence invariant. Every acknowledgement and fetched record counts: no
 * failover moves a record to another offset, it can only drop it.
 */
import { cite, getOrInsert, indexHistory, type OpRecord } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "duplicate";

export const duplicate: HistoryInvariant = {
  name: NAME,
  anomaly: "duplicate",
  description: "Every value sits at one position (partition and offset) in the log.",
  check(history) {
    const idx = indexHistory(history);
    // value -> "topic-partition@offset" -> first operation that showed it there
    const seen = new Map<string, Map<string, OpRecord>>();
    const note = (value: string, where: string, by: OpRecord) => {
      const places = getOrInsert(seen, value, () => new Map<string, OpRecord>());
      if (!places.has(where)) places.set(where, by);
    };
    for (const a of idx.acked) note(a.value, `${a.topic}-${a.partition}@${a.offset}`, a.send);
    for (const f of idx.fetches) {
      const { topic, partition } = f.fetch.op;
      for (const r of f.records) note(r.value, `${topic}-${partition}@${r.offset}`, f.fetch);
    }
    const out: Violation[] = [];
    for (const [value, places] of seen) {
      if (places.size < 2) continue;
      const parts = [...places].map(([where, by]) => `${where} (${by.op.kind} ${cite(by)})`);
      out.push(
        violationOf(NAME, `value ${value} is at ${places.size} positions: ${parts.join(", ")}`, [
          ...places.values(),
        ]),
      );
    }
    return out;
  },
};
