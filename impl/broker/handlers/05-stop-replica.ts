/**
 * StopReplica (key 5), from the controller: the node takes the replicas offline, and with
 * deletePartitions (topic deletion) removes their logs, directories and state. Served v1-v2 layout
 * (topics with partition indexes); v0 and v3+ are flattened to the same message. The node handles it
 * (in slices, like LeaderAndIsr), so the answer here is the node's; the controller's PeerLinks turns it into the
 * stopReplicaResponse its deletion waits for.
 */
import { KafkaErrorCode } from "../../../spec/errors.ts";
import { stopReplicaMessage } from "../peer/mapping.ts";
import type { Handler } from "./types.ts";

export const stopReplica: Handler<5> = async (ctx, body) => {
  let flat = body;
  if (ctx.apiVersion === 0) {
    const topics = new Map<string, number[]>();
    for (const p of body.ungroupedPartitions)
      topics.set(p.topicName, [...(topics.get(p.topicName) ?? []), p.partitionIndex]);
    flat = { ...body, topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) };
  } else if (ctx.apiVersion >= 3) {
    flat = {
      ...body,
      deletePartitions: body.topicStates.some((t) => t.partitionStates.some((p) => p.deletePartition)),
      topics: body.topicStates.map((t) => ({
        name: t.topicName,
        partitionIndexes: t.partitionStates.map((p) => p.partitionIndex),
      })),
    };
  }
  const message = stopReplicaMessage(flat);
  const failed = await ctx.runtime.peerControl(body.controllerId, () => message, []);
  // A log the node could not delete is answered KAFKA_STORAGE_ERROR: the controller asks again.
  const codes = new Map(failed.map((f) => [`${f.topic}\u0000${f.partition}`, KafkaErrorCode[f.error]]));
  return {
    errorCode: 0,
    partitionErrors: message.partitions.map((p) => ({
      topicName: p.topic,
      partitionIndex: p.partition,
      errorCode: codes.get(`${p.topic}\u0000${p.partition}`) ?? 0,
    })),
  };
};
