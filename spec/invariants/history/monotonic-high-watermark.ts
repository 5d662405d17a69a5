/**
 * monotonic-high-watermark: the high watermark a consumer can learn never goes backwards between
 * operations that do not overlap in time. Every ok fetch (its highWatermark) and every ok listOffsets
 * at "latest" sets a floor; a later listOffsets "latest" must not answer below it.
 *
 * Why only listOffsets is held to the floor: after a leader change the new leader's high watermark may
 * lag the old one's until its followers fetch, and Kafka returns that lagging value in Fetch responses;
 * since KIP-207 (KAFKA-2334, Kafka 2.2) ListOffsets answers OFFSET_NOT_AVAILABLE instead until the new
 * leader's high watermark reaches the start of its epoch, which is at or above any high watermark the
 * old leader exposed. So a backwards listOffsets is a bug in any Kafka since 2.2; a backwards fetch
 * high watermark is not.
 *
 * A sighting a zombie leader may have given (zombie-windows.ts: a broker cut off from ZooKeeper, paused or
 * whose session expired, until its crash) neither sets a floor nor is held to one: it answers from its own
 * high watermark until the controller tells it of the new leader (seed 46, embedded: after the new leader showed
 * 1 and crashed, the old one, cut off since, answered 0).
 *
 * Checked on partitions whose committed records must survive (topics with min.insync.replicas >= 2 and
 * no unclean election; every topic in a run without lossy faults): after acks=1 data loss or an
 * unclean election the log end itself may legitimately move back.
 */
import { cite, groupBy, indexHistory, type OpRecord, tpKey } from "../../history-index.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";
import { mayBeZombieAnswer, zombieWindows } from "./zombie-windows.ts";

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
    "On a durable partition, listOffsets latest never answers below a high watermark seen by an operation that finished earlier.",
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
    const zombies = zombieWindows(idx.ops);
    const kept = sightings.filter((s) => !mayBeZombieAnswer(zombies, s.by));
    kept.sort((a, b) => a.by.invoke.index - b.by.invoke.index);
    const out: Violation[] = [];
    for (const list of groupBy(kept, (s) => tpKey(s.topic, s.partition)).values()) {
      if (!idx.readIsBinding(list[0].topic)) continue;
      const byEnd = [...list].sort((a, b) => a.by.complete.index - b.by.complete.index);
      let j = 0;
      let top: Sighting | undefined;
      for (const s of list) {
        while (j < byEnd.length && byEnd[j].by.complete.index < s.by.invoke.index) {
          if (!top || byEnd[j].hw > top.hw) top = byEnd[j];
          j++;
        }
        if (top && s.hw < top.hw && s.by.op.kind === "listOffsets") {
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
