/**
 * What clients ask a broker and what it answers, one partition per request where Kafka batches many
 * (the TCP broker splits a Kafka request into these and joins the answers). Errors are Kafka's names.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId, TopicConfig } from "../../spec/operations.ts";
import type {
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  OffsetCommitRequest,
  OffsetFetchRequest,
  SyncGroupRequest,
} from "../group/api.ts";
import type { LogEntry, LogRecord } from "../replication/replica-log.ts";

type WithoutId<T> = Omit<T, "requestId">;

export type ClientRequest =
  /** allowAutoTopicCreation (Metadata v4+): an unknown topic is created with the broker defaults. */
  | { api: "metadata"; topics: string[] | null; allowAutoTopicCreation?: boolean }
  | {
      api: "produce";
      topic: string;
      partition: number;
      acks: 0 | 1 | -1;
      timeoutMs: number;
      records: LogRecord[];
      /**
       * The producer's RecordBatch v2 bytes holding `records`, when the caller has them (the TCP broker):
       * the leader stores these as they are (offsets and leader epoch stamped), as Kafka does.
       */
      batches?: Buffer;
    }
  | { api: "fetch"; topic: string; partition: number; fetchOffset: number; maxRecords: number }
  | { api: "listOffsets"; topic: string; partition: number; timestamp: -2 | -1 }
  | {
      api: "createTopics";
      name: string;
      numPartitions: number;
      replicationFactor: number;
      config: Partial<TopicConfig>;
    }
  | { api: "createPartitions"; name: string; count: number }
  | { api: "findCoordinator"; key: string }
  | { api: "joinGroup"; body: WithoutId<JoinGroupRequest> }
  | { api: "syncGroup"; body: WithoutId<SyncGroupRequest> }
  | { api: "heartbeat"; body: WithoutId<HeartbeatRequest> }
  | { api: "leaveGroup"; body: WithoutId<LeaveGroupRequest> }
  | { api: "offsetCommit"; body: WithoutId<OffsetCommitRequest> }
  | { api: "offsetFetch"; body: OffsetFetchRequest }
  /** ControlledShutdown (key 7) from broker `brokerId`, answered by the controller hosted here. */
  | { api: "controlledShutdown"; brokerId: BrokerId; brokerEpoch: number }
  /** This broker is about to stop: ask the controller to move leadership off it first (with retries). */
  | { api: "prepareShutdown" };

export interface MetadataPartition {
  partition: number;
  error: KafkaErrorName | null;
  leader: BrokerId;
  leaderEpoch: number;
  replicas: BrokerId[];
  isr: BrokerId[];
}

export interface MetadataResponse {
  api: "metadata";
  brokers: BrokerId[];
  controllerId: BrokerId | null;
  topics: Array<{ name: string; error: KafkaErrorName | null; partitions: MetadataPartition[] }>;
}

export type ClientResponse =
  | MetadataResponse
  | { api: "produce"; error: KafkaErrorName | null; baseOffset: number }
  | {
      api: "fetch";
      error: KafkaErrorName | null;
      highWatermark: number;
      logStartOffset: number;
      records: LogEntry[];
    }
  | { api: "listOffsets"; error: KafkaErrorName | null; offset: number }
  | { api: "createTopics"; error: KafkaErrorName | null }
  | { api: "createPartitions"; error: KafkaErrorName | null }
  | { api: "findCoordinator"; error: KafkaErrorName | null; nodeId: BrokerId }
  | { api: "group"; response: import("../group/api.ts").GroupResponse }
  | { api: "offsetFetch"; body: import("../group/api.ts").OffsetFetchResponse }
  | {
      api: "controlledShutdown";
      error: KafkaErrorName | null;
      remaining: Array<{ topic: string; partition: number }>;
    }
  | {
      api: "prepareShutdown";
      /** The last attempt's error, as outcome.error. */
      error: KafkaErrorName | null;
      outcome: import("../controller/controlled-shutdown.ts").ControlledShutdownOutcome;
    }
  | { api: "error"; error: KafkaErrorName };
