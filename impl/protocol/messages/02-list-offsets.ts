/**
 * ListOffsets (key 2): find offsets by timestamp (-1 latest, -2 earliest). Defined v0-7.
 *
 * v0: a list of old-style offsets per partition, bounded by maxNumOffsets.
 * v1: a single offset and its timestamp. v2: isolationLevel. v3: unchanged. v4: currentLeaderEpoch
 * (fencing) and the leader epoch of the answer. v5: unchanged. v6: first flexible version.
 * v7: timestamp -3 asks for the offset of the record with the largest timestamp (KIP-734).
 *
 * Errors:
 * UNKNOWN_TOPIC_OR_PARTITION, NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v4+).
 * OFFSET_NOT_AVAILABLE: a latest offset asked of a new leader whose high watermark is not known yet.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const ListOffsetsRequest = {
  apiKey: 2,
  name: "ListOffsetsRequest",
  kind: "request",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    /** The broker id of a follower fetching, or -1 for a consumer (-2 for a debug consumer). */
    { name: "replicaId", type: "int32", versions: "0+" },
    /** 0 read_uncommitted (up to the high watermark), 1 read_committed (up to the last stable offset). */
    { name: "isolationLevel", type: "int8", versions: "2+" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "ListOffsetsTopic",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "ListOffsetsPartition",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    /** The leader epoch the client knows, so a broker can fence a stale or too-new leader view (KIP-320); -1 skips the check. */
                    { name: "currentLeaderEpoch", type: "int32", versions: "4+", default: -1 },
                    /** What to find: -1 the latest offset, -2 the earliest, -3 the record with the largest timestamp (v7+), otherwise the first offset whose timestamp is at or after this one. */
                    { name: "timestamp", type: "int64", versions: "0+" },
                    /** How many offsets to return (v0 only). */
                    { name: "maxNumOffsets", type: "int32", versions: "0", default: 1 },
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
  ],
} as const satisfies MessageSpec;

export const ListOffsetsResponse = {
  apiKey: 2,
  name: "ListOffsetsResponse",
  kind: "response",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "2+" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "ListOffsetsTopicResponse",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "ListOffsetsPartitionResponse",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    /** The error code, or 0 for none. */
                    { name: "errorCode", type: "int16", versions: "0+" },
                    /** The offsets found (v0 only). */
                    { name: "oldStyleOffsets", type: { array: "int64" }, versions: "0" },
                    /** The timestamp of the offset found, or -1. */
                    { name: "timestamp", type: "int64", versions: "1+", default: -1n },
                    /** The offset found, or -1. */
                    { name: "offset", type: "int64", versions: "1+", default: -1n },
                    /** The leader epoch of the offset found, or -1. */
                    { name: "leaderEpoch", type: "int32", versions: "4+", default: -1 },
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
  ],
} as const satisfies MessageSpec;

export const ListOffsets = {
  apiKey: 2,
  name: "ListOffsets",
  request: ListOffsetsRequest,
  response: ListOffsetsResponse,
} as const satisfies ApiSpec;

export type ListOffsetsRequest = Message<typeof ListOffsetsRequest>;
export type ListOffsetsResponse = Message<typeof ListOffsetsResponse>;
export type ListOffsetsRequestInput = MessageInput<typeof ListOffsetsRequest>;
export type ListOffsetsResponseInput = MessageInput<typeof ListOffsetsResponse>;
