/**
 * Kafka's znode layout and the JSON it stores there, as Kafka's ZkData.scala writes it, plus `KafkaZk`:
 * the operations a broker and the controller perform on it, over any `MetadataSession`.
 *
 * Shapes worth knowing (they are what Kafka's own tools read): timestamps are strings of milliseconds;
 * /controller_epoch holds a bare decimal number; /cluster/id's "version" is the string "1"; topic
 * assignments are keyed by partition number as a string; /admin/delete_topics/T holds no data.
 */
import { type MetadataSession, type MultiOp, StoreError, type Watcher } from "./store.ts";

// ---- paths ----

export const ZkPaths = {
  controller: "/controller",
  controllerEpoch: "/controller_epoch",
  brokers: "/brokers",
  brokerIds: "/brokers/ids",
  brokerId: (id: number) => `/brokers/ids/${id}`,
  brokerSeqId: "/brokers/seqid",
  topics: "/brokers/topics",
  topic: (topic: string) => `/brokers/topics/${topic}`,
  topicPartitions: (topic: string) => `/brokers/topics/${topic}/partitions`,
  topicPartition: (topic: string, partition: number) => `/brokers/topics/${topic}/partitions/${partition}`,
  partitionState: (topic: string, partition: number) =>
    `/brokers/topics/${topic}/partitions/${partition}/state`,
  config: "/config",
  configChanges: "/config/changes",
  configEntityType: (type: string) => `/config/${type}`,
  configTopics: "/config/topics",
  configTopic: (topic: string) => `/config/topics/${topic}`,
  admin: "/admin",
  deleteTopics: "/admin/delete_topics",
  deleteTopic: (topic: string) => `/admin/delete_topics/${topic}`,
  isrChangeNotification: "/isr_change_notification",
  /** Sequential children are created under this prefix: isr_change_0000000000, ... */
  isrChangePrefix: "/isr_change_notification/isr_change_",
  logDirEventNotification: "/log_dir_event_notification",
  cluster: "/cluster",
  clusterId: "/cluster/id",
  consumers: "/consumers",
  latestProducerIdBlock: "/latest_producer_id_block",
} as const;

/** The persistent paths a Kafka broker makes sure of at startup (KafkaZkClient.createTopLevelPaths). */
export const PERSISTENT_ZK_PATHS: readonly string[] = [
  ZkPaths.consumers,
  ZkPaths.brokerIds,
  ZkPaths.topics,
  ZkPaths.configChanges,
  ZkPaths.deleteTopics,
  ZkPaths.brokerSeqId,
  ZkPaths.isrChangeNotification,
  ZkPaths.latestProducerIdBlock,
  ZkPaths.logDirEventNotification,
  ...["topics", "clients", "users", "brokers", "ips"].map(ZkPaths.configEntityType),
];

// ---- JSON helpers ----

type Json = Record<string, unknown>;

function toBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), "utf8");
}

function parseObject(bytes: Buffer, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString("utf8"));
  } catch (err) {
    throw new Error(`${what}: not JSON: ${bytes.toString("utf8")}`, { cause: err });
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${what}: expected a JSON object, got ${bytes.toString("utf8")}`);
  }
  return value as Json;
}

function int(obj: Json, key: string, what: string): number {
  const v = obj[key];
  // Kafka writes some numbers as strings (timestamps); accept both where Kafka's reader would.
  const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) throw new Error(`${what}: "${key}" is not an integer`);
  return n;
}

function intArray(value: unknown, what: string): number[] {
  if (!Array.isArray(value) || !value.every((x) => Number.isInteger(x))) {
    throw new Error(`${what}: expected an array of integers`);
  }
  return value as number[];
}

// ---- /brokers/ids/N ----

export interface BrokerEndpoint {
  /** The listener name (PLAINTEXT, CLIENT, ...). */
  listener: string;
  host: string;
  port: number;
  securityProtocol: string;
}

export interface BrokerRegistration {
  id: number;
  endpoints: BrokerEndpoint[];
  rack: string | null;
  /** -1 when JMX is off, as Kafka writes it. */
  jmxPort: number;
  timestampMs: number;
  /** JSON format version: 4 (Kafka 0.10 to 2.6) or 5 (2.7+, adds "features"). */
  version: 4 | 5;
  /** Supported features, written from version 5: {"feature": {"min_version": 1, "max_version": 3}}. */
  features?: Record<string, { min_version: number; max_version: number }>;
}

/** "PLAINTEXT://host:9092": Kafka's EndPoint.connectionString. IPv6 hosts are bracketed. */
export function endpointString(e: BrokerEndpoint): string {
  const host = e.host.includes(":") ? `[${e.host}]` : e.host;
  return `${e.listener}://${host}:${e.port}`;
}

