/**
 * monotonic-high-watermark: the high watermark consumers see on a partition never goes backwards
 * between operations that do not overlap in time. Sightings are ok fetches (their highWatermark) and
 * ok listOffsets at "latest". Checked on partitions whose committed records must survive (topics with
 * min.insync.replicas >= 2 and no unclean election; every topic in a run without lossy faults): with
 * acks=1 data loss or unclean election Kafka's high watermark may legitimately drop. Kafka keeps it
 * from dropping across a leader change since KAFKA-2334 (a new leader answers OFFSET_NOT_AVAILABLE
 * until its high watermark catches up).
 */
import { cite, groupBy, indexHistory, type OpRecord, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "monotonic-high-watermark";

interface Sighting {
  by: OpRecord & { complete: NonNullable<OpRecord["complete"]> };
  topic: string;
  partition: number;
  hw: number;
}

export const monotonicHighWatermark: HistoryInvariant = {
  name: NAME,
  description:
    "On a durable partition, a consumer-visible high watermark is never lower than one seen by an operation that finished earlier.",
  check(history) {
    const idx = indexHistory(history);
    const sightings: Sighting[] = [];
    for (const f of idx.fetches) {
      const { topic, partition } = f.fetch.op;
      sightings.push({ by: f.fetch, topic, partition, hw: f.highWatermark });
    }
    for (const r of idx.okOf("listOffsets")) {
      if (r.op.at !== "latest") continue;
      const v =
        r.complete.outcome.status === "ok" ? (r.complete.outcome.value as { offset: number }) : undefined;
      if (v) sightings.push({ by: r, topic: r.op.topic, partition: r.op.partition, hw: v.offset });
    }
    sightings.sort((a, b) => a.by.invoke.index - b.by.invoke.index);
    const out: Violation[] = [];
    for (const list of groupBy(sightings, (s) => tpKey(s.topic, s.partition)).values()) {
      if (!idx.readIsBinding(list[0].topic)) continue;
      const byEnd = [...list].sort((a, b) => a.by.complete.index - b.by.complete.index);
      let j = 0;
      let top: Sighting | undefined;
      for (const s of list) {
        while (j < byEnd.length && byEnd[j].by.complete.index < s.by.invoke.index) {
          if (!top || byEnd[j].hw > top.hw) top = byEnd[j];
          j++;
        }
        if (top && s.hw < top.hw) {
          out.push(
            violationOf(
              NAME,
              `${s.topic}-${s.partition}: ${s.by.op.kind} ${cite(s.by)} saw high watermark ${s.hw} after ` +
                `${top.by.op.kind} ${cite(top.by)} had seen ${top.hw}`,
              [top.by, s.by],
            ),
          );
        }
      }
    }
    return out;
  },
};
