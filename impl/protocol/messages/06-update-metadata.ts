/**
 * UpdateMetadata (key 6): the controller pushes cluster metadata to every broker. Defined v0-8.
 *
 * Inter-broker (ZooKeeper mode). v0: one host and port per broker. v1: a list of endpoints.
 * v2: rack. v3: listener names. v4: offlineReplicas. v5: brokerEpoch, partitions grouped by topic.
 * v6: first flexible version. v7: topic ids. v8: isKRaftController and a request type (KIP-866).
 *
 * Errors:
 * STALE_CONTROLLER_EPOCH, STALE_BROKER_EPOCH as for LeaderAndIsr.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec, StructSpec } from "../types.ts";

/** UpdateMetadataPartitionState */
const UpdateMetadataPartitionStateStruct = {
  name: "UpdateMetadataPartitionState",
  fields: [
    /** The topic name. */
    { name: "topicName", type: "string", versions: "0-4" },
    /** The partition index. */
    { name: "partitionIndex", type: "int32", versions: "0+" },
    /** The sender's controller epoch; a broker ignores a controller whose epoch is older than one it has seen. */
    { name: "controllerEpoch", type: "int32", versions: "0+" },
    /** The leader of the group, a member id. */
    { name: "leader", type: "int32", versions: "0+" },
    /** The leader epoch. */
    { name: "leaderEpoch", type: "int32", versions: "0+" },
    /** The in-sync replicas. */
    { name: "isr", type: { array: "int32" }, versions: "0+" },
    /** The ZooKeeper version of the partition state node, for conditional updates; the partition epoch. */
    { name: "zkVersion", type: "int32", versions: "0+" },
    /** All replicas of the partition, preferred leader first. */
    { name: "replicas", type: { array: "int32" }, versions: "0+" },
    /** Replicas whose log directory is offline. */
    { name: "offlineReplicas", type: { array: "int32" }, versions: "4+" },
  ],
} as const satisfies StructSpec;

export const UpdateMetadataRequest = {
  apiKey: 6,
  name: "UpdateMetadataRequest",
  kind: "request",
  validVersions: "0-8",
  flexibleVersions: "6+",
  fields: [
    /** The broker id of the controller, or -1 if there is none. */
    { name: "controllerId", type: "int32", versions: "0+" },
    /** Whether the controller is a KRaft controller. */
    { name: "isKRaftController", type: "bool", versions: "8+", default: false },
    /** The request type (KIP-866): 0 unknown, 1 incremental, 2 full. */
    { name: "type", type: "int8", versions: "8+", default: 0, tag: 0, taggedVersions: "8+" },
    /** The sender's controller epoch; a broker ignores a controller whose epoch is older than one it has seen. */
    { name: "controllerEpoch", type: "int32", versions: "0+" },
    /** The broker's epoch (its registration's creation zxid), fencing requests meant for an earlier incarnation; -1 if unknown. */
    { name: "brokerEpoch", type: "int64", versions: "5+", default: -1n },
    /** The partition states, flat (before topics grouped them). */
    {
      name: "ungroupedPartitionStates",
      type: { array: UpdateMetadataPartitionStateStruct },
      versions: "0-4",
    },
    /** The partitions by topic. */
    {
      name: "topicStates",
      type: {
        array: {
          name: "UpdateMetadataTopicState",
          fields: [
            /** The topic name. */
            { name: "topicName", type: "string", versions: "5+" },
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "7+" },
            /** The state of each partition. */
            { name: "partitionStates", type: { array: UpdateMetadataPartitionStateStruct }, versions: "5+" },
          ],
        },
      },
      versions: "5+",
    },
    /** All live brokers. */
    {
      name: "liveBrokers",
      type: {
        array: {
          name: "UpdateMetadataBroker",
          fields: [
            /** The broker id. */
            { name: "id", type: "int32", versions: "0+" },
            /** The broker's host name (v0 layout, one plaintext endpoint). */
            { name: "v0Host", type: "string", versions: "0" },
            /** The broker's port (v0 layout). */
            { name: "v0Port", type: "int32", versions: "0" },
            /** The broker's listeners. */
            {
              name: "endpoints",
              type: {
                array: {
                  name: "UpdateMetadataEndpoint",
                  fields: [
                    /** The endpoint's port. */
                    { name: "port", type: "int32", versions: "1+" },
                    /** The endpoint's host. */
                    { name: "host", type: "string", versions: "1+" },
                    /** The listener name. */
                    { name: "listener", type: "string", versions: "3+" },
                    /** The listener's security protocol: 0 plaintext, 1 ssl, 2 sasl_plaintext, 3 sasl_ssl. */
                    { name: "securityProtocol", type: "int16", versions: "1+" },
                  ],
                },
              },
              versions: "1+",
            },
            /** The broker's rack, or null. */
            { name: "rack", type: "string", versions: "2+", nullableVersions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const UpdateMetadataResponse = {
  apiKey: 6,
  name: "UpdateMetadataResponse",
  kind: "response",
  validVersions: "0-8",
  flexibleVersions: "6+",
  fields: [
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
  ],
} as const satisfies MessageSpec;

export const UpdateMetadata = {
  apiKey: 6,
  name: "UpdateMetadata",
  request: UpdateMetadataRequest,
  response: UpdateMetadataResponse,
} as const satisfies ApiSpec;

export type UpdateMetadataRequest = Message<typeof UpdateMetadataRequest>;
export type UpdateMetadataResponse = Message<typeof UpdateMetadataResponse>;
export type UpdateMetadataRequestInput = MessageInput<typeof UpdateMetadataRequest>;
export type UpdateMetadataResponseInput = MessageInput<typeof UpdateMetadataResponse>;
