/**
 * A thin Kafka protocol client: what the conformance suite needs to judge a cluster, and what the console
 * helpers use. One connection per broker, versions negotiated per API, bootstrap and Metadata to find
 * leaders, FindCoordinator to find group coordinators. One request per operation and no hidden retries:
 * every call returns the broker's answer or Kafka's error name with how far the request got (`Reply`).
 *
 * Lookups (Metadata, FindCoordinator) are not operations: they try each known broker in turn, with a
 * shorter timeout, because a paused or dead broker must not decide what happens to the operation.
 */
import { errorName, type KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId } from "../../spec/operations.ts";
import type { ApiKey, RequestInputOf, ResponseOf } from "../protocol/messages/index.ts";
import { batchSpans, encodeBatch, isControl, iterateRecords, readBatchHeader } from "../records/batch.ts";
import type { RecordInput } from "../records/types.ts";
import { BrokerConnection, type CallResult } from "./connection.ts";
import type {
  BrokerAddress,
  ClusterMetadata,
  FetchedRecordBytes,
  FetchResult,
  JoinResult,
  PartitionMetadata,
  ProducerIdentity,
  Reply,
  TopicMetadata,
  TopicPartitionOffset,
} from "./types.ts";

export interface ClientOptions {
  /** host:port of at least one broker. */
  bootstrap: readonly string[];
  clientId: string;
  /** How long an operation's request may go unanswered (Kafka's request.timeout.ms). Default 30 s. */
  requestTimeoutMs?: number;
  /** Timeout of each lookup attempt (Metadata, FindCoordinator) on one broker. Default 5 s. */
  lookupTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface ProduceRequestSpec {
  topic: string;
  partition: number;
  /** 0, 1 or -1 (all). */
  acks: 0 | 1 | -1;
  records: RecordInput[];
  /** How long the leader may wait for the ISR (acks=-1). Default: the request timeout less a margin. */
  timeoutMs?: number;
  /** Idempotent producer: its id, epoch and the batch's first sequence number. */
  idempotence?: ProducerIdentity & { baseSequence: number };
  /** Send to this broker instead of looking the leader up (from metadata the caller already has). */
  leader?: BrokerId;
}

export interface FetchRequestSpec {
  topic: string;
  partition: number;
  offset: number;
  /** At most this many records come back (the rest of what the broker sent is dropped). */
  maxRecords: number;
  maxWaitMs?: number;
  maxBytes?: number;
}

export interface TopicToCreate {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic configs by Kafka's property names, e.g. {"min.insync.replicas": "2"}. */
  configs?: Record<string, string>;
}

export interface GroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinRequestSpec {
  groupId: string;
  /** "" for a first join. */
  memberId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: GroupProtocol[];
}

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_LOOKUP_TIMEOUT_MS = 5_000;
/** A JoinGroup may be held for the whole rebalance timeout; the client waits that long and a margin. */
const JOIN_MARGIN_MS = 5_000;

/** Errors after which the cached coordinator of a group is forgotten (Kafka's clients do the same). */
const COORDINATOR_MOVED: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "NOT_COORDINATOR",
  "COORDINATOR_NOT_AVAILABLE",
  "NETWORK_EXCEPTION",
  "REQUEST_TIMED_OUT",
]);

const name = (code: number): KafkaErrorName | null => {
  const n = errorName(code);
  return n === "NONE" ? null : n;
};

