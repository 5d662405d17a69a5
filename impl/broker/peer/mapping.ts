/**
 * The node's peer messages as Kafka's inter-broker requests, and back. Versions are fixed ones every
 * broker of ours serves: LeaderAndIsr v2, UpdateMetadata v5, StopReplica v1, Fetch v11 (replica),
 * OffsetForLeaderEpoch v3, AlterPartition v0. Kafka's LeaderAndIsr carries no topic configuration (a
 * broker reads it from ZooKeeper), so the receiver passes a lookup for min.insync.replicas and friends.
 */
import type { KafkaErrorName } from "../../../spec/errors.ts";
import type { BrokerId, TopicConfig } from "../../../spec/operations.ts";
import type {
  AlterPartitionRequest,
  AlterPartitionResponse,
  LeaderAndIsrRequest,
  PartitionStateMessage,
  StopReplicaRequest,
  StopReplicaResponse as StopReplicaResponseMessage,
  UpdateMetadataRequest,
} from "../../controller/messages.ts";
import type { RequestInputOf, RequestOf, ResponseOf } from "../../protocol/index.ts";
import type { AlterPartitionRequestBody, AlterPartitionResponseBody } from "./alter-partition.ts";

export const PEER_VERSIONS = {
  leaderAndIsr: 2,
  updateMetadata: 5,
  stopReplica: 1,
  fetch: 11,
  offsetForLeaderEpoch: 3,
} as const;

export interface Endpoint {
  host: string;
  port: number;
}

function byTopic<T extends { topic: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const l = m.get(it.topic) ?? [];
    l.push(it);
    m.set(it.topic, l);
  }
  return m;
}

export function leaderAndIsrBody(
  m: LeaderAndIsrRequest,
  endpointOf: (id: BrokerId) => Endpoint | null,
): RequestInputOf<4> {
  const leaders = [...new Set(m.partitions.map((p) => p.leader).filter((l) => l >= 0))];
  return {
    controllerId: m.controllerId,
    controllerEpoch: m.controllerEpoch,
    brokerEpoch: -1n,
    topicStates: [...byTopic(m.partitions)].map(([topicName, ps]) => ({
      topicName,
      partitionStates: ps.map((p) => ({
        partitionIndex: p.partition,
        controllerEpoch: m.controllerEpoch,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        isr: p.isr,
        partitionEpoch: p.partitionEpoch,
        replicas: p.replicas,
        addingReplicas: [],
        removingReplicas: [],
      })),
    })),
    liveLeaders: leaders.map((id) => {
      const e = endpointOf(id);
      return { brokerId: id, hostName: e?.host ?? "", port: e?.port ?? -1 };
    }),
  };
}

export function leaderAndIsrMessage(
  body: RequestOf<4>,
  configOf: (topic: string) => TopicConfig,
): LeaderAndIsrRequest {
  const partitions: PartitionStateMessage[] = [];
  for (const t of body.topicStates)
    for (const p of t.partitionStates) {
      partitions.push({
        topic: t.topicName,
        partition: p.partitionIndex,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        isr: p.isr,
        replicas: p.replicas,
        partitionEpoch: p.partitionEpoch,
        config: configOf(t.topicName),
      });
    }
  return {
    type: "leaderAndIsr",
    controllerId: body.controllerId,
    controllerEpoch: body.controllerEpoch,
    partitions,
  };
}

export function updateMetadataBody(
  m: UpdateMetadataRequest,
  endpointOf: (id: BrokerId) => Endpoint | null,
): RequestInputOf<6> {
  return {
    controllerId: m.controllerId,
    controllerEpoch: m.controllerEpoch,
    brokerEpoch: -1n,
    topicStates: [...byTopic(m.partitions)].map(([topicName, ps]) => ({
      topicName,
      partitionStates: ps.map((p) => ({
        partitionIndex: p.partition,
        controllerEpoch: m.controllerEpoch,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        isr: p.isr,
        zkVersion: p.partitionEpoch,
        replicas: p.replicas,
        offlineReplicas: [],
      })),
    })),
    liveBrokers: m.liveBrokers.map((id) => {
      const e = endpointOf(id);
      return {
        id,
        endpoints: [{ port: e?.port ?? -1, host: e?.host ?? "", listener: "PLAINTEXT", securityProtocol: 0 }],
        rack: null,
      };
    }),
  };
}

