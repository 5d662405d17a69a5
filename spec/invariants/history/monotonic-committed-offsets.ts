/**
 * monotonic-committed-offsets: a group's committed offset for a partition, as fetchOffsets reads it,
 * never goes below a value observed earlier (an ok commit, or an earlier read) unless a later commit
 * replaced it. There is no explicit reset in the vocabulary, so a commit of a lower offset that
 * completed ok is the reset. Concurrency is allowed for: a read may return the value of any commit
 * that could take effect after the observation that sets its floor (one that overlaps it, or whose
 * outcome is unknown or still pending). Committed offsets expiring (offsets.retention.minutes) is
 * assumed not to happen within a run.
 *
 * A zombie coordinator is allowed for (docs/model.md, "A zombie coordinator"): a broker cut off from the
 * metadata store (side 1 of an isolate), paused, or whose session expired may still believe it leads its
 * __consumer_offsets partitions and answers OffsetFetch from its own cache until the controller's word reaches
 * it, which cannot be seen from outside; only its crash ends that. Its cache may lack a commit whose append
 * failed there (GroupMetadataManager drops a pending offset commit whose append fails, while the record may
 * survive in the log the next coordinator loads) or hold one the new coordinator never saw. So an observation
 * that such a broker may have answered neither sets a floor nor is checked against one.
 */
import { cite, groupBy, indexHistory, type OpRecord } from "../../history-index.ts";
import type { CommitOffsets, FetchOffsets } from "../../operations.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";
import { mayBeZombieAnswer, zombieWindows } from "./zombie-windows.ts";

const NAME = "monotonic-committed-offsets";

interface Obs {
  by: OpRecord<CommitOffsets> | OpRecord<FetchOffsets>;
  kind: "commit" | "read";
  /** ok, or for commits also unknown/pending (may have been applied). */
  certain: boolean;
  group: string;
  topic: string;
  partition: number;
  offset: number;
}

const INF = Number.POSITIVE_INFINITY;
const endIdx = (o: Obs) => o.by.complete?.index ?? INF;

function observations(ops: readonly OpRecord[]): Obs[] {
  const out: Obs[] = [];
  for (const r of ops) {
    const st = r.complete?.outcome.status;
    if (r.op.kind === "commitOffsets") {
      if (st === "failed") continue;
      for (const o of r.op.offsets) {
        out.push({
          by: r as OpRecord<CommitOffsets>,
          kind: "commit",
          certain: st === "ok",
          group: r.op.groupId,
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
        });
      }
    } else if (r.op.kind === "fetchOffsets" && st === "ok" && r.complete?.outcome.status === "ok") {
      const v = r.complete.outcome.value as {
        offsets: Array<{ topic: string; partition: number; offset: number }>;
      };
      for (const o of v.offsets) {
        out.push({
          by: r as OpRecord<FetchOffsets>,
          kind: "read",
          certain: true,
          group: r.op.groupId,
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
        });
      }
    }
  }
  return out;
}

export const monotonicCommittedOffsets: HistoryInvariant = {
  name: NAME,
  description:
    "A group's committed offset read by fetchOffsets never drops below an earlier observed value, except through a later commit.",
  check(history) {
    const idx = indexHistory(history);
    const out: Violation[] = [];
    const zombies = zombieWindows(idx.ops);
    const mayBeZombie = (o: Obs) => mayBeZombieAnswer(zombies, o.by);
    const keyed = groupBy(observations(idx.ops), (o) => `${o.group}\u0000${o.topic}/${o.partition}`);
    for (const obs of keyed.values()) {
      // A zombie's ok commit still supersedes earlier floors; it just sets none itself.
      const okCommits = obs.filter((o) => o.certain && o.kind === "commit");
      const certain = obs.filter((o) => o.certain && !mayBeZombie(o));
      // For each certain observation: the earliest completion of an ok commit invoked after it ended.
      // Once that commit has completed, the observation no longer bounds later reads.
      const supersededAt = new Map<Obs, number>();
      for (const o of certain) {
        let at = INF;
        for (const c of okCommits) if (c.by.invoke.index > endIdx(o)) at = Math.min(at, endIdx(c));
        supersededAt.set(o, at);
      }
      for (const r of certain) {
        if (r.kind !== "read") continue;
        const start = r.by.invoke.index;
        let floor: Obs | undefined;
        for (const o of certain) {
          if (o === r || endIdx(o) >= start || (supersededAt.get(o) ?? INF) < start) continue;
          if (!floor || o.offset > floor.offset) floor = o;
        }
        if (!floor || r.offset >= floor.offset) continue;
        const f = floor;
        const explained = obs.some(
          (c) =>
            c.kind === "commit" &&
            c !== f &&
            c.offset === r.offset &&
            c.by.invoke.index < endIdx(r) &&
            (!c.certain || endIdx(c) > f.by.invoke.index),
        );
        if (explained) continue;
        const seen =
          f.kind === "commit" ? `commitOffsets ${cite(f.by)} committed` : `fetchOffsets ${cite(f.by)} read`;
        out.push(
          violationOf(
            NAME,
            `group ${r.group} ${r.topic}-${r.partition}: fetchOffsets ${cite(r.by)} read ${r.offset}, below ${f.offset} ` +
              `which ${seen} earlier, with no later commit of ${r.offset}`,
            [f.by, r.by],
          ),
        );
      }
    }
    return out;
  },
};
