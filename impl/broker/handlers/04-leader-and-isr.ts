/**
 * LeaderAndIsr (key 4), from the controller: served at every version the codec defines (ours send v2).
 * The partition states go to the node, with each topic's min.insync.replicas read from the metadata
 * store (Kafka's LeaderAndIsr carries no topic config). Answered once the node has applied them: a
 * partition whose log failed (a disk error) is answered KAFKA_STORAGE_ERROR, the rest NONE (the node
 * applies states it accepts and ignores stale ones, as the controller expects).
 */
import { KafkaErrorCode } from "../../../spec/errors.ts";
import { leaderAndIsrMessage } from "../peer/mapping.ts";
import type { Handler } from "./types.ts";

export const leaderAndIsr: Handler<4> = async (ctx, body) => {
  const states =
    ctx.apiVersion >= 2
      ? body.topicStates
      : [...new Set(body.ungroupedPartitionStates.map((p) => p.topicName))].map((topicName) => ({
          topicName,
          partitionStates: body.ungroupedPartitionStates.filter((p) => p.topicName === topicName),
        }));
  const grouped = { ...body, topicStates: states } as typeof body;
  const failed = await ctx.runtime.peerControl(
    body.controllerId,
    (cfg) => leaderAndIsrMessage(grouped, cfg),
    states.map((t) => t.topicName),
  );
  const failedCodes = new Map(failed.map((f) => [`${f.topic}\u0000${f.partition}`, KafkaErrorCode[f.error]]));
  const partitionErrors = states.flatMap((t) =>
    t.partitionStates.map((p) => ({
      topicName: t.topicName,
      partitionIndex: p.partitionIndex,
      errorCode: failedCodes.get(`${t.topicName}\u0000${p.partitionIndex}`) ?? 0,
    })),
  );
  return { errorCode: 0, partitionErrors, topics: [] };
};
