/**
 * OffsetCommit (key 8): v0 has no generation (a simple commit); v2-4 retentionTimeMs (ignored, as Kafka 2.1+
 * does); v6 committedLeaderEpoch; v7 groupInstanceId. Answered once the commit is replicated.
 */
import { groupBody } from "./group-response.ts";
import { code, type Handler } from "./types.ts";

/** Offsets a JS number holds exactly: the group core keeps offsets as numbers (2^53 records is far past any log). */
const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export const offsetCommit: Handler<8> = async (ctx, body) => {
  // An offset beyond 2^53 would be stored rounded (and 2^63-1 rounds past int64, which then fails to
  // encode into __consumer_offsets): the request is refused rather than committing another offset.
  if (
    body.topics.some((t) => t.partitions.some((p) => p.committedOffset > SAFE || p.committedOffset < -SAFE))
  )
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: code("INVALID_REQUEST"),
        })),
      })),
    };
  const r = await ctx.runtime.call({
    api: "offsetCommit",
    body: {
      groupId: body.groupId,
      generationId: body.generationIdOrMemberEpoch,
      memberId: body.memberId,
      groupInstanceId: body.groupInstanceId,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: Number(p.committedOffset),
          committedLeaderEpoch: p.committedLeaderEpoch,
          committedMetadata: p.committedMetadata,
        })),
      })),
    },
  });
  const b = groupBody(r, "OffsetCommit");
  if (typeof b === "string") {
    const errorCode = code(b);
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    };
  }
  return {
    throttleTimeMs: 0,
    topics: b.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(p.error) })),
    })),
  };
};
