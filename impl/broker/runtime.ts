/**
 * Drives one BrokerNode (the sans-IO broker core) with the real world: wall-clock time and setTimeout
 * for the timers it asks for, impl/storage on the real disk under log.dirs, a metadata session
 * (EmbeddedStore in-process, or ZooKeeper), and peers over TCP speaking Kafka's inter-broker APIs.
 * The shape follows impl/sim/cluster.ts, which is the reference for what each NodeEffect means.
 *
 * Client requests go in through `call` (one node request, one promise); inbound peer requests through
 * `peer*` methods that resolve with the node's answer. A response the node sends to a remote broker is
 * matched to the inbound request it answers; every other message to a remote broker goes out on
 * PeerLinks, and a message to itself is delivered locally on the next turn of the event loop.
 */

import { randomBytes, randomUUID } from "node:crypto";
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId, TopicConfig } from "../../spec/operations.ts";
import type { ControlledShutdownOutcome } from "../controller/controlled-shutdown.ts";
import { DEFAULT_CONTROLLED_SHUTDOWN } from "../controller/controlled-shutdown.ts";
import type {
  AlterPartitionResponse,
  ControlledShutdownRequest,
  ControllerMessage,
} from "../controller/messages.ts";
import type { ZkRequest, ZkResult } from "../controller/zk-effects.ts";
import { SeededFaults } from "../faults/catalog.ts";
import {
  decodeBrokerRegistration,
  decodeClusterId,
  decodeTopicConfig,
  encodeClusterId,
  ZkPaths,
} from "../metadata/layout.ts";
import { type MetadataSession, type MetadataStore, StoreError, type WatchEvent } from "../metadata/store.ts";
import {
  BrokerNode,
  type BrokerNodeConfig,
  type LeaderAndIsrErrors,
  type NodeEffect,
  type PeerMessage,
} from "../node/broker-node.ts";
import type { ClientRequest, ClientResponse } from "../node/requests.ts";
import type {
  OffsetsForLeaderEpochRequest,
  OffsetsForLeaderEpochResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
} from "../replication/messages.ts";
import { StorageReplicaLog } from "../replication/storage-log.ts";
import { parseLogConfig } from "../storage/config.ts";
import type { BrokerConfig } from "./config.ts";
import { DiskLogStore } from "./disk-log.ts";
import { nameOf, PeerLinks } from "./peer/links.ts";
import type { Endpoint } from "./peer/mapping.ts";
import { ProducerIds } from "./producer-ids.ts";
import { clampTimerMs } from "./timer-limit.ts";

export interface RuntimeOptions {
  config: BrokerConfig;
  store: MetadataStore;
  /** One line per event worth a log line. */
  log?: (line: string) => void;
  seededFaults?: readonly string[];
  /** How long a request that needs a running broker waits for it to register (default 15 s). */
  readyWaitMs?: number;
}

/**
 * KAFKASPEC_TRACE=group logs every group request and its answer, FindCoordinator, and changes to the
 * __consumer_offsets partitions this broker coordinates (diagnosis of failover; off by default).
 */
const TRACE_GROUPS = (process.env.KAFKASPEC_TRACE ?? "").split(",").includes("group");
const TRACED_APIS = new Set([
  "findCoordinator",
  "joinGroup",
  "syncGroup",
  "heartbeat",
  "leaveGroup",
  "offsetCommit",
  "offsetFetch",
]);

/** One line for a traced request or answer: the fields that tell a rebalance apart, not the payloads. */
function traceSummary(x: unknown): string {
  return JSON.stringify(x, (k, v) =>
    k === "metadata" || k === "assignment" || k === "protocols" || k === "members" || k === "assignments"
      ? Array.isArray(v)
        ? `[${v.length}]`
        : "…"
      : v,
  );
}

/**
 * What a client hears from a broker that is not running: the node answers BROKER_NOT_AVAILABLE until it
 * has registered (a broker restarted after kill -9 waits for its old ZooKeeper session to expire), and
 * while it shuts down. Kafka accepts no client request before startup completes, and its clients treat
 * BROKER_NOT_AVAILABLE as fatal (kafkajs's consumer crashes on it and stops for good). So each request
 * gets the retriable error a broker that leads nothing and coordinates nothing would give: the client
 * refreshes its metadata or finds the coordinator again, and comes back when the broker is ready.
 */
export function notRunningError(api: ClientRequest["api"]): KafkaErrorName {
  switch (api) {
    case "produce":
    case "fetch":
    case "listOffsets":
      return "NOT_LEADER_OR_FOLLOWER";
    case "findCoordinator":
      return "COORDINATOR_NOT_AVAILABLE";
    case "joinGroup":
    case "syncGroup":
    case "heartbeat":
    case "leaveGroup":
    case "offsetCommit":
    case "offsetFetch":
      return "NOT_COORDINATOR";
    default:
      return "BROKER_NOT_AVAILABLE";
  }
}

/** How long a client request may wait for the node (beyond its own timeout) before it is answered with a timeout. */
const CALL_TIMEOUT_MS = 60_000;