function parseAddress(text: string): { host: string; port: number } {
  const at = text.lastIndexOf(":");
  const port = Number(text.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new RangeError(`bad broker address "${text}" (expected HOST:PORT)`);
  return { host: text.slice(0, at), port };
}

/** The Reply for a call that did not come back with a body. */
function lostOrNotSent<T>(r: Exclude<CallResult<unknown>, { kind: "response" }>): Reply<T> {
  switch (r.kind) {
    case "refused":
      return { ok: false, error: "NETWORK_EXCEPTION", delivery: "not-sent", message: r.message };
    case "unsupported":
      return { ok: false, error: "UNSUPPORTED_VERSION", delivery: "not-sent", message: r.message };
    case "closed":
      return { ok: false, error: "NETWORK_EXCEPTION", delivery: "lost", message: r.message };
    case "timeout":
      return { ok: false, error: "REQUEST_TIMED_OUT", delivery: "lost", message: r.message };
    case "malformed":
      return { ok: false, error: "CORRUPT_MESSAGE", delivery: "lost", message: r.message };
    case "sent":
      return { ok: false, error: "UNKNOWN_SERVER_ERROR", delivery: "lost", message: "no response expected" };
  }
}

const answered = <T>(error: KafkaErrorName, message?: string | null): Reply<T> =>
  message ? { ok: false, error, delivery: "answered", message } : { ok: false, error, delivery: "answered" };

const notSent = <T>(error: KafkaErrorName, message?: string): Reply<T> =>
  message !== undefined
    ? { ok: false, error, delivery: "not-sent", message }
    : { ok: false, error, delivery: "not-sent" };

const big = (n: number): bigint => BigInt(n);
const num = (n: bigint): number => Number(n);

export class KafkaClient {
  readonly clientId: string;
  private readonly bootstrap: Array<{ host: string; port: number }>;
  private readonly requestTimeoutMs: number;
  private readonly lookupTimeoutMs: number;
  /** By "host:port": bootstrap and broker-id connections are the same sockets. */
  private readonly connections = new Map<string, BrokerConnection>();
  private readonly brokers = new Map<BrokerId, BrokerAddress>();
  private readonly coordinators = new Map<string, BrokerId>();
  /** The protocol type and name of each group's last join: SyncGroup v5+ must repeat them. */
  private readonly joinedProtocols = new Map<string, { type: string; name: string | null }>();
  /** The address that last answered a lookup: asked first next time. */
  private preferred: string | null = null;
  private closed = false;

  constructor(private readonly options: ClientOptions) {
    if (options.bootstrap.length === 0) throw new RangeError("a client needs at least one bootstrap address");
    this.clientId = options.clientId;
    this.bootstrap = options.bootstrap.map(parseAddress);
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Connections and lookups                                                                         */
  /* ---------------------------------------------------------------------------------------------- */

  private connectionAt(host: string, port: number): BrokerConnection {
    const key = `${host}:${port}`;
    const existing = this.connections.get(key);
    // A closed connection is replaced on next use: that is reconnecting, not retrying a request.
    if (existing !== undefined && !existing.isClosed) return existing;
    existing?.close();
    const c = new BrokerConnection(host, port, {
      clientId: this.clientId,
      connectTimeoutMs: this.options.connectTimeoutMs ?? this.lookupTimeoutMs,
      handshakeTimeoutMs: this.lookupTimeoutMs,
    });
    this.connections.set(key, c);
    return c;
  }

  private connectionTo(broker: BrokerId): BrokerConnection | null {
    const a = this.brokers.get(broker);
    return a === undefined ? null : this.connectionAt(a.host, a.port);
  }

  /** Addresses to try for a lookup: the last one that answered, then known brokers, then bootstrap. */
  private lookupOrder(): Array<{ host: string; port: number }> {
    const seen = new Set<string>();
    const out: Array<{ host: string; port: number }> = [];
    const add = (a: { host: string; port: number }) => {
      const k = `${a.host}:${a.port}`;
      if (seen.has(k)) return;
      seen.add(k);
      out.push(a);
    };
    if (this.preferred !== null) add(parseAddress(this.preferred));
    for (const b of [...this.brokers.values()].sort((x, y) => x.nodeId - y.nodeId)) add(b);
    for (const b of this.bootstrap) add(b);
    return out;
  }

  /** Sends a lookup request to each known broker in turn until one answers. */
  private async lookup<K extends ApiKey>(
    apiKey: K,
    body: RequestInputOf<K>,
  ): Promise<Reply<{ body: ResponseOf<K>; version: number; via: string }>> {
    if (this.closed) return notSent("NETWORK_EXCEPTION", "client closed");
    const reasons: string[] = [];
    for (const a of this.lookupOrder()) {
      const c = this.connectionAt(a.host, a.port);
      const r = await c.request(apiKey, body, { timeoutMs: this.lookupTimeoutMs });
      if (r.kind === "response") {
        this.preferred = c.address;
        return { ok: true, value: { body: r.body, version: r.version, via: c.address } };
      }
      if (r.kind === "timeout") c.close("lookup timed out");
      reasons.push("message" in r ? r.message : r.kind);
    }
    return notSent("NETWORK_EXCEPTION", `no broker answered: ${reasons.join("; ")}`);
  }

  /** Metadata for `topics` (null: all topics). Never creates topics. */
  async metadata(topics: readonly string[] | null): Promise<Reply<ClusterMetadata>> {
    const r = await this.lookup(3, {
      topics:
        topics === null
          ? null
          : topics.map((t) => ({ name: t, topicId: "00000000-0000-0000-0000-000000000000" })),
      allowAutoTopicCreation: false,
      includeClusterAuthorizedOperations: false,
      includeTopicAuthorizedOperations: false,
    });
    if (!r.ok) return r;
    const body = r.value.body;
    for (const b of body.brokers)
      this.brokers.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port });
    const md: ClusterMetadata = {
      brokers: body.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
      controllerId: body.controllerId,
      clusterId: body.clusterId,
      topics: body.topics.map(
        (t): TopicMetadata => ({
          name: t.name ?? "",
          error: name(t.errorCode),
          isInternal: t.isInternal,
          partitions: t.partitions
            .map(
              (p): PartitionMetadata => ({
                partition: p.partitionIndex,
                leader: p.leaderId,
                leaderEpoch: p.leaderEpoch,
                replicas: [...p.replicaNodes],
                isr: [...p.isrNodes],
                offlineReplicas: [...p.offlineReplicas],
                error: name(p.errorCode),
              }),
            )
            .sort((a, b) => a.partition - b.partition),
        }),
      ),
    };
    return { ok: true, value: md };
  }

  /** The partition's metadata, or why it cannot be routed (a lookup failure, no such partition, no leader). */
  async partitionMetadata(topic: string, partition: number): Promise<Reply<PartitionMetadata>> {
    const md = await this.metadata([topic]);
    if (!md.ok) return md;
    const t = md.value.topics.find((x) => x.name === topic);
    if (t === undefined) return notSent("UNKNOWN_TOPIC_OR_PARTITION");
    if (t.error !== null && t.partitions.length === 0) return notSent(t.error);
    const p = t.partitions.find((x) => x.partition === partition);
    if (p === undefined) return notSent("UNKNOWN_TOPIC_OR_PARTITION");
    if (p.leader < 0) return notSent("LEADER_NOT_AVAILABLE");
    return { ok: true, value: p };
  }

  /** Sends an operation's one request to a broker by id. */
  private async call<K extends ApiKey>(
    broker: BrokerId,
    apiKey: K,
    body: RequestInputOf<K>,
    timeoutMs = this.requestTimeoutMs,
  ): Promise<Reply<ResponseOf<K>> & { version?: number }> {
    if (this.closed) return notSent("NETWORK_EXCEPTION", "client closed");
    const c = this.connectionTo(broker);
    if (c === null) return notSent("BROKER_NOT_AVAILABLE", `broker ${broker} is not in the metadata`);
    const r = await c.request(apiKey, body, { timeoutMs });
    if (r.kind !== "response") return lostOrNotSent(r);
    return { ok: true, value: r.body, version: r.version };
  }

  private async toLeader<K extends ApiKey>(
    topic: string,
    partition: number,
    apiKey: K,
    body: RequestInputOf<K>,
    leader?: BrokerId,
    timeoutMs?: number,
  ): Promise<Reply<ResponseOf<K>>> {
    let target = leader;
    if (target === undefined || !this.brokers.has(target)) {
      const p = await this.partitionMetadata(topic, partition);
      if (!p.ok) return p;
      target = p.value.leader;
    }
    return this.call(target, apiKey, body, timeoutMs);
  }

  private async toController<K extends ApiKey>(
    apiKey: K,
    body: RequestInputOf<K>,
  ): Promise<Reply<ResponseOf<K>>> {
    const md = await this.metadata([]);
    if (!md.ok) return md;
    if (md.value.controllerId < 0) return notSent("NOT_CONTROLLER", "the cluster reports no controller");
    return this.call(md.value.controllerId, apiKey, body);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Topics                                                                                          */
  /* ---------------------------------------------------------------------------------------------- */

  /** CreateTopics for one topic, sent to the controller; the broker waits up to the request timeout. */
  async createTopic(t: TopicToCreate): Promise<Reply<{ name: string }>> {
    const r = await this.toController(19, {
      topics: [
        {
          name: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor,
          assignments: [],
          configs: Object.entries(t.configs ?? {}).map(([k, v]) => ({ name: k, value: v })),
        },
      ],
      timeoutMs: Math.max(1000, this.requestTimeoutMs - 1000),
      validateOnly: false,
    });
    if (!r.ok) return r;
    const res = r.value.topics.find((x) => x.name === t.name);
    if (res === undefined) return answered("UNKNOWN_SERVER_ERROR", "no result for the topic");
    const e = name(res.errorCode);
    return e === null ? { ok: true, value: { name: t.name } } : answered(e, res.errorMessage);
  }

  /** CreatePartitions: grow `topic` to `count` partitions in total. */
  async createPartitions(topic: string, count: number): Promise<Reply<{ name: string }>> {
    const r = await this.toController(37, {
      topics: [{ name: topic, count, assignments: null }],
      timeoutMs: Math.max(1000, this.requestTimeoutMs - 1000),
      validateOnly: false,
    });
    if (!r.ok) return r;
    const res = r.value.results.find((x) => x.name === topic);
    if (res === undefined) return answered("UNKNOWN_SERVER_ERROR", "no result for the topic");
    const e = name(res.errorCode);
    return e === null ? { ok: true, value: { name: topic } } : answered(e, res.errorMessage);
  }

  /** DeleteTopics for one topic; the broker waits (up to the request timeout) until it is deleted. */
  async deleteTopic(topic: string): Promise<Reply<{ name: string }>> {
    const r = await this.toController(20, {
      topics: [{ name: topic, topicId: "00000000-0000-0000-0000-000000000000" }],
      topicNames: [topic],
      timeoutMs: Math.max(1000, this.requestTimeoutMs - 1000),
    });
    if (!r.ok) return r;
    const res = r.value.responses.find((x) => x.name === topic);
    if (res === undefined) return answered("UNKNOWN_SERVER_ERROR", "no result for the topic");
    const e = name(res.errorCode);
    return e === null ? { ok: true, value: { name: topic } } : answered(e, res.errorMessage);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Producing and reading                                                                           */
  /* ---------------------------------------------------------------------------------------------- */

  /** InitProducerId without a transactional id: any broker hands out a producer id. */
  async initProducerId(): Promise<Reply<ProducerIdentity>> {
    const r = await this.lookup(22, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId: -1n,
      producerEpoch: -1,
    });
    if (!r.ok) return r;
    const e = name(r.value.body.errorCode);
    if (e !== null) return answered(e);
    return {
      ok: true,
      value: { producerId: num(r.value.body.producerId), producerEpoch: r.value.body.producerEpoch },
    };
  }

  /**
   * Produce one record batch to one partition. For acks=0 nothing comes back: a written request is
   * `{ baseOffset: null }` (the caller cannot know whether it was appended).
   */
  async produce(
    p: ProduceRequestSpec,
  ): Promise<Reply<{ baseOffset: number | null; logStartOffset: number }>> {
    const id = p.idempotence;
    const batch = encodeBatch(p.records, {
      baseTimestamp: Date.now(),
      ...(id !== undefined
        ? { producerId: id.producerId, producerEpoch: id.producerEpoch, baseSequence: id.baseSequence }
        : {}),
    });
    const body: RequestInputOf<0> = {
      transactionalId: null,
      acks: p.acks,
      timeoutMs: p.timeoutMs ?? Math.max(1000, this.requestTimeoutMs - 2000),
      topicData: [{ name: p.topic, partitionData: [{ index: p.partition, records: batch }] }],
    };
    let leader = p.leader;
    if (leader === undefined || !this.brokers.has(leader)) {
      const m = await this.partitionMetadata(p.topic, p.partition);
      if (!m.ok) return m;
      leader = m.value.leader;
    }
    if (p.acks === 0) {
      if (this.closed) return notSent("NETWORK_EXCEPTION", "client closed");
      const c = this.connectionTo(leader);
      if (c === null) return notSent("BROKER_NOT_AVAILABLE");
      const r = await c.request(0, body, { timeoutMs: this.requestTimeoutMs, expectResponse: false });
      if (r.kind === "sent") return { ok: true, value: { baseOffset: null, logStartOffset: -1 } };
      return r.kind === "response"
        ? answered("UNKNOWN_SERVER_ERROR", "unexpected answer to acks=0")
        : lostOrNotSent(r);
    }
    const r = await this.call(leader, 0, body);
    if (!r.ok) return r;
    const part = r.value.responses
      .find((t) => t.name === p.topic)
      ?.partitionResponses.find((x) => x.index === p.partition);
    if (part === undefined)
      return {
        ok: false,
        error: "UNKNOWN_SERVER_ERROR",
        delivery: "lost",
        message: "no result for the partition",
      };
    const e = name(part.errorCode);
    if (e !== null) return answered(e, part.errorMessage);
    return {
      ok: true,
      value: { baseOffset: num(part.baseOffset), logStartOffset: num(part.logStartOffset) },
    };
  }

  /** Fetch from `offset` on the leader; returns at most maxRecords records at or after `offset`. */
  async fetch(f: FetchRequestSpec): Promise<Reply<FetchResult>> {
    const maxBytes = f.maxBytes ?? 1_048_576;
    const r = await this.toLeader(f.topic, f.partition, 1, {
      replicaId: -1,
      maxWaitMs: f.maxWaitMs ?? 0,
      minBytes: f.maxWaitMs !== undefined && f.maxWaitMs > 0 ? 1 : 0,
      maxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [
        {
          topic: f.topic,
          partitions: [
            {
              partition: f.partition,
              currentLeaderEpoch: -1,
              fetchOffset: big(f.offset),
              lastFetchedEpoch: -1,
              logStartOffset: -1n,
              partitionMaxBytes: maxBytes,
            },
          ],
        },
      ],
      forgottenTopicsData: [],
      rackId: "",
    });
    if (!r.ok) return r;
    const top = name(r.value.errorCode);
    if (top !== null) return answered(top);
    const part = r.value.responses
      .find((t) => t.topic === f.topic)
      ?.partitions.find((x) => x.partitionIndex === f.partition);
    if (part === undefined) return answered("UNKNOWN_SERVER_ERROR", "no result for the partition");
    const e = name(part.errorCode);
    if (e !== null) return answered(e);
    let records: FetchedRecordBytes[];
    try {
      records = decodeFetchedRecords(part.records, f.offset, f.maxRecords);
    } catch (err) {
      return { ok: false, error: "CORRUPT_MESSAGE", delivery: "answered", message: String(err) };
    }
    return {
      ok: true,
      value: { records, highWatermark: num(part.highWatermark), logStartOffset: num(part.logStartOffset) },
    };
  }

  /** ListOffsets: the earliest offset (log start) or the latest (high watermark). */
  async listOffsets(
    topic: string,
    partition: number,
    at: "earliest" | "latest",
  ): Promise<Reply<{ offset: number }>> {
    const r = await this.toLeader(topic, partition, 2, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        {
          name: topic,
          partitions: [
            {
              partitionIndex: partition,
              currentLeaderEpoch: -1,
              timestamp: at === "earliest" ? -2n : -1n,
              maxNumOffsets: 1,
            },
          ],
        },
      ],
    });
    if (!r.ok) return r;
    const part = r.value.topics
      .find((t) => t.name === topic)
      ?.partitions.find((x) => x.partitionIndex === partition);
    if (part === undefined) return answered("UNKNOWN_SERVER_ERROR", "no result for the partition");
    const e = name(part.errorCode);
    if (e !== null) return answered(e);
    const offset =
      part.oldStyleOffsets.length > 0 && num(part.offset) < 0
        ? num(part.oldStyleOffsets[0])
        : num(part.offset);
    return { ok: true, value: { offset } };
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Groups                                                                                          */
  /* ---------------------------------------------------------------------------------------------- */

  /** FindCoordinator for a group (a lookup: asks each broker in turn until one answers). */
  async findCoordinator(groupId: string): Promise<Reply<BrokerAddress>> {
    const r = await this.lookup(10, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
    if (!r.ok) return r;
    const b = r.value.body;
    const one =
      r.value.version >= 4
        ? b.coordinators.find((c) => c.key === groupId)
        : {
            nodeId: b.nodeId,
            host: b.host,
            port: b.port,
            errorCode: b.errorCode,
            errorMessage: b.errorMessage,
          };
    if (one === undefined) return answered("UNKNOWN_SERVER_ERROR", "no coordinator in the answer");
    const e = name(one.errorCode);
    if (e !== null) return answered(e, one.errorMessage);
    const address = { nodeId: one.nodeId, host: one.host, port: one.port };
    this.brokers.set(one.nodeId, address);
    this.coordinators.set(groupId, one.nodeId);
    return { ok: true, value: address };
  }

  /** Sends a group request to the group's coordinator (looked up when not known). */
  private async toCoordinator<K extends ApiKey>(
    groupId: string,
    apiKey: K,
    body: RequestInputOf<K>,
    timeoutMs?: number,
  ): Promise<Reply<ResponseOf<K>> & { version?: number }> {
    let broker = this.coordinators.get(groupId);
    if (broker === undefined) {
      const c = await this.findCoordinator(groupId);
      // The lookup failed, so the operation's request was never sent.
      if (!c.ok) return { ...c, delivery: "not-sent" };
      broker = c.value.nodeId;
    }
    const r = await this.call(broker, apiKey, body, timeoutMs);
    if (!r.ok && COORDINATOR_MOVED.has(r.error)) this.coordinators.delete(groupId);
    return r;
  }

  private groupError<T>(groupId: string, code: number): Reply<T> | null {
    const e = name(code);
    if (e === null) return null;
    if (COORDINATOR_MOVED.has(e)) this.coordinators.delete(groupId);
    return answered(e);
  }

  /**
   * JoinGroup. A first join (memberId "") at v4+ is answered MEMBER_ID_REQUIRED with the id the
   * coordinator chose (KIP-394); the client joins again with it, and both requests are one logical join.
   * The broker may hold a join for the group's rebalance timeout, so the client waits that long too.
   */
  async joinGroup(j: JoinRequestSpec): Promise<Reply<JoinResult>> {
    let memberId = j.memberId;
    const timeoutMs = Math.max(this.requestTimeoutMs, j.rebalanceTimeoutMs + JOIN_MARGIN_MS);
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await this.toCoordinator(
        j.groupId,
        11,
        {
          groupId: j.groupId,
          sessionTimeoutMs: j.sessionTimeoutMs,
          rebalanceTimeoutMs: j.rebalanceTimeoutMs,
          memberId,
          groupInstanceId: null,
          protocolType: j.protocolType,
          protocols: j.protocols,
        },
        timeoutMs,
      );
      if (!r.ok)
        return attempt === 0 ? r : { ...r, delivery: r.delivery === "not-sent" ? "lost" : r.delivery };
      const b = r.value;
      if (b.errorCode === 79 && attempt === 0 && b.memberId !== "") {
        memberId = b.memberId;
        continue;
      }
      const err = this.groupError<JoinResult>(j.groupId, b.errorCode);
      if (err !== null) return err;
      this.joinedProtocols.set(j.groupId, { type: j.protocolType, name: b.protocolName });
      return {
        ok: true,
        value: {
          generation: b.generationId,
          protocolName: b.protocolName,
          leader: b.leader,
          memberId: b.memberId,
          members: b.members.map((m) => ({ memberId: m.memberId, metadata: m.metadata })),
        },
      };
    }
    return answered("MEMBER_ID_REQUIRED", "the coordinator asked for a member id twice");
  }

  /** SyncGroup: the leader sends every member's assignment; everyone gets its own back. */
  async syncGroup(s: {
    groupId: string;
    generation: number;
    memberId: string;
    protocolType?: string;
    protocolName?: string | null;
    assignments: Array<{ memberId: string; assignment: Buffer }>;
    rebalanceTimeoutMs?: number;
  }): Promise<Reply<{ assignment: Buffer }>> {
    const r = await this.toCoordinator(
      s.groupId,
      14,
      {
        groupId: s.groupId,
        generationId: s.generation,
        memberId: s.memberId,
        groupInstanceId: null,
        // Kafka rejects a v5+ SyncGroup without them (INCONSISTENT_GROUP_PROTOCOL).
        protocolType: s.protocolType ?? this.joinedProtocols.get(s.groupId)?.type ?? null,
        protocolName: s.protocolName ?? this.joinedProtocols.get(s.groupId)?.name ?? null,
        assignments: s.assignments,
      },
      Math.max(this.requestTimeoutMs, (s.rebalanceTimeoutMs ?? 0) + JOIN_MARGIN_MS),
    );
    if (!r.ok) return r;
    const err = this.groupError<{ assignment: Buffer }>(s.groupId, r.value.errorCode);
    return err ?? { ok: true, value: { assignment: r.value.assignment } };
  }

  async heartbeat(
    groupId: string,
    generation: number,
    memberId: string,
  ): Promise<Reply<Record<string, never>>> {
    const r = await this.toCoordinator(groupId, 12, {
      groupId,
      generationId: generation,
      memberId,
      groupInstanceId: null,
    });
    if (!r.ok) return r;
    return this.groupError(groupId, r.value.errorCode) ?? { ok: true, value: {} };
  }

  async leaveGroup(groupId: string, memberId: string): Promise<Reply<Record<string, never>>> {
    const r = await this.toCoordinator(groupId, 13, {
      groupId,
      memberId,
      members: [{ memberId, groupInstanceId: null }],
    });
    if (!r.ok) return r;
    const top = this.groupError<Record<string, never>>(groupId, r.value.errorCode);
    if (top !== null) return top;
    const mine = r.value.members.find((m) => m.memberId === memberId);
    return (mine && this.groupError(groupId, mine.errorCode)) ?? { ok: true, value: {} };
  }

  /**
   * OffsetCommit. generation -1 with member "" is a "simple" commit outside any generation. The first
   * partition error is the result: the group's checks are shared by every partition, but a partition the
   * broker does not know (UNKNOWN_TOPIC_OR_PARTITION) is refused alone while the rest are committed,
   * and such an answer is marked partial.
   */
  async commitOffsets(
    groupId: string,
    generation: number,
    memberId: string,
    offsets: readonly TopicPartitionOffset[],
  ): Promise<Reply<Record<string, never>>> {
    const byTopic = new Map<string, TopicPartitionOffset[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    const r = await this.toCoordinator(groupId, 8, {
      groupId,
      generationIdOrMemberEpoch: generation,
      memberId,
      groupInstanceId: null,
      retentionTimeMs: -1n,
      topics: [...byTopic].map(([topic, list]) => ({
        name: topic,
        partitions: list.map((o) => ({
          partitionIndex: o.partition,
          committedOffset: big(o.offset),
          committedLeaderEpoch: -1,
          commitTimestamp: -1n,
          committedMetadata: "",
        })),
      })),
    });
    if (!r.ok) return r;
    const codes = r.value.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
    for (const code of codes) {
      const err = this.groupError<Record<string, never>>(groupId, code);
      if (err === null) continue;
      return !err.ok && codes.includes(0) ? { ...err, partial: true } : err;
    }
    return { ok: true, value: {} };
  }

  /** OffsetFetch: the committed offset per partition, -1 where nothing is committed. */
  async fetchOffsets(
    groupId: string,
    partitions: ReadonlyArray<{ topic: string; partition: number }>,
  ): Promise<Reply<{ offsets: TopicPartitionOffset[] }>> {
    const byTopic = new Map<string, number[]>();
    for (const p of partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
    const r = await this.toCoordinator(groupId, 9, {
      groupId,
      topics: [...byTopic].map(([topic, partitionIndexes]) => ({ name: topic, partitionIndexes })),
      requireStable: false,
    });
    if (!r.ok) return r;
    const top = this.groupError<{ offsets: TopicPartitionOffset[] }>(groupId, r.value.errorCode);
    if (top !== null) return top;
    const offsets: TopicPartitionOffset[] = [];
    for (const t of r.value.topics)
      for (const p of t.partitions) {
        const err = this.groupError<{ offsets: TopicPartitionOffset[] }>(groupId, p.errorCode);
        if (err !== null) return err;
        offsets.push({ topic: t.name, partition: p.partitionIndex, offset: num(p.committedOffset) });
      }
    return { ok: true, value: { offsets } };
  }

  /** Closes every connection; requests still waiting end as lost (`closed`). */
  close(): void {
    this.closed = true;
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}

/**
 * The records of a fetch response at or after `fromOffset`, at most `maxRecords`. A fetch may begin
 * inside a batch (the broker sends whole batches) and end with a partial batch (cut by maxBytes): the
 * first are skipped record by record, the second ignored. Control batches (transaction markers) are not
 * records a consumer sees.
 */
export function decodeFetchedRecords(
  bytes: Buffer | null,
  fromOffset: number,
  maxRecords: number,
): FetchedRecordBytes[] {
  const out: FetchedRecordBytes[] = [];
  if (bytes === null) return out;
  for (const span of batchSpans(bytes)) {
    const h = readBatchHeader(bytes, span.position);
    if (isControl(h.attributes)) continue;
    if (h.baseOffset + h.lastOffsetDelta < fromOffset) continue;
    for (const rec of iterateRecords(bytes, span.position)) {
      if (rec.offset < fromOffset) continue;
      out.push({
        offset: rec.offset,
        timestamp: rec.timestamp,
        key: rec.key === null ? null : Buffer.from(rec.key),
        value: rec.value === null ? null : Buffer.from(rec.value),
        headers: rec.headers.map((x) => ({
          key: x.key,
          value: x.value === null ? null : Buffer.from(x.value),
        })),
      });
      if (out.length >= maxRecords) return out;
    }
  }
  return out;
}