export function parseEndpoint(s: string, protocolMap: Record<string, string>): BrokerEndpoint {
  const m = /^([A-Za-z0-9_.-]+):\/\/(\[[^\]]*\]|[^:]*):(-?\d+)$/.exec(s);
  if (!m) throw new Error(`bad endpoint ${JSON.stringify(s)}`);
  const listener = m[1]!;
  const host = m[2]!.startsWith("[") ? m[2]!.slice(1, -1) : m[2]!;
  return { listener, host, port: Number(m[3]), securityProtocol: protocolMap[listener] ?? listener };
}

export function encodeBrokerRegistration(b: BrokerRegistration): Buffer {
  // The top-level host/port are the first PLAINTEXT endpoint, or null/-1, for pre-0.10 clients.
  const plaintext = b.endpoints.find((e) => e.securityProtocol === "PLAINTEXT");
  const json: Json = {
    listener_security_protocol_map: Object.fromEntries(
      b.endpoints.map((e) => [e.listener, e.securityProtocol]),
    ),
    endpoints: b.endpoints.map(endpointString),
    jmx_port: b.jmxPort,
  };
  if (b.version >= 5) json.features = b.features ?? {};
  json.host = plaintext?.host ?? null;
  json.timestamp = String(b.timestampMs);
  json.port = plaintext?.port ?? -1;
  if (b.rack !== null) json.rack = b.rack;
  json.version = b.version;
  return toBytes(json);
}

export function decodeBrokerRegistration(id: number, bytes: Buffer): BrokerRegistration {
  const what = `broker registration ${id}`;
  const o = parseObject(bytes, what);
  const version = int(o, "version", what);
  if (version < 1) throw new Error(`${what}: unsupported version ${version}`);
  let endpoints: BrokerEndpoint[];
  if (version === 1) {
    endpoints = [
      {
        listener: "PLAINTEXT",
        host: String(o.host),
        port: int(o, "port", what),
        securityProtocol: "PLAINTEXT",
      },
    ];
  } else {
    const map = (o.listener_security_protocol_map ?? {}) as Record<string, string>;
    const list = o.endpoints;
    if (!Array.isArray(list)) throw new Error(`${what}: "endpoints" is not an array`);
    endpoints = list.map((s) => parseEndpoint(String(s), map));
  }
  const rack = typeof o.rack === "string" ? o.rack : null;
  const result: BrokerRegistration = {
    id,
    endpoints,
    rack,
    jmxPort: int(o, "jmx_port", what),
    timestampMs: o.timestamp === undefined ? 0 : int(o, "timestamp", what),
    version: version >= 5 ? 5 : 4,
  };
  if (typeof o.features === "object" && o.features !== null) {
    result.features = o.features as BrokerRegistration["features"];
  }
  return result;
}

// ---- /controller and /controller_epoch ----

export interface ControllerRegistration {
  brokerId: number;
  timestampMs: number;
}

export function encodeController(c: ControllerRegistration): Buffer {
  return toBytes({ version: 1, brokerid: c.brokerId, timestamp: String(c.timestampMs) });
}