/**
 * The longest one turn of the event loop spends applying a LeaderAndIsr. Each new partition costs a few
 * fsyncs (its directory, its segment files, its leader-epoch checkpoint: 2-5 ms on this machine's disk,
 * 10+ ms under load), so one CreateTopics of 2,000 partitions froze the broker for 10-40 s. The runtime
 * applies a batch partition by partition and yields to the event loop between slices of this length, so
 * other requests (ApiVersions, produce, fetch, group heartbeats) are served in between.
 */
export const CONTROL_SLICE_MS = 20;

/** The longest a stopping broker waits for its queued controller requests to be delivered. */
const CONTROL_DRAIN_MS = 3_000;

/** A LeaderAndIsr partition the broker could not apply, as its response reports it. */
export type ControlPartitionError = { topic: string; partition: number; error: KafkaErrorName };

export class BrokerRuntime {
  readonly config: BrokerConfig;
  readonly log: (line: string) => void;
  node!: BrokerNode;
  logs!: DiskLogStore;
  peers!: PeerLinks;
  readonly producerIds: ProducerIds;
  /** The cluster id from /cluster/id (created by the first broker), as Metadata v2+ reports it. */
  clusterId = "kafkaspec";
  private session: MetadataSession | null = null;
  private sessionGeneration = 0;
  private readonly endpoints = new Map<BrokerId, Endpoint>();
  private readonly topicConfigs = new Map<string, TopicConfig>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pendingCalls = new Map<number, (r: ClientResponse) => void>();
  private nextCallId = 1;
  private nextInboundId = 1;
  private readonly inbound = new Map<string, (m: PeerMessage) => void>();
  private readonly inboundAlter = new Map<string, Array<(m: AlterPartitionResponse) => void>>();
  private changeWaiters: Array<() => void> = [];
  private controlChain: Promise<void> = Promise.resolve();
  private readyWaiters: Array<() => void> = [];
  private stopped = false;
  /** Ends a held inbound request (its answer and its timer) at shutdown, so no timer keeps the process up. */
  private readonly onShutdown = new Set<() => void>();
  private housekeeping: NodeJS.Timeout | null = null;

  constructor(readonly options: RuntimeOptions) {
    this.config = options.config;
    this.log = options.log ?? ((line) => console.error(line));
    this.producerIds = new ProducerIds(() => this.session);
    const self = this.config.advertisedListeners[0];
    this.endpoints.set(this.config.brokerId, { host: self.host, port: self.port });
  }

  get brokerId(): BrokerId {
    return this.config.brokerId;
  }

  /** Opens the logs (recovering them), connects to the metadata store and starts the node. */
  async start(): Promise<void> {
    const c = this.config;
    const brokerLogConfig = parseLogConfig(c.raw);
    this.logs = new DiskLogStore(
      c.logDirs[0],
      (topic) => {
        const overrides = this.topicConfigRaw.get(topic);
        return overrides === undefined ? brokerLogConfig : parseLogConfig(overrides, brokerLogConfig);
      },
      Date.now,
      { maxOpenFiles: c.logMaxOpenFiles },
    );
    const restarted = this.logs.existing().length > 0;
    this.peers = new PeerLinks(
      c.brokerId,
      (id) => this.endpoints.get(id) ?? null,
      (from, m) => this.deliverPeer(from, m),
      c.replicaFetchWaitMaxMs,
      this.log,
      (id) => this.lookupEndpoint(id),
      (to, m) => this.controlStillWanted(to, m),
    );
    await this.openSession();
    this.clusterId = await this.readClusterId();
    // Recovery of every log on disk, its fsyncs batched, before the node starts using them.
    if (restarted) await this.logs.openExisting();
    this.node = new BrokerNode(this.nodeConfig(), this.logs, restarted);
    this.apply(this.node.start(Date.now()));
    this.housekeeping = setInterval(() => this.tick(), 1_000);
  }

  private topicConfigRaw = new Map<string, Map<string, string>>();

  /** A failed controller request is sent again while its controller term lasts and its broker lives. */
  private controlStillWanted(to: BrokerId, m: ControllerMessage): boolean {
    if (this.stopped || this.node === undefined) return false;
    const c = this.node.controller;
    const epoch = "controllerEpoch" in m ? m.controllerEpoch : -1;
    return c.isActive && c.epoch === epoch && c.liveBrokers.has(to);
  }

