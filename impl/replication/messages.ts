/**
 * The inter-broker replication messages, shaped like Kafka's Fetch (from a follower, replicaId >= 0) and
 * OffsetsForLeaderEpoch requests, one partition each: the TCP broker batches them per peer.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId } from "../../spec/operations.ts";

export interface ReplicaFetchRequest {
  type: "replicaFetch";
  /** Correlates the response with the follower's in-flight request. */
  requestId: number;
  replicaId: BrokerId;
  topic: string;
  partition: number;
  fetchOffset: number;
  /** The follower's view of the leader epoch: the leader fences a mismatch (KIP-320). */
  currentLeaderEpoch: number;
  maxRecords: number;
  /** replica.fetch.max.bytes: whole batches up to this many bytes (at least one batch). */
  maxBytes: number;
}

export interface ReplicaFetchResponse {
  type: "replicaFetchResponse";
  requestId: number;
  topic: string;
  partition: number;
  error: KafkaErrorName | null;
  highWatermark: number;
  logStartOffset: number;
  leaderLogEndOffset: number;
  /** The leader's stored RecordBatch v2 bytes from the fetch offset on, whole batches, as Kafka's Fetch carries them. */
  records: Buffer;
}

export interface OffsetsForLeaderEpochRequest {
  type: "offsetsForLeaderEpoch";
  requestId: number;
  replicaId: BrokerId;
  topic: string;
  partition: number;
  currentLeaderEpoch: number;
  /** The epoch whose end offset the follower asks for: its latest, then lower ones (KIP-279). */
  leaderEpoch: number;
}

export interface OffsetsForLeaderEpochResponse {
  type: "offsetsForLeaderEpochResponse";
  requestId: number;
  topic: string;
  partition: number;
  error: KafkaErrorName | null;
  leaderEpoch: number;
  endOffset: number;
}

export type ReplicationMessage =
  | ReplicaFetchRequest
  | ReplicaFetchResponse
  | OffsetsForLeaderEpochRequest
  | OffsetsForLeaderEpochResponse;
