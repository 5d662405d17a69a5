/**
 * Controller <-> broker messages, shaped like Kafka's LeaderAndIsr, UpdateMetadata, StopReplica and
 * AlterPartition requests. Every controller request carries the controller's epoch so brokers can fence
 * a stale controller (STALE_CONTROLLER_EPOCH).
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId, TopicConfig } from "../../spec/operations.ts";

export interface PartitionStateMessage {
  topic: string;
  partition: number;
  leader: BrokerId;
  leaderEpoch: number;
  isr: BrokerId[];
  replicas: BrokerId[];
  /** The partition state znode's version (Kafka's zkVersion / partition epoch). */
  partitionEpoch: number;
  /** The topic's settings the replica enforces (min.insync.replicas). */
  config: TopicConfig;
}

export interface LeaderAndIsrRequest {
  type: "leaderAndIsr";
  controllerId: BrokerId;
  controllerEpoch: number;
  partitions: PartitionStateMessage[];
}

/**
 * Kafka's LeaderAndIsr.LeaderDuringDelete: in UpdateMetadata, a partition of a topic being deleted. A
 * broker drops it from its metadata and forgets the topic's committed group offsets.
 */
export const LEADER_DURING_DELETE = -2;

export interface UpdateMetadataRequest {
  type: "updateMetadata";
  controllerId: BrokerId;
  controllerEpoch: number;
  liveBrokers: BrokerId[];
  /**
   * Every partition of every topic: a full snapshot, small at the sizes we run. Partitions of topics
   * being deleted come with leader LEADER_DURING_DELETE.
   */
  partitions: PartitionStateMessage[];
}

export interface StopReplicaRequest {
  type: "stopReplica";
  controllerId: BrokerId;
  controllerEpoch: number;
  partitions: Array<{ topic: string; partition: number }>;
  deletePartitions: boolean;
}

/**
 * A broker's answer to StopReplica, back to the controller that sent it. Topic deletion waits for these:
 * a replica counts as deleted only once its broker said so. `controllerEpoch` echoes the request's, so a
 * controller ignores answers to an earlier term's requests.
 */
export interface StopReplicaResponse {
  type: "stopReplicaResponse";
  brokerId: BrokerId;
  controllerEpoch: number;
  deletePartitions: boolean;
  partitions: Array<{ topic: string; partition: number; error: KafkaErrorName | null }>;
}

/** From a partition leader to the controller: please make this the ISR (KIP-497). */
export interface AlterPartitionRequest {
  type: "alterPartition";
  brokerId: BrokerId;
  topic: string;
  partition: number;
  leaderEpoch: number;
  partitionEpoch: number;
  newIsr: BrokerId[];
}

export interface AlterPartitionResponse {
  type: "alterPartitionResponse";
  topic: string;
  partition: number;
  error: KafkaErrorName | null;
  leaderEpoch: number;
  isr: BrokerId[];
  partitionEpoch: number;
}

/** A broker asks the controller to create a topic a client asked for (auto.create.topics.enable). */
export interface AutoCreateTopicRequest {
  type: "autoCreateTopic";
  name: string;
  numPartitions: number;
  replicationFactor: number;
}

/**
 * A broker's answer to LeaderAndIsr, back to the controller, when some partitions failed: Kafka's
 * LeaderAndIsrResponse partition errors. A KAFKA_STORAGE_ERROR partition's replica is offline (its log
 * directory failed); the controller elects around it (Kafka's replicasOnOfflineDirs). A partition listed
 * with error null is online again. Brokers send one only when some partition failed.
 */
export interface LeaderAndIsrResponse {
  type: "leaderAndIsrResponse";
  brokerId: BrokerId;
  controllerEpoch: number;
  partitions: Array<{ topic: string; partition: number; error: KafkaErrorName | null }>;
}

/**
 * ControlledShutdown (API key 7): a broker about to stop asks the controller to move leadership off it.
 * `brokerEpoch` is the czxid of its /brokers/ids/N registration, or -1 when unknown (Kafka accepts that).
 */
export interface ControlledShutdownRequest {
  type: "controlledShutdownRequest";
  requestId: number;
  brokerId: BrokerId;
  brokerEpoch: number;
}

/** The controller's answer: an error, or the partitions the broker still leads (empty: done). */
export interface ControlledShutdownResponse {
  type: "controlledShutdownResponse";
  requestId: number;
  error: KafkaErrorName | null;
  remaining: Array<{ topic: string; partition: number }>;
}

export type ControllerMessage =
  | AutoCreateTopicRequest
  | LeaderAndIsrResponse
  | ControlledShutdownRequest
  | ControlledShutdownResponse
  | LeaderAndIsrRequest
  | UpdateMetadataRequest
  | StopReplicaRequest
  | StopReplicaResponse
  | AlterPartitionRequest
  | AlterPartitionResponse;