  private nodeConfig(): BrokerNodeConfig {
    const c = this.config;
    const raw = (name: string, fallback: number): number => {
      const v = c.raw.get(name);
      const n = v === undefined ? Number.NaN : Number(v.trim());
      return Number.isFinite(n) ? n : fallback;
    };
    return {
      brokerId: c.brokerId,
      faults: new SeededFaults(this.options.seededFaults ?? []),
      replicaLagTimeMaxMs: c.replicaLagTimeMaxMs,
      replicaFetchWaitMaxMs: c.replicaFetchWaitMaxMs,
      replicaRetryMs: raw("replica.fetch.backoff.ms", 1_000),
      replicaFetchMaxRecords: 500,
      hwCheckpointIntervalMs: raw("replica.high.watermark.checkpoint.interval.ms", 5_000),
      flushEveryAppend: c.logFlushIntervalMessages <= 1,
      topicDefaults: {
        minInsyncReplicas: c.minInsyncReplicas,
        uncleanLeaderElection: c.uncleanLeaderElectionEnable,
      },
      // Auto-creation is done by the Metadata handler, which forwards CreateTopics to the controller.
      autoCreateTopics: false,
      defaultNumPartitions: c.numPartitions,
      defaultReplicationFactor: c.defaultReplicationFactor,
      offsetsTopicPartitions: c.offsetsTopicNumPartitions,
      groupInitialRebalanceDelayMs: c.groupInitialRebalanceDelayMs,
      groupMinSessionTimeoutMs: raw("group.min.session.timeout.ms", 6_000),
      groupMaxSessionTimeoutMs: raw("group.max.session.timeout.ms", 1_800_000),
      randomInt: (n) => Math.floor(Math.random() * n),
      // Kafka's member ids end in a UUID: unique across restarts of this broker too.
      memberIdSuffix: () => randomUUID(),
      endpoints: c.advertisedListeners.map((l) => ({
        listener: l.name,
        host: l.host,
        port: l.port,
        securityProtocol: "PLAINTEXT",
      })),
      deleteTopicEnable: (c.raw.get("delete.topic.enable") ?? "true").trim() !== "false",
      logControllerEvents: true,
      controlledShutdown: {
        enable: (c.raw.get("controlled.shutdown.enable") ?? "true").trim() !== "false",
        maxRetries: raw("controlled.shutdown.max.retries", DEFAULT_CONTROLLED_SHUTDOWN.maxRetries),
        retryBackoffMs: raw(
          "controlled.shutdown.retry.backoff.ms",
          DEFAULT_CONTROLLED_SHUTDOWN.retryBackoffMs,
        ),
        requestTimeoutMs: raw("request.timeout.ms", DEFAULT_CONTROLLED_SHUTDOWN.requestTimeoutMs),
      },
    };
  }

  private async readClusterId(): Promise<string> {
    const s = this.session;
    if (s === null) return this.clusterId;
    try {
      const got = await s.get(ZkPaths.clusterId);
      if (got !== null) return decodeClusterId(got.data);
      const id = randomBytes(16).toString("base64url").slice(0, 22);
      await s.mkdirp("/cluster");
      await s.create(ZkPaths.clusterId, encodeClusterId(id), "persistent");
      return id;
    } catch (e) {
      if (e instanceof StoreError && e.code === "NODE_EXISTS") return this.readClusterId();
      return this.clusterId;
    }
  }

  /* -------------------------------------------------------------------------------------------- */
  /* Metadata session                                                                              */
  /* -------------------------------------------------------------------------------------------- */

  private async openSession(): Promise<void> {
    const session = await this.options.store.connect({
      sessionTimeoutMs: this.config.zookeeperSessionTimeoutMs,
    });
    this.session = session;
    const generation = ++this.sessionGeneration;
    session.onExpired(() => {
      if (this.stopped || generation !== this.sessionGeneration) return;
      this.log(`[broker ${this.brokerId}] metadata session expired: opening a new one`);
      void this.openSession().then(
        () => this.guarded("session renewal", () => this.apply(this.node.onSessionExpired(Date.now()))),
        (e) =>
          this.log(
            `[broker ${this.brokerId}] could not reconnect to the metadata store: ${(e as Error).message}`,
          ),
      );
    });
  }

  private async runZk(id: number, r: ZkRequest): Promise<void> {
    const session = this.session;
    const generation = this.sessionGeneration;
    if (session === null) return;
    const watcher = (event: WatchEvent) => {
      if (this.stopped || generation !== this.sessionGeneration) return;
      if (event.path === ZkPaths.brokerIds) void this.refreshEndpoints();
      this.guarded(`metadata watch on ${event.path}`, () =>
        this.apply(this.node.onZkWatch(event, Date.now())),
      );
    };
    let result: ZkResult = { ok: false, code: "CONNECTION_LOSS" };
    try {
      switch (r.op) {
        case "create":
          result = { ok: true, path: await session.create(r.path, r.data, r.mode) };
          break;
        case "mkdirp":
          await session.mkdirp(r.path);
          result = { ok: true };
          break;
        case "get": {
          const got = await session.get(r.path, r.watch ? watcher : undefined);
          result = got === null ? { ok: true, stat: null } : { ok: true, data: got.data, stat: got.stat };
          break;
        }
        case "exists":
          result = { ok: true, stat: await session.exists(r.path, r.watch ? watcher : undefined) };
          break;
        case "children":
          result = { ok: true, children: await session.children(r.path, r.watch ? watcher : undefined) };
          break;
        case "set":
          result = { ok: true, stat: await session.set(r.path, r.data, r.version) };
          break;
        case "delete":
          await session.delete(r.path, r.version);
          result = { ok: true };
          break;
        case "multi":
          await session.multi(r.ops);
          result = { ok: true };
          break;
      }
    } catch (e) {
      if (e instanceof StoreError) result = { ok: false, code: e.code };
      else {
        this.log(
          `[broker ${this.brokerId}] metadata ${r.op} ${"path" in r ? r.path : ""} failed: ${(e as Error).message}`,
        );
        result = { ok: false, code: "CONNECTION_LOSS" };
      }
    }
    if (this.stopped) return;
    this.guarded(`metadata ${r.op} result`, () => this.apply(this.node.onZkResult(id, result, Date.now())));
    if (r.op === "create" && r.path === ZkPaths.brokerId(this.brokerId) && result.ok)
      void this.refreshEndpoints();
  }

