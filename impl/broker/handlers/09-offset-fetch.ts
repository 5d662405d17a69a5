/**
 * OffsetFetch (key 9): v0-1 errors per partition; v2+ a top-level error and null topics for "all of them";
 * v5 committedLeaderEpoch; v7 requireStable (no transactions, so always stable).
 */
import { code, type Handler } from "./types.ts";

export const offsetFetch: Handler<9> = async (ctx, body) => {
  const topics =
    body.topics === null
      ? null
      : body.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
  const r = await ctx.runtime.call({ api: "offsetFetch", body: { groupId: body.groupId, topics } });
  const old = ctx.apiVersion < 2;
  if (r.api !== "offsetFetch") {
    const errorCode = code(r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR");
    return {
      throttleTimeMs: 0,
      errorCode,
      topics: (body.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: old ? errorCode : 0,
        })),
      })),
    };
  }
  const top = r.body.error;
  return {
    throttleTimeMs: 0,
    errorCode: code(top),
    topics: r.body.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: BigInt(p.committedOffset),
        committedLeaderEpoch: p.committedLeaderEpoch,
        metadata: p.metadata ?? "",
        errorCode: code(old && top !== "NONE" ? top : p.error),
      })),
    })),
  };
};