export function decodeController(bytes: Buffer): ControllerRegistration {
  const o = parseObject(bytes, "controller");
  return {
    brokerId: int(o, "brokerid", "controller"),
    timestampMs: o.timestamp === undefined ? 0 : int(o, "timestamp", "controller"),
  };
}

export function encodeControllerEpoch(epoch: number): Buffer {
  return Buffer.from(String(epoch), "utf8");
}

export function decodeControllerEpoch(bytes: Buffer): number {
  const s = bytes.toString("utf8").trim();
  if (!/^-?\d+$/.test(s)) throw new Error(`controller_epoch: not a number: ${JSON.stringify(s)}`);
  return Number(s);
}

/** Kafka's KafkaController.InitialControllerEpoch: the first elected controller gets epoch 1. */
export const INITIAL_CONTROLLER_EPOCH = 0;

// ---- /brokers/topics/T ----

export interface TopicAssignment {
  /** Partition -> replicas, the first being the preferred leader. */
  partitions: Map<number, number[]>;
  /** Reassignment in progress (KIP-455): partition -> replicas being added or removed. */
  addingReplicas: Map<number, number[]>;
  removingReplicas: Map<number, number[]>;
  topicId?: string;
}

function mapToJson(m: Map<number, number[]>): Record<string, number[]> {
  return Object.fromEntries([...m.entries()].sort((a, b) => a[0] - b[0]).map(([p, r]) => [String(p), r]));
}

function jsonToMap(value: unknown, what: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  if (value === undefined || value === null) return out;
  if (typeof value !== "object" || Array.isArray(value)) throw new Error(`${what}: expected an object`);
  for (const [k, v] of Object.entries(value as Json)) {
    if (!/^\d+$/.test(k)) throw new Error(`${what}: bad partition ${JSON.stringify(k)}`);
    out.set(Number(k), intArray(v, `${what}[${k}]`));
  }
  return out;
}

export function encodeTopicAssignment(a: TopicAssignment): Buffer {
  const json: Json = {
    partitions: mapToJson(a.partitions),
    adding_replicas: mapToJson(a.addingReplicas),
    removing_replicas: mapToJson(a.removingReplicas),
    version: 2,
  };
  if (a.topicId !== undefined) json.topic_id = a.topicId;
  return toBytes(json);
}

/** Reads versions 1 (partitions only) and 2 (with adding/removing replicas, optional topic_id). */
export function decodeTopicAssignment(topic: string, bytes: Buffer): TopicAssignment {
  const what = `topic ${topic}`;
  const o = parseObject(bytes, what);
  const result: TopicAssignment = {
    partitions: jsonToMap(o.partitions, `${what} partitions`),
    addingReplicas: jsonToMap(o.adding_replicas, `${what} adding_replicas`),
    removingReplicas: jsonToMap(o.removing_replicas, `${what} removing_replicas`),
  };
  if (typeof o.topic_id === "string") result.topicId = o.topic_id;
  return result;
}

export function assignmentOf(replicas: number[][]): TopicAssignment {
  return {
    partitions: new Map(replicas.map((r, p) => [p, r])),
    addingReplicas: new Map(),
    removingReplicas: new Map(),
  };
}

// ---- /brokers/topics/T/partitions/P/state ----

export interface PartitionState {
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** The epoch of the controller that wrote this state. */
  controllerEpoch: number;
}

/** A partition state as read, with the znode version that a conditional update must name. */
export interface VersionedPartitionState {
  state: PartitionState;
  zkVersion: number;
}

export function encodePartitionState(s: PartitionState): Buffer {
  return toBytes({
    controller_epoch: s.controllerEpoch,
    leader: s.leader,
    version: 1,
    leader_epoch: s.leaderEpoch,
    isr: s.isr,
  });
}

export function decodePartitionState(bytes: Buffer): PartitionState {
  const what = "partition state";
  const o = parseObject(bytes, what);
  return {
    leader: int(o, "leader", what),
    leaderEpoch: int(o, "leader_epoch", what),
    isr: intArray(o.isr, what),
    controllerEpoch: int(o, "controller_epoch", what),
  };
}