  /** Reads every broker's registration (host and port of its listener) and watches for changes. */
  async refreshEndpoints(): Promise<void> {
    const session = this.session;
    if (session === null || this.stopped) return;
    try {
      const ids = (await session.children(ZkPaths.brokerIds)) ?? [];
      for (const s of ids) {
        const id = Number(s);
        const got = await session.get(ZkPaths.brokerId(id));
        if (got === null) continue;
        const reg = decodeBrokerRegistration(id, got.data);
        const e = reg.endpoints[0];
        if (e !== undefined) this.endpoints.set(id, { host: e.host, port: e.port });
      }
    } catch (e) {
      this.log(`[broker ${this.brokerId}] reading broker registrations failed: ${(e as Error).message}`);
    }
  }

  /** Reads one broker's registration for its address. */
  async lookupEndpoint(id: BrokerId): Promise<Endpoint | null> {
    const session = this.session;
    if (session === null) return null;
    try {
      const got = await session.get(ZkPaths.brokerId(id));
      if (got === null) return null;
      const e = decodeBrokerRegistration(id, got.data).endpoints[0];
      if (e === undefined) return null;
      this.endpoints.set(id, { host: e.host, port: e.port });
      return { host: e.host, port: e.port };
    } catch {
      return null;
    }
  }

  /** The current metadata session, or null between sessions (DeleteTopics writes the admin's request). */
  metadataSession(): MetadataSession | null {
    return this.session;
  }

  endpointOf(id: BrokerId): Endpoint | null {
    return this.endpoints.get(id) ?? null;
  }

  /** A topic's settings from /config/topics/T, cached (the controller writes them once, at creation). */
  async topicConfig(topic: string): Promise<TopicConfig> {
    const cached = this.topicConfigs.get(topic);
    if (cached !== undefined) return cached;
    const defaults: TopicConfig = {
      minInsyncReplicas: this.config.minInsyncReplicas,
      uncleanLeaderElection: this.config.uncleanLeaderElectionEnable,
    };
    const session = this.session;
    if (session === null) return defaults;
    try {
      const got = await session.get(ZkPaths.configTopic(topic));
      if (got === null) return defaults;
      const raw = decodeTopicConfig(got.data);
      this.topicConfigRaw.set(topic, new Map(Object.entries(raw)));
      const config: TopicConfig = {
        minInsyncReplicas:
          raw["min.insync.replicas"] !== undefined
            ? Number(raw["min.insync.replicas"])
            : defaults.minInsyncReplicas,
        uncleanLeaderElection:
          raw["unclean.leader.election.enable"] !== undefined
            ? raw["unclean.leader.election.enable"] === "true"
            : defaults.uncleanLeaderElection,
      };
      this.topicConfigs.set(topic, config);
      return config;
    } catch {
      return defaults;
    }
  }

  /** The raw topic-level properties stored for a topic (DescribeConfigs). */
  topicOverrides(topic: string): Map<string, string> {
    return this.topicConfigRaw.get(topic) ?? new Map();
  }

  /* -------------------------------------------------------------------------------------------- */
  /* Effects                                                                                       */
  /* -------------------------------------------------------------------------------------------- */

  private tracedOwned = "";

  private apply(effects: NodeEffect[]): void {
    if (TRACE_GROUPS && this.node !== undefined) {
      const owned = this.node.coordinator.ownedPartitions().join(",");
      if (owned !== this.tracedOwned) {
        this.tracedOwned = owned;
        this.log(`[trace ${Date.now()}] coordinating __consumer_offsets partitions [${owned}]`);
      }
    }
    for (const e of effects) {
      switch (e.type) {
        case "reply": {
          const resolve = this.pendingCalls.get(e.requestId);
          if (resolve !== undefined) {
            this.pendingCalls.delete(e.requestId);
            resolve(e.response);
          }
          break;
        }
        case "send":
          this.sendPeer(e.to, e.message);
          break;
        case "zk":
          this.runZk(e.id, e.request).catch((err: unknown) =>
            this.log(`[broker ${this.brokerId}] metadata ${e.request.op} failed: ${messageOf(err)}`),
          );
          break;
        case "leaderAndIsrErrors":
          this.logStorageErrors(e);
          break;
        case "log":
          this.log(e.line);
          break;
        case "timer": {
          const t = setTimeout(
            () => {
              this.timers.delete(t);
              if (!this.stopped)
                this.guarded(`timer ${e.key}`, () => this.apply(this.node.onTimer(e.key, Date.now())));
            },
            clampTimerMs(e.at - Date.now()),
          );
          this.timers.add(t);
          break;
        }
      }
    }
    this.notifyChange();
  }

