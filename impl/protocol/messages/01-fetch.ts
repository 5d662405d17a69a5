/**
 * Fetch (key 1): read record batches, for consumers and for follower replicas. Defined v0-12.
 *
 * v0-v1: the same; v2 allows message format v1; v3 adds maxBytes and makes partition order meaningful.
 * v4: isolationLevel, lastStableOffset and abortedTransactions; RecordBatch v2 is readable (librdkafka's gate).
 * v5: logStartOffset in both directions. v6: unchanged. v7: fetch sessions (sessionId, sessionEpoch,
 * forgotten topics; KIP-227) and a top-level error. v8: unchanged. v9: currentLeaderEpoch (KIP-320).
 * v10: zstd batches. v11: rackId and preferredReadReplica (KIP-392).
 * v12: first flexible version; lastFetchedEpoch and the tagged divergingEpoch, currentLeader and
 * snapshotId (KIP-595). Topic ids replace names only in v13, which is not defined here.
 *
 * Errors:
 * OFFSET_OUT_OF_RANGE: the offset is below the log start or beyond the log end. NOT_LEADER_OR_FOLLOWER,
 * UNKNOWN_TOPIC_OR_PARTITION. FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH: the caller's currentLeaderEpoch
 * is older / newer than ours. FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH: fetch sessions.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const FetchRequest = {
  apiKey: 1,
  name: "FetchRequest",
  kind: "request",
  validVersions: "0-12",
  flexibleVersions: "12+",
  fields: [
    /** The cluster id, or null if the broker does not know it. */
    {
      name: "clusterId",
      type: "string",
      versions: "12+",
      nullableVersions: "12+",
      default: null,
      tag: 0,
      taggedVersions: "12+",
    },
    /** The broker id of a follower fetching, or -1 for a consumer (-2 for a debug consumer). */
    { name: "replicaId", type: "int32", versions: "0-14", default: -1 },
    /** How long the broker may wait for MinBytes to accumulate. */
    { name: "maxWaitMs", type: "int32", versions: "0+" },
    /** The least bytes to accumulate before answering. */
    { name: "minBytes", type: "int32", versions: "0+" },
    /** The most bytes to return. */
    { name: "maxBytes", type: "int32", versions: "3+", default: 2147483647 },
    /** 0 read_uncommitted (up to the high watermark), 1 read_committed (up to the last stable offset). */
    { name: "isolationLevel", type: "int8", versions: "4+", default: 0 },
    /** The fetch session id, or 0. */
    { name: "sessionId", type: "int32", versions: "7+", default: 0 },
    /** The fetch session epoch (KIP-227): 0 opens a session, -1 runs without one. */
    { name: "sessionEpoch", type: "int32", versions: "7+", default: -1 },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "FetchTopic",
          fields: [
            /** The topic name. */
            { name: "topic", type: "string", versions: "0-12" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "FetchPartition",
                  fields: [
                    /** The partition index. */
                    { name: "partition", type: "int32", versions: "0+" },
                    /** The leader epoch the client knows, so a broker can fence a stale or too-new leader view (KIP-320); -1 skips the check. */
                    { name: "currentLeaderEpoch", type: "int32", versions: "9+", default: -1 },
                    /** The offset to read from. */
                    { name: "fetchOffset", type: "int64", versions: "0+" },
                    /** The epoch of the last record the follower fetched, to detect divergence (KIP-595); -1 if none. */
                    { name: "lastFetchedEpoch", type: "int32", versions: "12+", default: -1 },
                    /** The log start offset: the first offset still in the log. */
                    { name: "logStartOffset", type: "int64", versions: "5+", default: -1n },
                    /** The most bytes to return for this partition. */
                    { name: "partitionMaxBytes", type: "int32", versions: "0+" },
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
    /** Partitions to drop from the fetch session (incremental fetch, KIP-227). */
    {
      name: "forgottenTopicsData",
      type: {
        array: {
          name: "ForgottenTopic",
          fields: [
            /** The topic name. */
            { name: "topic", type: "string", versions: "7-12" },
            /** The partitions of this topic. */
            { name: "partitions", type: { array: "int32" }, versions: "7+" },
          ],
        },
      },
      versions: "7+",
    },
    /** The rack of the consumer, used by rack-aware assignors and for follower fetching. */
    { name: "rackId", type: "string", versions: "11+", default: "" },
  ],
} as const satisfies MessageSpec;

export const FetchResponse = {
  apiKey: 1,
  name: "FetchResponse",
  kind: "response",
  validVersions: "0-12",
  flexibleVersions: "12+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "7+" },
    /** The fetch session id, or 0. */
    { name: "sessionId", type: "int32", versions: "7+", default: 0 },
    /** The result for each topic. */
    {
      name: "responses",
      type: {
        array: {
          name: "FetchableTopicResponse",
          fields: [
            /** The topic name. */
            { name: "topic", type: "string", versions: "0-12" },
            /** The partitions of this topic. */
            {
              name: "partitions",
              type: {
                array: {
                  name: "PartitionData",
                  fields: [
                    /** The partition index. */
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    /** The error code, or 0 for none. */
                    { name: "errorCode", type: "int16", versions: "0+" },
                    /** The high watermark: the offset after the last record replicated to the whole ISR. */
                    { name: "highWatermark", type: "int64", versions: "0+" },
                    /** The last stable offset: below it every transaction is decided; -1 if unknown. */
                    { name: "lastStableOffset", type: "int64", versions: "4+", default: -1n },
                    /** The log start offset: the first offset still in the log. */
                    { name: "logStartOffset", type: "int64", versions: "5+", default: -1n },
                    /** When the follower's last fetched epoch ends earlier on the leader: the largest common epoch and where it ends, so the follower truncates there (KIP-595). */
                    {
                      name: "divergingEpoch",
                      type: {
                        name: "EpochEndOffset",
                        fields: [
                          /** The largest epoch the leader and follower share, or -1. */
                          { name: "epoch", type: "int32", versions: "12+", default: -1 },
                          /** The end offset of the epoch: the first offset after it. */
                          { name: "endOffset", type: "int64", versions: "12+", default: -1n },
                        ],
                      },
                      versions: "12+",
                      tag: 0,
                      taggedVersions: "12+",
                    },
                    /** The leader and epoch the broker knows, when it is not the leader (KIP-951). */
                    {
                      name: "currentLeader",
                      type: {
                        name: "LeaderIdAndEpoch",
                        fields: [
                          /** The broker id of the leader, or -1 if there is none. */
                          { name: "leaderId", type: "int32", versions: "12+", default: -1 },
                          /** The leader epoch. */
                          { name: "leaderEpoch", type: "int32", versions: "12+", default: -1 },
                        ],
                      },
                      versions: "12+",
                      tag: 1,
                      taggedVersions: "12+",
                    },
                    /** When the fetch offset is below the log start: the snapshot to fetch instead (KRaft). */
                    {
                      name: "snapshotId",
                      type: {
                        name: "SnapshotId",
                        fields: [
                          /** The end offset of the epoch: the first offset after it. */
                          { name: "endOffset", type: "int64", versions: "0+", default: -1n },
                          /** The snapshot's epoch. */
                          { name: "epoch", type: "int32", versions: "0+", default: -1 },
                        ],
                      },
                      versions: "12+",
                      tag: 2,
                      taggedVersions: "12+",
                    },
                    /** Transactions aborted inside the returned range, so a read_committed consumer can drop their records; null when none are reported. */
                    {
                      name: "abortedTransactions",
                      type: {
                        array: {
                          name: "AbortedTransaction",
                          fields: [
                            /** The producer id, or -1. */
                            { name: "producerId", type: "int64", versions: "4+" },
                            /** The first offset of the aborted transaction. */
                            { name: "firstOffset", type: "int64", versions: "4+" },
                          ],
                        },
                      },
                      versions: "4+",
                      nullableVersions: "4+",
                    },
                    /** A replica the consumer should read from instead (KIP-392), or -1. */
                    { name: "preferredReadReplica", type: "int32", versions: "11+", default: -1 },
                    /** The records: RecordBatch bytes kept as received. */
                    { name: "records", type: "records", versions: "0+", nullableVersions: "0+" },
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

export const Fetch = {
  apiKey: 1,
  name: "Fetch",
  request: FetchRequest,
  response: FetchResponse,
} as const satisfies ApiSpec;

export type FetchRequest = Message<typeof FetchRequest>;
export type FetchResponse = Message<typeof FetchResponse>;
export type FetchRequestInput = MessageInput<typeof FetchRequest>;
export type FetchResponseInput = MessageInput<typeof FetchResponse>;
