/**
 * OffsetFetch (key 9): read a group's committed offsets. Defined v0-7.
 *
 * v0: offsets from ZooKeeper on old brokers; v1: from __consumer_offsets. v2: a null topic list asks for
 * every partition, and the response gains a top-level error. v3: throttle time. v4-v5: unchanged
 * (v5 adds committedLeaderEpoch to the response). v6: first flexible version. v7: requireStable (KIP-447).
 * v8 restructures the request per group (batched groups) and is not defined here.
 *
 * Errors:
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS (top level from v2, per
 * partition before). An offset of -1 means none committed, which is not an error.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const OffsetFetchRequest = {
  apiKey: 9,
  name: "OffsetFetchRequest",
  kind: "request",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    /** The group id. */
    { name: "groupId", type: "string", versions: "0-7" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "OffsetFetchRequestTopic",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0-7" },
            /** The partition indexes. */
            { name: "partitionIndexes", type: { array: "int32" }, versions: "0-7" },
          ],
        },
      },
      versions: "0-7",
      nullableVersions: "2-7",
    },
    /** Whether to wait until pending transactional offsets are decided (KIP-447). */
    { name: "requireStable", type: "bool", versions: "7+", default: false },
  ],
} as const satisfies MessageSpec;

export const OffsetFetchResponse = {
  apiKey: 9,
  name: "OffsetFetchResponse",
  kind: "response",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "3+" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "OffsetFetchResponseTopic",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0-7" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "OffsetFetchResponsePartition",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0-7" },
                    /** The offset to commit: the next record the group should consume. */
                    { name: "committedOffset", type: "int64", versions: "0-7" },
                    /** The leader epoch of the last record consumed before the committed offset, or -1. */
                    { name: "committedLeaderEpoch", type: "int32", versions: "5-7", default: -1 },
                    /** The metadata committed with the offset, or null. */
                    { name: "metadata", type: "string", versions: "0-7", nullableVersions: "0-7" },
                    /** The error code, or 0 for none. */
                    { name: "errorCode", type: "int16", versions: "0-7" },
                  ],
                },
              },
              versions: "0-7",
            },
          ],
        },
      },
      versions: "0-7",
    },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "2-7", default: 0 },
  ],
} as const satisfies MessageSpec;

export const OffsetFetch = {
  apiKey: 9,
  name: "OffsetFetch",
  request: OffsetFetchRequest,
  response: OffsetFetchResponse,
} as const satisfies ApiSpec;

export type OffsetFetchRequest = Message<typeof OffsetFetchRequest>;
export type OffsetFetchResponse = Message<typeof OffsetFetchResponse>;
export type OffsetFetchRequestInput = MessageInput<typeof OffsetFetchRequest>;
export type OffsetFetchResponseInput = MessageInput<typeof OffsetFetchResponse>;