  /**
   * Runs a step of the node from a callback nobody awaits (a timer, a watch, a settled promise): a
   * throw there would be uncaught and end the process, so it is logged in one line instead.
   */
  private guarded(what: string, step: () => void): void {
    try {
      step();
    } catch (e) {
      this.log(`[broker ${this.brokerId}] ${what} failed: ${messageOf(e)}`);
    }
  }

  /** One line for the partitions a LeaderAndIsr could not apply (a handful named, the rest counted). */
  private logStorageErrors(e: LeaderAndIsrErrors): void {
    const shown = e.partitions
      .slice(0, 5)
      .map((p) => `${p.topic}-${p.partition} (${p.detail})`)
      .join(", ");
    const more = e.partitions.length > 5 ? ` and ${e.partitions.length - 5} more` : "";
    this.log(
      `[broker ${this.brokerId}] LeaderAndIsr from controller ${e.controllerId}: KAFKA_STORAGE_ERROR for ${shown}${more}`,
    );
  }

  private sendPeer(to: BrokerId, m: PeerMessage): void {
    if (this.stopped) return;
    if (to === this.brokerId) {
      // The controller talks to its own broker too: deliver on the next turn, as a network would. Its
      // control requests queue behind those from the wire, so a sliced LeaderAndIsr keeps its place.
      if (m.type === "leaderAndIsr" || m.type === "updateMetadata" || m.type === "stopReplica") {
        setImmediate(() => {
          void this.enqueueControl(() => this.applyControl(to, m)).catch((e: unknown) =>
            this.log(`[broker ${this.brokerId}] local ${m.type} failed: ${messageOf(e)}`),
          );
        });
        return;
      }
      setImmediate(() => this.guarded(`local ${m.type}`, () => this.deliverPeer(to, m)));
      return;
    }
    if (m.type === "replicaFetchResponse" || m.type === "offsetsForLeaderEpochResponse") {
      const k = `${to}:${m.requestId}`;
      const answer = this.inbound.get(k);
      if (answer !== undefined) {
        this.inbound.delete(k);
        answer(m);
      }
      return;
    }
    if (m.type === "alterPartitionResponse") {
      const list = this.inboundAlter.get(`${to}:${m.topic}:${m.partition}`);
      list?.shift()?.(m);
      return;
    }
    if (m.type === "controlledShutdownRequest") {
      void this.sendControlledShutdown(to, m);
      return;
    }
    this.peers.send(to, m);
  }

  /**
   * ControlledShutdown (key 7) to the controller on the admin connection; its answer (or the failure to
   * get one, as NETWORK_EXCEPTION: the node waits controlled.shutdown.retry.backoff.ms and asks again, as
   * Kafka's broker does on an IOException) goes back to the node.
   */
  private async sendControlledShutdown(to: BrokerId, m: ControlledShutdownRequest): Promise<void> {
    let answer: PeerMessage;
    try {
      const res = await this.peers
        .admin(to)
        .request(7, 3, { brokerId: m.brokerId, brokerEpoch: BigInt(m.brokerEpoch) });
      answer = {
        type: "controlledShutdownResponse",
        requestId: m.requestId,
        error: nameOf(res.errorCode),
        remaining: res.remainingPartitions.map((p) => ({ topic: p.topicName, partition: p.partitionIndex })),
      };
    } catch (e) {
      this.log(`[broker ${this.brokerId}] ControlledShutdown to controller ${to} failed: ${messageOf(e)}`);
      answer = {
        type: "controlledShutdownResponse",
        requestId: m.requestId,
        error: "NETWORK_EXCEPTION",
        remaining: [],
      };
    }
    this.deliverPeer(to, answer);
  }

  /**
   * Controlled shutdown (Kafka's KafkaServer.controlledShutdown), before the listener closes: the
   * controller moves leadership off this broker while it still serves, so clients move to the new leaders
   * with retriable errors and nobody waits out a session timeout. Retries per controlled.shutdown.*;
   * resolves with the outcome, or null when there was nothing to ask (not running, or already stopping).
   */
  async controlledShutdown(): Promise<ControlledShutdownOutcome | null> {
    if (this.stopped || !this.running) return null;
    const s = this.nodeConfig().controlledShutdown ?? DEFAULT_CONTROLLED_SHUTDOWN;
    if (!s.enable) return null;
    const bound = s.maxRetries * (s.requestTimeoutMs + s.retryBackoffMs) + 5_000;
    const r = await this.call({ api: "prepareShutdown" }, bound);
    // When this broker is the controller, its answer went out before the brokers heard of their new
    // leaderships: let those requests arrive before the connections close (else the brokers wait for the
    // next controller's failover to learn of them).
    await this.peers.controlIdle(CONTROL_DRAIN_MS);
    return r.api === "prepareShutdown" ? r.outcome : null;
  }

