/**
 * OffsetForLeaderEpoch (key 23): where a leader epoch ends, so a replica truncates by epoch (KIP-101). Defined v0-4.
 *
 * v0: the end offset of an epoch. v1: the response adds the epoch actually found (KIP-279).
 * v2: currentLeaderEpoch for fencing and throttle time. v3: replicaId (-2 for a debug consumer, -1
 * for a consumer). v4: first flexible version.
 *
 * Errors:
 * NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH (v2+)
 * for the caller's currentLeaderEpoch. The answer is the largest epoch at or below the one asked for and
 * its end: the start of the next epoch, or the log end for the latest (KIP-101, KIP-279).
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const OffsetForLeaderEpochRequest = {
  apiKey: 23,
  name: "OffsetForLeaderEpochRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** The broker id of a follower fetching, or -1 for a consumer (-2 for a debug consumer). */
    { name: "replicaId", type: "int32", versions: "3+", default: -2 },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "OffsetForLeaderTopic",
          fields: [
            /** The topic name. */
            { name: "topic", type: "string", versions: "0+" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "OffsetForLeaderPartition",
                  fields: [
                    /** The partition index. */
                    { name: "partition", type: "int32", versions: "0+" },
                    /** The leader epoch the client knows, so a broker can fence a stale or too-new leader view (KIP-320); -1 skips the check. */
                    { name: "currentLeaderEpoch", type: "int32", versions: "2+", default: -1 },
                    /** The epoch whose end offset is wanted. */
                    { name: "leaderEpoch", type: "int32", versions: "0+" },
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

export const OffsetForLeaderEpochResponse = {
  apiKey: 23,
  name: "OffsetForLeaderEpochResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "2+" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "OffsetForLeaderTopicResult",
          fields: [
            /** The topic name. */
            { name: "topic", type: "string", versions: "0+" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "EpochEndOffset",
                  fields: [
                    /** The error code, or 0 for none. */
                    { name: "errorCode", type: "int16", versions: "0+" },
                    /** The partition index. */
                    { name: "partition", type: "int32", versions: "0+" },
                    /** The epoch found: the largest at or below the one asked for (KIP-279), or -1. */
                    { name: "leaderEpoch", type: "int32", versions: "1+", default: -1 },
                    /** The end offset of the epoch: the first offset after it. */
                    { name: "endOffset", type: "int64", versions: "0+", default: -1n },
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

export const OffsetForLeaderEpoch = {
  apiKey: 23,
  name: "OffsetForLeaderEpoch",
  request: OffsetForLeaderEpochRequest,
  response: OffsetForLeaderEpochResponse,
} as const satisfies ApiSpec;

export type OffsetForLeaderEpochRequest = Message<typeof OffsetForLeaderEpochRequest>;
export type OffsetForLeaderEpochResponse = Message<typeof OffsetForLeaderEpochResponse>;
export type OffsetForLeaderEpochRequestInput = MessageInput<typeof OffsetForLeaderEpochRequest>;
export type OffsetForLeaderEpochResponseInput = MessageInput<typeof OffsetForLeaderEpochResponse>;
