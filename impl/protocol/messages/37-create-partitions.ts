/**
 * CreatePartitions (key 37): add partitions to existing topics. Defined v0-3.
 *
 * v0: new total counts and optional placement. v1: unchanged. v2: first flexible version.
 * v3: a quota error may be returned (KIP-599).
 *
 * Errors:
 * INVALID_PARTITIONS: a count not above the current one. UNKNOWN_TOPIC_OR_PARTITION, INVALID_REPLICA_ASSIGNMENT.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const CreatePartitionsRequest = {
  apiKey: 37,
  name: "CreatePartitionsRequest",
  kind: "request",
  validVersions: "0-3",
  flexibleVersions: "2+",
  fields: [
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "CreatePartitionsTopic",
          fields: [
            /** The name. */
            { name: "name", type: "string", versions: "0+" },
            /** How many partitions the topic should have in total after the request. */
            { name: "count", type: "int32", versions: "0+" },
            /** The replica brokers of each new partition, or null to let the controller place them. */
            {
              name: "assignments",
              type: {
                array: {
                  name: "CreatePartitionsAssignment",
                  fields: [
                    /** The ids of the brokers. */
                    { name: "brokerIds", type: { array: "int32" }, versions: "0+" },
                  ],
                },
              },
              versions: "0+",
              nullableVersions: "0+",
            },
          ],
        },
      },
      versions: "0+",
    },
    /** How long to wait for the operation to complete on the controller, in milliseconds. */
    { name: "timeoutMs", type: "int32", versions: "0+" },
    /** Only check the request; change nothing. */
    { name: "validateOnly", type: "bool", versions: "0+" },
  ],
} as const satisfies MessageSpec;

export const CreatePartitionsResponse = {
  apiKey: 37,
  name: "CreatePartitionsResponse",
  kind: "response",
  validVersions: "0-3",
  flexibleVersions: "2+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "0+" },
    /** The result for each topic. */
    {
      name: "results",
      type: {
        array: {
          name: "CreatePartitionsTopicResult",
          fields: [
            /** The name. */
            { name: "name", type: "string", versions: "0+" },
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
            /** A human-readable explanation of the error, or null. */
            { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+", default: null },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const CreatePartitions = {
  apiKey: 37,
  name: "CreatePartitions",
  request: CreatePartitionsRequest,
  response: CreatePartitionsResponse,
} as const satisfies ApiSpec;

export type CreatePartitionsRequest = Message<typeof CreatePartitionsRequest>;
export type CreatePartitionsResponse = Message<typeof CreatePartitionsResponse>;
export type CreatePartitionsRequestInput = MessageInput<typeof CreatePartitionsRequest>;
export type CreatePartitionsResponseInput = MessageInput<typeof CreatePartitionsResponse>;
