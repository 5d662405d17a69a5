/**
 * OffsetCommit (key 8): store a group's consumed offsets with the coordinator. Defined v0-8.
 *
 * v0: offsets and metadata only (stored in ZooKeeper by old brokers). v1: generationId, memberId and a
 * per-partition commit timestamp. v2: retentionTimeMs replaces the timestamp. v3: throttle time.
 * v4: unchanged. v5: retention time removed (broker config only). v6: committedLeaderEpoch.
 * v7: groupInstanceId (static membership, KIP-345). v8: first flexible version.
 *
 * Errors:
 * ILLEGAL_GENERATION: the generation is not the group's. UNKNOWN_MEMBER_ID: no such member.
 * REBALANCE_IN_PROGRESS: the group is rebalancing. NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE /
 * COORDINATOR_LOAD_IN_PROGRESS: ask FindCoordinator again or retry. OFFSET_METADATA_TOO_LARGE.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const OffsetCommitRequest = {
  apiKey: 8,
  name: "OffsetCommitRequest",
  kind: "request",
  validVersions: "0-8",
  flexibleVersions: "8+",
  fields: [
    /** The group id. */
    { name: "groupId", type: "string", versions: "0+" },
    /** The generation id (classic groups) or member epoch (consumer groups); -1 for a simple commit outside a group. */
    { name: "generationIdOrMemberEpoch", type: "int32", versions: "1+", default: -1 },
    /** The member id the coordinator assigned, or empty when joining for the first time. */
    { name: "memberId", type: "string", versions: "1+" },
    /** The static member id (KIP-345), or null for a dynamic member. */
    { name: "groupInstanceId", type: "string", versions: "7+", nullableVersions: "7+", default: null },
    /** How long to keep the committed offsets (v2-v4); -1 for the broker default. */
    { name: "retentionTimeMs", type: "int64", versions: "2-4", default: -1n },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "OffsetCommitRequestTopic",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "OffsetCommitRequestPartition",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    /** The offset to commit: the next record the group should consume. */
                    { name: "committedOffset", type: "int64", versions: "0+" },
                    /** The leader epoch of the last record consumed before the committed offset, or -1. */
                    { name: "committedLeaderEpoch", type: "int32", versions: "6+", default: -1 },
                    /** When the offset was committed (v1 only); -1 means now. */
                    { name: "commitTimestamp", type: "int64", versions: "1", default: -1n },
                    /** Free text stored with the offset by the committer; null allowed. */
                    { name: "committedMetadata", type: "string", versions: "0+", nullableVersions: "0+" },
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

export const OffsetCommitResponse = {
  apiKey: 8,
  name: "OffsetCommitResponse",
  kind: "response",
  validVersions: "0-8",
  flexibleVersions: "8+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "3+" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "OffsetCommitResponseTopic",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "OffsetCommitResponsePartition",
                  fields: [
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
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const OffsetCommit = {
  apiKey: 8,
  name: "OffsetCommit",
  request: OffsetCommitRequest,
  response: OffsetCommitResponse,
} as const satisfies ApiSpec;

export type OffsetCommitRequest = Message<typeof OffsetCommitRequest>;
export type OffsetCommitResponse = Message<typeof OffsetCommitResponse>;
export type OffsetCommitRequestInput = MessageInput<typeof OffsetCommitRequest>;
export type OffsetCommitResponseInput = MessageInput<typeof OffsetCommitResponse>;
