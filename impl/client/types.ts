/**
 * What the thin client returns: the value, or Kafka's error name together with how far the request got.
 * The conformance suite needs that distinction to tell a definite failure from an unknown outcome.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId } from "../../spec/operations.ts";

/**
 * - answered: the broker answered with this error.
 * - not-sent: nothing reached a broker (no connection, no leader known, unsupported API).
 * - lost:     sent, but no answer came (connection closed, timeout, undecodable answer).
 */
export type Delivery = "answered" | "not-sent" | "lost";

export type Reply<T> =
  | { ok: true; value: T }
  | {
      ok: false;
      error: KafkaErrorName;
      delivery: Delivery;
      message?: string;
      /** Set when the request was applied in part (an OffsetCommit refusing only some partitions). */
      partial?: boolean;
    };

export interface BrokerAddress {
  nodeId: BrokerId;
  host: string;
  port: number;
}

export interface PartitionMetadata {
  partition: number;
  /** -1 when the partition has no leader. */
  leader: BrokerId;
  leaderEpoch: number;
  replicas: BrokerId[];
  isr: BrokerId[];
  offlineReplicas: BrokerId[];
  error: KafkaErrorName | null;
}

export interface TopicMetadata {
  name: string;
  error: KafkaErrorName | null;
  isInternal: boolean;
  /** Sorted by partition index. */
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  brokers: BrokerAddress[];
  /** -1 when the cluster reports none. */
  controllerId: BrokerId;
  clusterId: string | null;
  topics: TopicMetadata[];
}

/** A record as a fetch returns it: bytes as the broker stored them. */
export interface FetchedRecordBytes {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
}

export interface FetchResult {
  records: FetchedRecordBytes[];
  highWatermark: number;
  logStartOffset: number;
}

export interface JoinResult {
  generation: number;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Every member and its protocol metadata; filled for the leader only. */
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}
