/**
 * CreateTopics (key 19): create topics with partition counts, replication or explicit placement. Defined v0-7.
 *
 * v0: topics, assignments, configs and a timeout. v1: validateOnly; the response adds an error message.
 * v2: throttle time. v3: unchanged. v4: partition count and replication factor may be -1 for the broker
 * defaults (KIP-464). v5: first flexible version; the response returns the topic's configs, partition
 * count and replication factor (KIP-525). v6: quota error possible. v7: the response adds topic ids.
 *
 * Errors:
 * TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR (more than the live brokers),
 * INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, INVALID_TOPIC_EXCEPTION, NOT_CONTROLLER, REQUEST_TIMED_OUT.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const CreateTopicsRequest = {
  apiKey: 19,
  name: "CreateTopicsRequest",
  kind: "request",
  validVersions: "0-7",
  flexibleVersions: "5+",
  fields: [
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "CreatableTopic",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The partition count, or -1 to use the broker default (or the assignment). */
            { name: "numPartitions", type: "int32", versions: "0+" },
            /** The replication factor, or -1 to use the broker default (or the assignment). */
            { name: "replicationFactor", type: "int16", versions: "0+" },
            /** The replica brokers of each new partition, or null to let the controller place them. */
            {
              name: "assignments",
              type: {
                array: {
                  name: "CreatableReplicaAssignment",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    /** The ids of the brokers. */
                    { name: "brokerIds", type: { array: "int32" }, versions: "0+" },
                  ],
                },
              },
              versions: "0+",
            },
            /** Topic configs to set, overriding the broker defaults. */
            {
              name: "configs",
              type: {
                array: {
                  name: "CreatableTopicConfig",
                  fields: [
                    /** The config name. */
                    { name: "name", type: "string", versions: "0+" },
                    /** The config value, or null to leave it at the default. */
                    { name: "value", type: "string", versions: "0+", nullableVersions: "0+" },
                  ],
                },
              },
              versions: "0+",
            },
          ],
        },
      },
      versions: "0+",
    },
    /** How long to wait for the operation to complete on the controller, in milliseconds. */
    { name: "timeoutMs", type: "int32", versions: "0+", default: 60000 },
    /** Only check the request; change nothing. */
    { name: "validateOnly", type: "bool", versions: "1+", default: false },
  ],
} as const satisfies MessageSpec;

export const CreateTopicsResponse = {
  apiKey: 19,
  name: "CreateTopicsResponse",
  kind: "response",
  validVersions: "0-7",
  flexibleVersions: "5+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "2+" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "CreatableTopicResult",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "7+" },
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
            /** A human-readable explanation of the error, or null. */
            { name: "errorMessage", type: "string", versions: "1+", nullableVersions: "0+" },
            /** The error describing the topic's configs, when only that part failed (KIP-525). */
            { name: "topicConfigErrorCode", type: "int16", versions: "5+", tag: 0, taggedVersions: "5+" },
            /** The partition count, or -1 to use the broker default (or the assignment). */
            { name: "numPartitions", type: "int32", versions: "5+", default: -1 },
            /** The replication factor, or -1 to use the broker default (or the assignment). */
            { name: "replicationFactor", type: "int16", versions: "5+", default: -1 },
            /** The topic's configs as created (v5+), or null. */
            {
              name: "configs",
              type: {
                array: {
                  name: "CreatableTopicConfigs",
                  fields: [
                    /** The config name. */
                    { name: "name", type: "string", versions: "5+" },
                    /** The config value, or null. */
                    { name: "value", type: "string", versions: "5+", nullableVersions: "5+" },
                    /** Whether the config cannot be updated. */
                    { name: "readOnly", type: "bool", versions: "5+" },
                    /** Where the value comes from: 1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default, 6 dynamic broker logger. */
                    { name: "configSource", type: "int8", versions: "5+", default: -1 },
                    /** Whether the value is sensitive, in which case it is returned as null. */
                    { name: "isSensitive", type: "bool", versions: "5+" },
                  ],
                },
              },
              versions: "5+",
              nullableVersions: "5+",
            },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const CreateTopics = {
  apiKey: 19,
  name: "CreateTopics",
  request: CreateTopicsRequest,
  response: CreateTopicsResponse,
} as const satisfies ApiSpec;

export type CreateTopicsRequest = Message<typeof CreateTopicsRequest>;
export type CreateTopicsResponse = Message<typeof CreateTopicsResponse>;
export type CreateTopicsRequestInput = MessageInput<typeof CreateTopicsRequest>;
export type CreateTopicsResponseInput = MessageInput<typeof CreateTopicsResponse>;