// ---- /config/topics/T ----

export type TopicConfig = Record<string, string>;

export function encodeTopicConfig(config: TopicConfig): Buffer {
  return toBytes({ version: 1, config });
}

export function decodeTopicConfig(bytes: Buffer): TopicConfig {
  if (bytes.length === 0) return {};
  const o = parseObject(bytes, "topic config");
  const config = (o.config ?? {}) as Json;
  return Object.fromEntries(Object.entries(config).map(([k, v]) => [k, String(v)]));
}

// ---- /cluster/id ----

export function encodeClusterId(id: string): Buffer {
  return toBytes({ version: "1", id });
}

export function decodeClusterId(bytes: Buffer): string {
  const o = parseObject(bytes, "cluster id");
  if (typeof o.id !== "string") throw new Error(`cluster id: "id" is not a string`);
  return o.id;
}

// ---- /isr_change_notification/isr_change_N ----

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

export function encodeIsrChangeNotification(partitions: TopicPartitionRef[]): Buffer {
  return toBytes({
    version: 1,
    partitions: partitions.map((p) => ({ topic: p.topic, partition: p.partition })),
  });
}

export function decodeIsrChangeNotification(bytes: Buffer): TopicPartitionRef[] {
  const o = parseObject(bytes, "isr change notification");
  if (!Array.isArray(o.partitions)) throw new Error(`isr change notification: "partitions" is not an array`);
  return o.partitions.map((p: Json) => ({
    topic: String(p.topic),
    partition: int(p, "partition", "isr change"),
  }));
}

// ---- KafkaZk: the operations ----

/** What fences a controller's writes: its epoch and the /controller_epoch znode version it wrote. */
export interface ControllerFence {
  epoch: number;
  epochZkVersion: number;
}

export type ElectionResult =
  | ({ elected: true } & ControllerFence)
  | { elected: false; controllerId: number | null };

/** A controller's write was refused because /controller_epoch moved on: another controller is active. */
export class ControllerMovedError extends Error {
  constructor(readonly fence: ControllerFence) {
    super(`controller moved: epoch ${fence.epoch} (zk version ${fence.epochZkVersion}) is no longer current`);
    this.name = "ControllerMovedError";
  }
}

export type LeaderAndIsrUpdate =
  | { ok: true; zkVersion: number }
  | { ok: false; reason: "badVersion" | "noNode" };

function isStoreError(err: unknown, code?: StoreError["code"], path?: string): err is StoreError {
  return (
    err instanceof StoreError &&
    (code === undefined || err.code === code) &&
    (path === undefined || err.path === path)
  );
}

export class KafkaZk {
  private readonly now: () => number;