  private deliverPeer(from: BrokerId, m: PeerMessage): void {
    if (this.stopped) return;
    this.apply(this.node.handlePeer(from, m, Date.now()));
  }

  private notifyChange(): void {
    if (this.readyWaiters.length > 0 && this.running) {
      const w = this.readyWaiters;
      this.readyWaiters = [];
      for (const f of w) f();
    }
    if (this.changeWaiters.length === 0) return;
    const w = this.changeWaiters;
    this.changeWaiters = [];
    for (const f of w) f();
  }

  /** Resolves at the node's next step (an append, a high watermark move, ...) or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, clampTimerMs(ms));
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.changeWaiters.push(done);
    });
  }

  /* -------------------------------------------------------------------------------------------- */
  /* Client requests                                                                               */
  /* -------------------------------------------------------------------------------------------- */

  get running(): boolean {
    return this.node !== undefined && this.node.state === "running";
  }

  /**
   * The longest a broker restarted after kill -9 may stay unregistered: its old session holds its id
   * until it expires, up to zookeeper.session.timeout.ms (18 s in the tutorial's properties). Metadata,
   * which has no retriable error to answer with, waits this long; clients wait 30 s for an answer.
   */
  registrationWaitMs(): number {
    return (
      this.options.readyWaitMs ??
      Math.min(Math.max(15_000, this.config.zookeeperSessionTimeoutMs + 5_000), 28_000)
    );
  }

