/**
 * ListOffsets (key 2). Timestamp -2: the log start; -1: the high watermark (the end consumers may
 * read to); any other: the first offset whose record timestamp is at or after it, below the high
 * watermark, from the storage's time index (-1 when there is none). v0 answers in oldStyleOffsets;
 * v1+ with timestamp and offset; v4+ with the leader epoch.
 */
import { StorageReplicaLog } from "../../replication/storage-log.ts";
import { code, type Handler } from "./types.ts";

export const listOffsets: Handler<2> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const topics = [];
  for (const t of body.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      const ts = Number(p.timestamp);
      const replica = rt.node.replicas.get(`${t.name}\u0000${p.partitionIndex}`);
      let error: Parameters<typeof code>[0] = null;
      let offset = -1;
      let timestamp = -1;
      if (ts === -1 || ts === -2) {
        const r = await rt.call({
          api: "listOffsets",
          topic: t.name,
          partition: p.partitionIndex,
          timestamp: ts,
        });
        if (r.api === "listOffsets") {
          error = r.error;
          offset = r.offset;
        } else error = r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR";
      } else if (replica === undefined || replica.role !== "leader") {
        error = replica === undefined ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER";
      } else if (replica.log instanceof StorageReplicaLog) {
        const found = replica.log.log.offsetForTimestamp(ts);
        if (found !== null && found.offset < replica.highWatermark) {
          offset = found.offset;
          timestamp = found.timestamp;
        }
      }
      partitions.push({
        partitionIndex: p.partitionIndex,
        errorCode: code(error),
        oldStyleOffsets: offset >= 0 ? [BigInt(offset)] : [],
        timestamp: BigInt(timestamp),
        offset: BigInt(offset),
        leaderEpoch: replica?.leaderEpoch ?? -1,
      });
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
};
