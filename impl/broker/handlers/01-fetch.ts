/**
 * Fetch (key 1). From consumers (replicaId -1): the leader's stored batches below the high watermark,
 * straight from the segment file, held until minBytes are there or maxWaitMs passes. From followers
 * (replicaId >= 0): the replication core's replica fetch, answered with each partition's stored batches
 * byte for byte (the follower appends them as they are); for replica fetches lastStableOffset
 * carries the leader's log end offset (what the follower truncates to on OFFSET_OUT_OF_RANGE).
 * v4 adds isolation level and aborted transactions (always none: no transactions), v5
 * logStartOffset, v7 fetch sessions (we answer sessionId 0: every fetch is a full fetch),
 * v9 currentLeaderEpoch, v11 rackId and preferredReadReplica (-1), v12 flexible.
 */
import type { FetchRequest, FetchResponseInput } from "../../protocol/index.ts";
import { StorageReplicaLog } from "../../replication/storage-log.ts";
import { encodeEntries, type TimedEntry } from "../record-codec.ts";
import { code, type Handler, type RequestContext } from "./types.ts";

type PartitionOut = FetchResponseInput["responses"][number]["partitions"][number];

const MAX_RECORDS_PER_PARTITION = 1000;

function partitionOut(
  index: number,
  error: Parameters<typeof code>[0],
  hw: number,
  lso: number,
  logStart: number,
  records: Buffer[],
): PartitionOut {
  return {
    partitionIndex: index,
    errorCode: code(error),
    highWatermark: BigInt(hw),
    lastStableOffset: BigInt(lso),
    logStartOffset: BigInt(logStart),
    abortedTransactions: [],
    preferredReadReplica: -1,
    records:
      records.length === 0 ? Buffer.alloc(0) : records.length === 1 ? records[0] : Buffer.concat(records),
  };
}

/** Batches up to maxBytes, but always the first (so a large record still makes progress). */
function capBatches(batches: Buffer[], maxBytes: number): Buffer[] {
  const out: Buffer[] = [];
  let n = 0;
  for (const b of batches) {
    if (out.length > 0 && n + b.length > maxBytes) break;
    out.push(b);
    n += b.length;
  }
  return out;
}

async function replicaFetch(ctx: RequestContext, body: FetchRequest) {
  const reqs = body.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      replicaId: body.replicaId,
      topic: t.topic,
      partition: p.partition,
      fetchOffset: Number(p.fetchOffset),
      currentLeaderEpoch: p.currentLeaderEpoch,
      maxRecords: MAX_RECORDS_PER_PARTITION,
      maxBytes: Math.max(0, p.partitionMaxBytes),
    })),
  );
  const answers = await ctx.runtime.peerFetch(body.replicaId, reqs);
  const byTopic = new Map<string, PartitionOut[]>();
  for (const a of answers) {
    const list = byTopic.get(a.topic) ?? [];
    list.push(
      partitionOut(
        a.partition,
        a.error,
        a.highWatermark,
        a.leaderLogEndOffset,
        a.logStartOffset,
        a.records.length === 0 ? [] : [a.records],
      ),
    );
    byTopic.set(a.topic, list);
  }
  return {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
  };
}

/**
 * The fast path for a consumer: the leader's batches as stored, read from the segment file below the
 * high watermark (no per-record objects, nothing re-encoded). Null when the node must answer instead
 * (not the leader, not running, an offset out of range): it knows the right error.
 */
function readStored(
  rt: RequestContext["runtime"],
  topic: string,
  partition: number,
  fetchOffset: number,
  maxBytes: number,
  minOneBatch: boolean,
): { highWatermark: number; logStartOffset: number; records: Buffer } | null {
  const r = rt.node.replicas.get(`${topic}\u0000${partition}`);
  if (!rt.running || r === undefined || r.role !== "leader" || !(r.log instanceof StorageReplicaLog))
    return null;
  const log = r.log.log;
  if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) return null;
  return {
    highWatermark: r.highWatermark,
    logStartOffset: log.logStartOffset,
    records: log.read(fetchOffset, Math.max(0, maxBytes), r.highWatermark, minOneBatch),
  };
}

export const fetch: Handler<1> = async (ctx, body) => {
  if (body.replicaId >= 0) return replicaFetch(ctx, body);
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const deadline = Date.now() + Math.max(0, body.maxWaitMs);
  for (;;) {
    let bytes = 0;
    let failed = false;
    let budget = body.maxBytes;
    const responses = [];
    for (const t of body.topics) {
      const partitions: PartitionOut[] = [];
      for (const p of t.partitions) {
        const fetchOffset = Number(p.fetchOffset);
        const stored = readStored(
          rt,
          t.topic,
          p.partition,
          fetchOffset,
          Math.min(p.partitionMaxBytes, budget),
          bytes === 0,
        );
        if (stored !== null) {
          bytes += stored.records.length;
          budget -= stored.records.length;
          const { highWatermark: hw, logStartOffset } = stored;
          partitions.push(
            partitionOut(
              p.partition,
              null,
              hw,
              hw,
              logStartOffset,
              stored.records.length > 0 ? [stored.records] : [],
            ),
          );
          continue;
        }
        const r = await rt.call({
          api: "fetch",
          topic: t.topic,
          partition: p.partition,
          fetchOffset: Number(p.fetchOffset),
          maxRecords: MAX_RECORDS_PER_PARTITION,
        });
        if (r.api !== "fetch") {
          failed = true;
          partitions.push(
            partitionOut(p.partition, r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR", -1, -1, -1, []),
          );
          continue;
        }
        if (r.error !== null) failed = true;
        const batches =
          budget > 0
            ? capBatches(encodeEntries(r.records as TimedEntry[]), Math.min(p.partitionMaxBytes, budget))
            : [];
        const size = batches.reduce((n, b) => n + b.length, 0);
        bytes += size;
        budget -= size;
        partitions.push(
          partitionOut(p.partition, r.error, r.highWatermark, r.highWatermark, r.logStartOffset, batches),
        );
      }
      responses.push({ topic: t.topic, partitions });
    }
    const now = Date.now();
    if (bytes >= Math.max(1, body.minBytes) || failed || now >= deadline || rt.isStopped()) {
      return { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses };
    }
    await rt.waitForChange(deadline - now);
  }
};
