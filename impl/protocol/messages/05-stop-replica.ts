/**
 * StopReplica (key 5): the controller tells a broker to stop (and maybe delete) replicas. Defined v0-4.
 *
 * Inter-broker (ZooKeeper mode). v0: flat partitions. v1: brokerEpoch, partitions grouped by topic.
 * v2: first flexible version. v3: per-partition leaderEpoch and deletePartition (KIP-570), in topicStates.
 * v4: isKRaftController (KIP-866).
 *
 * Errors:
 * STALE_CONTROLLER_EPOCH, STALE_BROKER_EPOCH as for LeaderAndIsr; per partition KAFKA_STORAGE_ERROR.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const StopReplicaRequest = {
  apiKey: 5,
  name: "StopReplicaRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "2+",
  fields: [
    /** The broker id of the controller, or -1 if there is none. */
    { name: "controllerId", type: "int32", versions: "0+" },
    /** Whether the controller is a KRaft controller. */
    { name: "isKRaftController", type: "bool", versions: "4+", default: false },
    /** The sender's controller epoch; a broker ignores a controller whose epoch is older than one it has seen. */
    { name: "controllerEpoch", type: "int32", versions: "0+" },
    /** The broker's epoch (its registration's creation zxid), fencing requests meant for an earlier incarnation; -1 if unknown. */
    { name: "brokerEpoch", type: "int64", versions: "1+", default: -1n },
    /** Whether the replicas' data should be deleted too, not just the replicas stopped. */
    { name: "deletePartitions", type: "bool", versions: "0-2" },
    /** The partitions, flat (v0 layout). */
    {
      name: "ungroupedPartitions",
      type: {
        array: {
          name: "StopReplicaPartitionV0",
          fields: [
            /** The topic name. */
            { name: "topicName", type: "string", versions: "0" },
            /** The partition index. */
            { name: "partitionIndex", type: "int32", versions: "0" },
          ],
        },
      },
      versions: "0",
    },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "StopReplicaTopicV1",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "1-2" },
            /** The partition indexes. */
            { name: "partitionIndexes", type: { array: "int32" }, versions: "1-2" },
          ],
        },
      },
      versions: "1-2",
    },
    /** The partitions by topic. */
    {
      name: "topicStates",
      type: {
        array: {
          name: "StopReplicaTopicState",
          fields: [
            /** The topic name. */
            { name: "topicName", type: "string", versions: "3+" },
            /** The state of each partition. */
            {
              name: "partitionStates",
              type: {
                array: {
                  name: "StopReplicaPartitionState",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "3+" },
                    /** The leader epoch. */
                    { name: "leaderEpoch", type: "int32", versions: "3+", default: -1 },
                    /** Whether the replica's data should be deleted too, not just the replica stopped. */
                    { name: "deletePartition", type: "bool", versions: "3+" },
                  ],
                },
              },
              versions: "3+",
            },
          ],
        },
      },
      versions: "3+",
    },
  ],
} as const satisfies MessageSpec;

export const StopReplicaResponse = {
  apiKey: 5,
  name: "StopReplicaResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "2+",
  fields: [
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The result for each partition. */
    {
      name: "partitionErrors",
      type: {
        array: {
          name: "StopReplicaPartitionError",
          fields: [
            /** The topic name. */
            { name: "topicName", type: "string", versions: "0+" },
            /** The partition index. */
            { name: "partitionIndex", type: "int32", versions: "0+" },
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const StopReplica = {
  apiKey: 5,
  name: "StopReplica",
  request: StopReplicaRequest,
  response: StopReplicaResponse,
} as const satisfies ApiSpec;

export type StopReplicaRequest = Message<typeof StopReplicaRequest>;
export type StopReplicaResponse = Message<typeof StopReplicaResponse>;
export type StopReplicaRequestInput = MessageInput<typeof StopReplicaRequest>;
export type StopReplicaResponseInput = MessageInput<typeof StopReplicaResponse>;