  /** Resolves once the node has registered (or after `ms`). */
  ready(ms = this.options.readyWaitMs ?? 15_000): Promise<void> {
    if (this.running || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.readyWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** One request to the node; resolves with its reply (or REQUEST_TIMED_OUT if none comes). */
  call(request: ClientRequest, timeoutMs = CALL_TIMEOUT_MS): Promise<ClientResponse> {
    return this.callNode(request, timeoutMs).then((r) =>
      r.api === "error" && r.error === "BROKER_NOT_AVAILABLE"
        ? { api: "error", error: notRunningError(request.api) }
        : r,
    );
  }

  private callNode(request: ClientRequest, timeoutMs: number): Promise<ClientResponse> {
    const id = this.nextCallId++;
    const traced = TRACE_GROUPS && TRACED_APIS.has(request.api);
    if (traced) this.log(`[trace ${Date.now()}] #${id} ${traceSummary(request)}`);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        if (this.pendingCalls.delete(id)) {
          if (traced) this.log(`[trace ${Date.now()}] #${id} timed out`);
          resolve({ api: "error", error: "REQUEST_TIMED_OUT" });
        }
      }, clampTimerMs(timeoutMs));
      this.pendingCalls.set(id, (r) => {
        clearTimeout(t);
        if (traced) this.log(`[trace ${Date.now()}] #${id} -> ${traceSummary(r)}`);
        resolve(r);
      });
      this.apply(this.node.handleClient(id, request, Date.now()));
    });
  }

  /* -------------------------------------------------------------------------------------------- */
  /* Inbound peer requests                                                                         */
  /* -------------------------------------------------------------------------------------------- */

  /**
   * A follower's fetch of several partitions. Answers as soon as the node answers one partition (the
   * others answered empty, as Kafka answers a fetch once any partition has data), or when every
   * partition's held fetch expires.
   */
  peerFetch(
    from: BrokerId,
    requests: Array<Omit<ReplicaFetchRequest, "requestId" | "type">>,
  ): Promise<ReplicaFetchResponse[]> {
    return new Promise((resolve) => {
      const answers = new Map<number, ReplicaFetchResponse>();
      const ids: number[] = [];
      let done = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.onShutdown.delete(finish);
        for (const id of ids) this.inbound.delete(`${from}:${id}`);
        resolve(
          requests.map((r, i) => answers.get(ids[i]) ?? this.emptyFetchAnswer(ids[i], r.topic, r.partition)),
        );
      };
      // Any partition answered means news for the follower (records, an error, or a higher high
      // watermark): the node answers a replica fetch only then, and counts that answer as delivered,
      // so holding it back for the other partitions would leave that partition without a fetch at the
      // leader (a new record for it would wait for this fetch's timeout, stalling acks=all produces).
      const check = () => {
        if (answers.size > 0) finish();
      };
      for (const _r of requests) {
        const id = this.nextInboundId++;
        ids.push(id);
        this.inbound.set(`${from}:${id}`, (m) => {
          answers.set(id, m as ReplicaFetchResponse);
          if (ids.length === requests.length) check();
        });
      }
      requests.forEach((r, i) => {
        this.apply(this.node.handlePeer(from, { ...r, type: "replicaFetch", requestId: ids[i] }, Date.now()));
      });
      check();
      // A follower that asks about an epoch we have not heard of is held by the node; bound the wait.
      if (!done) timer = setTimeout(finish, this.config.replicaFetchWaitMaxMs + 1_000);
      if (this.stopped) finish();
      else if (!done) this.onShutdown.add(finish);
    });
  }

  private emptyFetchAnswer(requestId: number, topic: string, partition: number): ReplicaFetchResponse {
    const r = this.node.replicas.get(`${topic}\u0000${partition}`);
    return {
      type: "replicaFetchResponse",
      requestId,
      topic,
      partition,
      error: null,
      highWatermark: r?.highWatermark ?? 0,
      logStartOffset: r?.log.logStartOffset ?? 0,
      leaderLogEndOffset: r?.log.logEndOffset ?? 0,
      records: Buffer.alloc(0),
    };
  }

  peerEpochQuery(
    from: BrokerId,
    r: Omit<OffsetsForLeaderEpochRequest, "requestId" | "type">,
  ): Promise<OffsetsForLeaderEpochResponse> {
    return new Promise((resolve) => {
      const id = this.nextInboundId++;
      const k = `${from}:${id}`;
      const expire = () => {
        clearTimeout(t);
        this.onShutdown.delete(expire);
        if (this.inbound.delete(k))
          resolve({
            type: "offsetsForLeaderEpochResponse",
            requestId: id,
            topic: r.topic,
            partition: r.partition,
            error: "NOT_LEADER_OR_FOLLOWER",
            leaderEpoch: -1,
            endOffset: -1,
          });
      };
      const t = setTimeout(expire, this.config.replicaFetchWaitMaxMs + 1_000);
      this.onShutdown.add(expire);
      this.inbound.set(k, (m) => {
        clearTimeout(t);
        this.onShutdown.delete(expire);
        resolve(m as OffsetsForLeaderEpochResponse);
      });
      this.apply(
        this.node.handlePeer(from, { ...r, type: "offsetsForLeaderEpoch", requestId: id }, Date.now()),
      );
    });
  }

  /**
   * LeaderAndIsr, UpdateMetadata, StopReplica from the controller: applied in arrival order, after the
   * topic configurations they need are read from the metadata store.
   */
  peerControl(
    from: BrokerId,
    build: (configOf: (topic: string) => TopicConfig) => ControllerMessage,
    topics: string[],
  ): Promise<ControlPartitionError[]> {
    return this.enqueueControl(async () => {
      for (const t of new Set(topics)) await this.topicConfig(t);
      const defaults: TopicConfig = {
        minInsyncReplicas: this.config.minInsyncReplicas,
        uncleanLeaderElection: this.config.uncleanLeaderElectionEnable,
      };
      const m = build((t) => this.topicConfigs.get(t) ?? defaults);
      if (m.type === "stopReplica" && m.deletePartitions) {
        for (const p of m.partitions) this.topicConfigs.delete(p.topic);
      }
      return this.applyControl(from, m);
    });
  }

  /** Runs `step` after every control request queued before it (arrival order, as Kafka applies them). */
  private enqueueControl<T>(step: () => Promise<T>): Promise<T> {
    const run = this.controlChain.then(step);
    this.controlChain = run.then(
      () => {},
      () => {},
    );
    return run;
  }

  /**
   * Hands a control request to the node. A LeaderAndIsr or StopReplica goes one partition per node step
   * (each partition's state change is independent, as in Kafka's makeLeaders/makeFollowers and
   * stopReplicas), yielding to the event loop every CONTROL_SLICE_MS: the node stays sans-IO and sees
   * ordinary smaller requests. Resolves with the partitions the node could not apply.
   */
  private async applyControl(from: BrokerId, m: ControllerMessage): Promise<ControlPartitionError[]> {
    const errors: ControlPartitionError[] = [];
    const step = (one: ControllerMessage) => {
      const effects = this.node.handlePeer(from, one, Date.now());
      for (const e of effects) {
        if (e.type === "leaderAndIsrErrors")
          for (const p of e.partitions)
            errors.push({ topic: p.topic, partition: p.partition, error: p.error });
        else if (e.type === "send" && e.message.type === "stopReplicaResponse")
          for (const p of e.message.partitions)
            if (p.error !== null) errors.push({ topic: p.topic, partition: p.partition, error: p.error });
      }
      this.apply(effects);
    };
    if ((m.type !== "leaderAndIsr" && m.type !== "stopReplica") || m.partitions.length <= 1) {
      if (!this.stopped) step(m);
      return errors;
    }
    // Steps take as many partitions as the slice's remaining time allows at the cost measured so far
    // (the first takes one), so a cheap batch does not pay a node step, nor the controller an answer
    // (StopReplica), per partition.
    const n = m.partitions.length;
    let perPartitionMs = CONTROL_SLICE_MS;
    // A step takes at most twice the last one's partitions: cheap ones (stale states) must not let
    // one step take in a run of costly ones (new logs) at the cheap rate.
    let lastK = 1;
    let i = 0;
    while (i < n && !this.stopped) {
      const sliceEnd = performance.now() + CONTROL_SLICE_MS;
      do {
        const fits = Math.floor((sliceEnd - performance.now()) / perPartitionMs);
        const k = Math.max(1, Math.min(n - i, fits, lastK * 2));
        lastK = k;
        const started = performance.now();
        step(
          m.type === "leaderAndIsr"
            ? { ...m, partitions: m.partitions.slice(i, i + k) }
            : { ...m, partitions: m.partitions.slice(i, i + k) },
        );
        i += k;
        perPartitionMs = Math.max(0.01, (performance.now() - started) / k);
      } while (i < n && performance.now() < sliceEnd);
      if (i < n) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    return errors;
  }

  /** Endpoints learned from an UpdateMetadata request. */
  learnEndpoints(endpoints: Map<BrokerId, Endpoint>): void {
    for (const [id, e] of endpoints) if (id !== this.brokerId) this.endpoints.set(id, e);
  }

  /** AlterPartition from a leader: waits for the controller's answers (bounded). */
  peerAlterPartition(
    from: BrokerId,
    requests: import("../controller/messages.ts").AlterPartitionRequest[],
  ): Promise<AlterPartitionResponse[]> {
    return new Promise((resolve) => {
      const out: AlterPartitionResponse[] = [];
      const waiters: Array<[string, (m: AlterPartitionResponse) => void]> = [];
      let left = requests.length;
      let done = false;
      // Only this request's own waiters are dropped on timeout: a later AlterPartition for the same
      // partition must keep its own.
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.onShutdown.delete(finish);
        for (const [k, w] of waiters) {
          const list = this.inboundAlter.get(k)?.filter((x) => x !== w) ?? [];
          if (list.length === 0) this.inboundAlter.delete(k);
          else this.inboundAlter.set(k, list);
        }
        resolve(out);
      };
      const timer = setTimeout(finish, 5_000);
      for (const r of requests) {
        const k = `${from}:${r.topic}:${r.partition}`;
        const waiter = (m: AlterPartitionResponse) => {
          out.push(m);
          if (--left === 0) finish();
        };
        waiters.push([k, waiter]);
        const list = this.inboundAlter.get(k) ?? [];
        list.push(waiter);
        this.inboundAlter.set(k, list);
        this.apply(this.node.handlePeer(from, r, Date.now()));
      }
      if (requests.length === 0 || this.stopped) finish();
      else if (!done) this.onShutdown.add(finish);
    });
  }

  /* -------------------------------------------------------------------------------------------- */
  /* Housekeeping and shutdown                                                                     */
  /* -------------------------------------------------------------------------------------------- */

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    for (const [name, l] of this.logs.logs()) {
      try {
        l.log.maybeFlush(now);
      } catch (e) {
        this.log(`[broker ${this.brokerId}] flush of ${name} failed: ${(e as Error).message}`);
      }
    }
    if (now - this.lastRetentionMs >= this.retentionCheckMs) {
      this.lastRetentionMs = now;
      for (const [key, r] of this.node.replicas) {
        try {
          if (r.log instanceof StorageReplicaLog) r.log.log.enforceRetention(now, r.highWatermark);
        } catch (e) {
          this.log(
            `[broker ${this.brokerId}] retention of ${key.replace("\u0000", "-")} failed: ${(e as Error).message}`,
          );
        }
      }
    }
  }

  private lastRetentionMs = Date.now();
  private get retentionCheckMs(): number {
    const v = Number(this.config.raw.get("log.retention.check.interval.ms") ?? 300_000);
    return Number.isFinite(v) && v > 0 ? v : 300_000;
  }

  /**
   * Graceful stop: no new work, high watermarks checkpointed, logs flushed and closed, the metadata
   * session closed (so the registration goes at once and the controller moves leadership).
   */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.housekeeping !== null) clearInterval(this.housekeeping);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    // Held peer requests answer now (empty, or with what they have) and clear their timers; so do
    // held client fetches (waitForChange) and requests waiting for the node to start.
    for (const end of [...this.onShutdown]) end();
    this.onShutdown.clear();
    const waiters = [...this.changeWaiters, ...this.readyWaiters];
    this.changeWaiters = [];
    this.readyWaiters = [];
    for (const w of waiters) w();
    this.peers?.close();
    if (this.node !== undefined) {
      for (const r of this.node.replicas.values()) {
        try {
          r.log.checkpointHighWatermark(r.highWatermark);
        } catch {
          // A log already deleted by StopReplica has no checkpoint to write.
        }
      }
    }
    if (this.logs !== undefined) {
      const r = await this.logs.shutdown();
      this.log(
        `[broker ${this.brokerId}] ${r.logs} logs flushed and closed in ${r.ms} ms (${r.fsyncs} fsyncs, ${r.dirSyncs} directory syncs)`,
      );
    }
    for (const resolve of this.pendingCalls.values())
      resolve({ api: "error", error: "BROKER_NOT_AVAILABLE" });
    this.pendingCalls.clear();
    const s = this.session;
    this.session = null;
    if (s !== null) await s.close().catch(() => {});
  }

  isStopped(): boolean {
    return this.stopped;
  }

  errorFor(e: unknown): KafkaErrorName {
    const code = (e as { error?: string; code?: string }).error;
    return (typeof code === "string" ? code : "UNKNOWN_SERVER_ERROR") as KafkaErrorName;
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