export function updateMetadataMessage(
  body: RequestOf<6>,
  configOf: (topic: string) => TopicConfig,
): { message: UpdateMetadataRequest; endpoints: Map<BrokerId, Endpoint> } {
  const partitions: PartitionStateMessage[] = [];
  for (const t of body.topicStates)
    for (const p of t.partitionStates) {
      partitions.push({
        topic: t.topicName,
        partition: p.partitionIndex,
        leader: p.leader,
        leaderEpoch: p.leaderEpoch,
        isr: p.isr,
        replicas: p.replicas,
        partitionEpoch: p.zkVersion,
        config: configOf(t.topicName),
      });
    }
  const endpoints = new Map<BrokerId, Endpoint>();
  for (const b of body.liveBrokers) {
    const e = b.endpoints[0];
    if (e !== undefined && e.port > 0) endpoints.set(b.id, { host: e.host, port: e.port });
  }
  return {
    message: {
      type: "updateMetadata",
      controllerId: body.controllerId,
      controllerEpoch: body.controllerEpoch,
      liveBrokers: body.liveBrokers.map((b) => b.id),
      partitions,
    },
    endpoints,
  };
}

export function stopReplicaBody(m: StopReplicaRequest): RequestInputOf<5> {
  const topics = new Map<string, number[]>();
  for (const p of m.partitions) topics.set(p.topic, [...(topics.get(p.topic) ?? []), p.partition]);
  return {
    controllerId: m.controllerId,
    controllerEpoch: m.controllerEpoch,
    brokerEpoch: -1n,
    deletePartitions: m.deletePartitions,
    topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
  };
}

export function stopReplicaMessage(body: RequestOf<5>): StopReplicaRequest {
  const partitions: Array<{ topic: string; partition: number }> = [];
  for (const t of body.topics)
    for (const p of t.partitionIndexes) partitions.push({ topic: t.name, partition: p });
  return {
    type: "stopReplica",
    controllerId: body.controllerId,
    controllerEpoch: body.controllerEpoch,
    partitions,
    deletePartitions: body.deletePartitions,
  };
}

/** A broker's StopReplica answer as the controller core's message (a top-level error fails every partition). */
export function stopReplicaResponse(
  m: StopReplicaRequest,
  from: BrokerId,
  res: ResponseOf<5>,
  nameOf: (code: number) => KafkaErrorName | null,
): StopReplicaResponseMessage {
  const top = nameOf(res.errorCode);
  const errors = new Map(
    res.partitionErrors.map((p) => [`${p.topicName}\u0000${p.partitionIndex}`, p.errorCode]),
  );
  return {
    type: "stopReplicaResponse",
    brokerId: from,
    controllerEpoch: m.controllerEpoch,
    deletePartitions: m.deletePartitions,
    partitions: m.partitions.map((p) => ({
      ...p,
      error: top ?? nameOf(errors.get(`${p.topic}\u0000${p.partition}`) ?? 0),
    })),
  };
}

export function alterPartitionBody(m: AlterPartitionRequest): AlterPartitionRequestBody {
  return {
    brokerId: m.brokerId,
    brokerEpoch: -1n,
    topics: [
      {
        topicName: m.topic,
        partitions: [
          {
            partitionIndex: m.partition,
            leaderEpoch: m.leaderEpoch,
            newIsr: m.newIsr,
            partitionEpoch: m.partitionEpoch,
          },
        ],
      },
    ],
  };
}

export function alterPartitionMessages(body: AlterPartitionRequestBody): AlterPartitionRequest[] {
  const out: AlterPartitionRequest[] = [];
  for (const t of body.topics)
    for (const p of t.partitions)
      out.push({
        type: "alterPartition",
        brokerId: body.brokerId,
        topic: t.topicName,
        partition: p.partitionIndex,
        leaderEpoch: p.leaderEpoch,
        partitionEpoch: p.partitionEpoch,
        newIsr: p.newIsr,
      });
  return out;
}

export function alterPartitionResponses(
  body: AlterPartitionResponseBody,
  errorName: (code: number) => AlterPartitionResponse["error"],
): AlterPartitionResponse[] {
  const out: AlterPartitionResponse[] = [];
  for (const t of body.topics)
    for (const p of t.partitions)
      out.push({
        type: "alterPartitionResponse",
        topic: t.topicName,
        partition: p.partitionIndex,
        error: errorName(p.errorCode),
        leaderEpoch: p.leaderEpoch,
        isr: p.isr,
        partitionEpoch: p.partitionEpoch,
      });
  return out;
}
