/**
 * unseen (Jepsen, informational): acknowledged sends that no fetch ever returned. A black-box checker
 * cannot tell a lost record from one nobody read yet, so this is a count for the report, never a
 * violation; `lost-write` covers the provable losses.
 */

import type { History } from "../../history.ts";
import { indexHistory } from "../../history-index.ts";

export interface UnseenReport {
  /** Acknowledged sends whose value no fetch returned. */
  count: number;
  /** Acknowledged sends in total, for scale. */
  acknowledged: number;
  /** Unseen per partition, keyed "topic-partition". */
  byPartition: Record<string, number>;
  /** Up to `sampleSize` unseen values, in history order, for the report. */
  sample: string[];
}

export function unseen(history: History, sampleSize = 10): UnseenReport {
  const idx = indexHistory(history);
  const read = new Set<string>();
  for (const f of idx.fetches) for (const r of f.records) read.add(r.value);
  const report: UnseenReport = { count: 0, acknowledged: idx.acked.length, byPartition: {}, sample: [] };
  for (const a of idx.acked) {
    if (read.has(a.value)) continue;
    report.count++;
    const k = `${a.topic}-${a.partition}`;
    report.byPartition[k] = (report.byPartition[k] ?? 0) + 1;
    if (report.sample.length < sampleSize) report.sample.push(a.value);
  }
  return report;
}