  constructor(
    readonly session: MetadataSession,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Creates Kafka's persistent top-level paths (idempotent). */
  async createTopLevelPaths(): Promise<void> {
    for (const path of PERSISTENT_ZK_PATHS) await this.session.mkdirp(path);
  }

  /** Returns the cluster id, writing `proposed` if there is none yet (first broker wins). */
  async getOrCreateClusterId(proposed: string): Promise<string> {
    const existing = await this.session.get(ZkPaths.clusterId);
    if (existing) return decodeClusterId(existing.data);
    await this.session.mkdirp(ZkPaths.cluster);
    try {
      await this.session.create(ZkPaths.clusterId, encodeClusterId(proposed), "persistent");
      return proposed;
    } catch (err) {
      if (!isStoreError(err, "NODE_EXISTS")) throw err;
      const winner = await this.session.get(ZkPaths.clusterId);
      if (!winner) throw err;
      return decodeClusterId(winner.data);
    }
  }

  // -- brokers --

  /** Creates the ephemeral /brokers/ids/N; returns the broker epoch (the znode's czxid, KIP-380). */
  async registerBroker(b: BrokerRegistration): Promise<number> {
    const path = ZkPaths.brokerId(b.id);
    await this.session.create(path, encodeBrokerRegistration(b), "ephemeral");
    const stat = await this.session.exists(path);
    if (!stat) throw new StoreError("NO_NODE", path);
    return stat.czxid;
  }

  async getBroker(id: number): Promise<BrokerRegistration | null> {
    const node = await this.session.get(ZkPaths.brokerId(id));
    return node ? decodeBrokerRegistration(id, node.data) : null;
  }

  /** Live broker ids, ascending; the watch fires when a broker registers or goes away. */
  async getLiveBrokerIds(watch?: Watcher): Promise<number[]> {
    const names = (await this.session.children(ZkPaths.brokerIds, watch)) ?? [];
    return names
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  }

  async getLiveBrokers(watch?: Watcher): Promise<BrokerRegistration[]> {
    const out: BrokerRegistration[] = [];
    for (const id of await this.getLiveBrokerIds(watch)) {
      const b = await this.getBroker(id);
      if (b) out.push(b); // A broker that left between the listing and the read is simply not live.
    }
    return out;
  }

  // -- controller --

  /** The active controller's broker id; the watch (an exists watch) fires on creation, change or deletion. */
  async getController(watch?: Watcher): Promise<number | null> {
    const stat = await this.session.exists(ZkPaths.controller, watch);
    if (!stat) return null;
    const node = await this.session.get(ZkPaths.controller);
    return node ? decodeController(node.data).brokerId : null;
  }

  async getControllerEpoch(): Promise<ControllerFence | null> {
    const node = await this.session.get(ZkPaths.controllerEpoch);
    return node ? { epoch: decodeControllerEpoch(node.data), epochZkVersion: node.stat.version } : null;
  }

  /**
   * Kafka's registerControllerAndIncrementControllerEpoch: in one multi, create the ephemeral
   * /controller and bump /controller_epoch conditionally on the version just read. Two brokers racing
   * cannot both win: one gets NODE_EXISTS or BAD_VERSION and learns who the controller is.
   */
  async electController(brokerId: number): Promise<ElectionResult> {
    const current = (await this.getControllerEpoch()) ?? (await this.createControllerEpoch());
    const epoch = current.epoch + 1;
    try {
      await this.session.multi([
        {
          op: "create",
          path: ZkPaths.controller,
          data: encodeController({ brokerId, timestampMs: this.now() }),
          mode: "ephemeral",
        },
        {
          op: "set",
          path: ZkPaths.controllerEpoch,
          data: encodeControllerEpoch(epoch),
          version: current.epochZkVersion,
        },
      ]);
    } catch (err) {
      if (!isStoreError(err, "NODE_EXISTS") && !isStoreError(err, "BAD_VERSION")) throw err;
      return { elected: false, controllerId: await this.getController() };
    }
    // The set bumped the version by exactly one; nobody else can have written it since (fenced by it).
    return { elected: true, epoch, epochZkVersion: current.epochZkVersion + 1 };
  }

  private async createControllerEpoch(): Promise<ControllerFence> {
    try {
      await this.session.create(ZkPaths.controllerEpoch, encodeControllerEpoch(INITIAL_CONTROLLER_EPOCH));
      return { epoch: INITIAL_CONTROLLER_EPOCH, epochZkVersion: 0 };
    } catch (err) {
      if (!isStoreError(err, "NODE_EXISTS")) throw err;
      const again = await this.getControllerEpoch();
      if (!again) throw err;
      return again;
    }
  }

  /** Gives up the controllership (controlled shutdown): deletes /controller if this session owns it. */
  async resignController(): Promise<void> {
    const stat = await this.session.exists(ZkPaths.controller);
    if (stat && stat.ephemeralOwner === this.session.sessionId) {
      await this.session.delete(ZkPaths.controller, stat.version).catch((err) => {
        if (!isStoreError(err, "NO_NODE") && !isStoreError(err, "BAD_VERSION")) throw err;
      });
    }
  }

  /**
   * Runs a controller's writes behind a check on /controller_epoch's version (Kafka's
   * retryRequestsUntilConnected with expectedControllerEpochZkVersion). A stale controller's write
   * fails with ControllerMovedError and changes nothing.
   */
  async fencedMulti(fence: ControllerFence, ops: MultiOp[]): Promise<void> {
    try {
      await this.session.multi([
        { op: "check", path: ZkPaths.controllerEpoch, version: fence.epochZkVersion },
        ...ops,
      ]);
    } catch (err) {
      if (
        isStoreError(err, "BAD_VERSION", ZkPaths.controllerEpoch) ||
        isStoreError(err, "NO_NODE", ZkPaths.controllerEpoch)
      ) {
        throw new ControllerMovedError(fence);
      }
      throw err;
    }
  }

  // -- topics --

  /**
   * AdminZkClient.createTopicWithAssignment: the topic's config, then its assignment (whose creation
   * the controller watches). Throws StoreError NODE_EXISTS if the topic exists.
   */
  async createTopic(topic: string, assignment: TopicAssignment, config: TopicConfig = {}): Promise<void> {
    const ops: MultiOp[] = [
      { op: "create", path: ZkPaths.configTopic(topic), data: encodeTopicConfig(config), mode: "persistent" },
      {
        op: "create",
        path: ZkPaths.topic(topic),
        data: encodeTopicAssignment(assignment),
        mode: "persistent",
      },
    ];
    try {
      await this.session.multi(ops);
    } catch (err) {
      // A config left behind by an earlier topic of the same name is overwritten, as Kafka does.
      if (!isStoreError(err, "NODE_EXISTS", ZkPaths.configTopic(topic))) throw err;
      await this.session.multi([
        { op: "set", path: ZkPaths.configTopic(topic), data: encodeTopicConfig(config), version: -1 },
        ops[1]!,
      ]);
    }
  }

  /** Topic names, sorted; the watch fires when a topic is created or removed. */
  async getTopics(watch?: Watcher): Promise<string[]> {
    return (await this.session.children(ZkPaths.topics, watch)) ?? [];
  }

  async getTopicAssignment(topic: string, watch?: Watcher): Promise<TopicAssignment | null> {
    const node = await this.session.get(ZkPaths.topic(topic), watch);
    return node ? decodeTopicAssignment(topic, node.data) : null;
  }

  async getTopicConfig(topic: string): Promise<TopicConfig> {
    const node = await this.session.get(ZkPaths.configTopic(topic));
    return node ? decodeTopicConfig(node.data) : {};
  }

  /** The controller writes each new partition's first leader and ISR (with the parents it needs), fenced. */
  async createPartitionStates(
    topic: string,
    states: Map<number, PartitionState>,
    fence: ControllerFence,
  ): Promise<void> {
    const ops: MultiOp[] = [];
    const empty = Buffer.alloc(0);
    if (!(await this.session.exists(ZkPaths.topicPartitions(topic)))) {
      ops.push({ op: "create", path: ZkPaths.topicPartitions(topic), data: empty, mode: "persistent" });
    }
    for (const [p, state] of [...states.entries()].sort((a, b) => a[0] - b[0])) {
      if (!(await this.session.exists(ZkPaths.topicPartition(topic, p)))) {
        ops.push({ op: "create", path: ZkPaths.topicPartition(topic, p), data: empty, mode: "persistent" });
      }
      ops.push({
        op: "create",
        path: ZkPaths.partitionState(topic, p),
        data: encodePartitionState(state),
        mode: "persistent",
      });
    }
    await this.fencedMulti(fence, ops);
  }

  async getPartitionState(
    topic: string,
    partition: number,
    watch?: Watcher,
  ): Promise<VersionedPartitionState | null> {
    const node = await this.session.get(ZkPaths.partitionState(topic, partition), watch);
    return node ? { state: decodePartitionState(node.data), zkVersion: node.stat.version } : null;
  }

  /**
   * Writes a partition's new leader and ISR if its state is still at `expectedZkVersion` and the
   * caller is still the controller. BAD_VERSION on the state means someone else (the leader shrinking
   * the ISR) wrote first: re-read and retry. A stale controller gets ControllerMovedError.
   */
  async updateLeaderAndIsr(
    topic: string,
    partition: number,
    state: PartitionState,
    expectedZkVersion: number,
    fence: ControllerFence,
  ): Promise<LeaderAndIsrUpdate> {
    const path = ZkPaths.partitionState(topic, partition);
    try {
      await this.fencedMulti(fence, [
        {
          op: "set",
          path,
          data: encodePartitionState({ ...state, controllerEpoch: fence.epoch }),
          version: expectedZkVersion,
        },
      ]);
    } catch (err) {
      if (isStoreError(err, "BAD_VERSION", path)) return { ok: false, reason: "badVersion" };
      if (isStoreError(err, "NO_NODE", path)) return { ok: false, reason: "noNode" };
      throw err;
    }
    return { ok: true, zkVersion: expectedZkVersion + 1 };
  }

  // -- deletion --

  /** The admin's request (kafka-topics --delete): the controller watches /admin/delete_topics. */
  async requestTopicDeletion(topic: string): Promise<void> {
    try {
      await this.session.create(ZkPaths.deleteTopic(topic), Buffer.alloc(0), "persistent");
    } catch (err) {
      if (!isStoreError(err, "NODE_EXISTS")) throw err; // Already requested.
    }
  }

  async getTopicDeletions(watch?: Watcher): Promise<string[]> {
    return (await this.session.children(ZkPaths.deleteTopics, watch)) ?? [];
  }

  /** The controller's last step of deletion: the topic's znodes, its config and the request, in one fenced multi. */
  async deleteTopic(topic: string, fence: ControllerFence): Promise<void> {
    const ops: MultiOp[] = [];
    const subtree = await this.listSubtree(ZkPaths.topic(topic));
    // Deepest first, so each node is empty when it is deleted.
    for (const path of subtree.reverse()) ops.push({ op: "delete", path, version: -1 });
    if (await this.session.exists(ZkPaths.configTopic(topic))) {
      ops.push({ op: "delete", path: ZkPaths.configTopic(topic), version: -1 });
    }
    if (await this.session.exists(ZkPaths.deleteTopic(topic))) {
      ops.push({ op: "delete", path: ZkPaths.deleteTopic(topic), version: -1 });
    }
    await this.fencedMulti(fence, ops);
  }

  /** `root` and its descendants, parents before children. */
  private async listSubtree(root: string): Promise<string[]> {
    const out: string[] = [];
    const visit = async (path: string): Promise<void> => {
      const kids = await this.session.children(path);
      if (kids === null) return;
      out.push(path);
      for (const k of kids) await visit(`${path}/${k}`);
    };
    await visit(root);
    return out;
  }

  // -- ISR change notifications (leader -> controller) --

  /** A leader announces ISR changes; returns the sequential node's name (isr_change_NNNNNNNNNN). */
  async propagateIsrChanges(partitions: TopicPartitionRef[]): Promise<string> {
    const path = await this.session.create(
      ZkPaths.isrChangePrefix,
      encodeIsrChangeNotification(partitions),
      "persistentSequential",
    );
    return path.slice(path.lastIndexOf("/") + 1);
  }

  async getIsrChangeNotifications(watch?: Watcher): Promise<string[]> {
    return (await this.session.children(ZkPaths.isrChangeNotification, watch)) ?? [];
  }

  async readIsrChangeNotification(name: string): Promise<TopicPartitionRef[] | null> {
    const node = await this.session.get(`${ZkPaths.isrChangeNotification}/${name}`);
    return node ? decodeIsrChangeNotification(node.data) : null;
  }

  async deleteIsrChangeNotification(name: string): Promise<void> {
    await this.session.delete(`${ZkPaths.isrChangeNotification}/${name}`).catch((err) => {
      if (!isStoreError(err, "NO_NODE")) throw err;
    });
  }
}
