/**
 * Metadata (key 3): brokers, controller, and topic partitions with leaders and replicas. Defined v0-12.
 *
 * v0: an empty topic list means all topics. v1: null means all, empty means none; rack, controllerId,
 * isInternal. v2: clusterId. v3: throttle time. v4: allowAutoTopicCreation (kafka-python's cue for
 * RecordBatch v2). v5: offlineReplicas. v6: unchanged. v7: leaderEpoch per partition.
 * v8: authorized operations on request. v9: first flexible version. v10: topic ids (uuid) in the
 * response; the request's topic id is defined but was unused until v12. v11: cluster authorized
 * operations leave (moved to DescribeCluster). v12: topics may be asked for by id (name null).
 *
 * Errors:
 * Per topic: UNKNOWN_TOPIC_OR_PARTITION (absent and not auto-created), LEADER_NOT_AVAILABLE (just being
 * created or without a leader), INVALID_TOPIC_EXCEPTION. Per partition: LEADER_NOT_AVAILABLE,
 * REPLICA_NOT_AVAILABLE (a replica is offline; the partition is still listed).
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const MetadataRequest = {
  apiKey: 3,
  name: "MetadataRequest",
  kind: "request",
  validVersions: "0-12",
  flexibleVersions: "9+",
  fields: [
    /** The topics to describe: null for all (v1+), empty for none (v1+; all in v0). */
    {
      name: "topics",
      type: {
        array: {
          name: "MetadataRequestTopic",
          fields: [
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "10+" },
            /** The topic name. */
            { name: "name", type: "string", versions: "0+", nullableVersions: "10+" },
          ],
        },
      },
      versions: "0+",
      nullableVersions: "1+",
    },
    /** Whether the broker may create the requested topics that do not exist yet (if its own auto.create.topics.enable allows). */
    { name: "allowAutoTopicCreation", type: "bool", versions: "4+", default: true },
    /** Whether to return the caller's authorized operations on the cluster. */
    { name: "includeClusterAuthorizedOperations", type: "bool", versions: "8-10" },
    /** Whether to return the caller's authorized operations on each topic. */
    { name: "includeTopicAuthorizedOperations", type: "bool", versions: "8+" },
  ],
} as const satisfies MessageSpec;

export const MetadataResponse = {
  apiKey: 3,
  name: "MetadataResponse",
  kind: "response",
  validVersions: "0-12",
  flexibleVersions: "9+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "3+" },
    /** The live brokers. */
    {
      name: "brokers",
      type: {
        array: {
          name: "MetadataResponseBroker",
          fields: [
            /** The broker's id. */
            { name: "nodeId", type: "int32", versions: "0+" },
            /** The broker's advertised host. */
            { name: "host", type: "string", versions: "0+" },
            /** The broker's advertised port. */
            { name: "port", type: "int32", versions: "0+" },
            /** The broker's rack, or null. */
            { name: "rack", type: "string", versions: "1+", nullableVersions: "1+", default: null },
          ],
        },
      },
      versions: "0+",
    },
    /** The cluster id, or null if the broker does not know it. */
    { name: "clusterId", type: "string", versions: "2+", nullableVersions: "2+", default: null },
    /** The broker id of the controller, or -1 if there is none. */
    { name: "controllerId", type: "int32", versions: "1+", default: -1 },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "MetadataResponseTopic",
          fields: [
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
            /** The topic name. */
            { name: "name", type: "string", versions: "0+", nullableVersions: "12+" },
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "10+" },
            /** Whether the topic is internal, such as __consumer_offsets. */
            { name: "isInternal", type: "bool", versions: "1+", default: false },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "MetadataResponsePartition",
                  fields: [
                    /** The error code, or 0 for none. */
                    { name: "errorCode", type: "int16", versions: "0+" },
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    /** The broker id of the leader, or -1 if there is none. */
                    { name: "leaderId", type: "int32", versions: "0+" },
                    /** The leader epoch. */
                    { name: "leaderEpoch", type: "int32", versions: "7+", default: -1 },
                    /** The broker ids of the replicas. */
                    { name: "replicaNodes", type: { array: "int32" }, versions: "0+" },
                    /** The broker ids of the in-sync replicas. */
                    { name: "isrNodes", type: { array: "int32" }, versions: "0+" },
                    /** Replicas whose log directory is offline. */
                    { name: "offlineReplicas", type: { array: "int32" }, versions: "5+" },
                  ],
                },
              },
              versions: "0+",
            },
            /** A bit field of the ACL operations the caller may perform on the topic; -2147483648 when not asked for. */
            { name: "topicAuthorizedOperations", type: "int32", versions: "8+", default: -2147483648 },
          ],
        },
      },
      versions: "0+",
    },
    /** A bit field of the ACL operations the caller may perform on the cluster; -2147483648 when not asked for. */
    { name: "clusterAuthorizedOperations", type: "int32", versions: "8-10", default: -2147483648 },
  ],
} as const satisfies MessageSpec;

export const Metadata = {
  apiKey: 3,
  name: "Metadata",
  request: MetadataRequest,
  response: MetadataResponse,
} as const satisfies ApiSpec;

export type MetadataRequest = Message<typeof MetadataRequest>;
export type MetadataResponse = Message<typeof MetadataResponse>;
export type MetadataRequestInput = MessageInput<typeof MetadataRequest>;
export type MetadataResponseInput = MessageInput<typeof MetadataResponse>;
