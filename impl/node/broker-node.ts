/**
 * BrokerNode: a whole broker as a sans-IO core. Inputs are client requests, peer messages, metadata-store
 * results and watch events, timers and session expiry, each with the current time; outputs are effects
 * (reply to a client, send to a peer, a metadata-store call, a timer). It hosts the partition replicas,
 * the controller (active on one broker at a time) and the group coordinator for the `__consumer_offsets`
 * partitions it leads. The simulator drives it now; the TCP broker drives the same class later.
 */

import type { BrokerState } from "../../spec/adapter.ts";
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId, TopicConfig } from "../../spec/operations.ts";
import {
  ControlledShutdownRequester,
  type ControlledShutdownSettings,
  DEFAULT_CONTROLLED_SHUTDOWN,
  SHUTDOWN_TIMER_PREFIX,
  type ShutdownEffect,
} from "../controller/controlled-shutdown.ts";
import { Controller } from "../controller/controller.ts";
import {
  type ControllerMessage,
  LEADER_DURING_DELETE,
  type LeaderAndIsrRequest,
  type PartitionStateMessage,
  type StopReplicaRequest,
  type StopReplicaResponse,
} from "../controller/messages.ts";
import { ZkCalls, type ZkRequest, type ZkResult } from "../controller/zk-effects.ts";
import type { SeededFaults } from "../faults/catalog.ts";
import type { GroupEffect } from "../group/api.ts";
import { GroupCoordinator } from "../group/coordinator.ts";
import { OFFSETS_TOPIC } from "../group/offsets-topic.ts";
import {
  type BrokerEndpoint,
  encodeBrokerRegistration,
  PERSISTENT_ZK_PATHS,
  ZkPaths,
} from "../metadata/layout.ts";
import type { WatchEvent } from "../metadata/store.ts";
import type { ReplicationMessage } from "../replication/messages.ts";
import {
  PartitionReplica,
  type ProduceResult,
  type ReplicaConfig,
  type ReplicaHost,
} from "../replication/replica.ts";
import type { ReplicaLog } from "../replication/replica-log.ts";
import type { ClientRequest, ClientResponse, MetadataResponse } from "./requests.ts";

export type PeerMessage = ReplicationMessage | ControllerMessage;

export type NodeEffect =
  | { type: "reply"; requestId: number; response: ClientResponse }
  | { type: "send"; to: BrokerId; message: PeerMessage }
  | { type: "zk"; id: number; request: ZkRequest }
  | { type: "timer"; at: number; key: string }
  /** A line for the broker's log (controller events, controlled shutdown); the simulator drops them. */
  | { type: "log"; line: string }
  | LeaderAndIsrErrors;

/**
 * Partitions of one LeaderAndIsr this broker could not apply: their log would not open or change role (a
 * disk error). Kafka's ReplicaManager.makeLeaders/makeFollowers answer such a partition KAFKA_STORAGE_ERROR
 * in the LeaderAndIsr response, mark it offline and go on with the rest. Only emitted when some failed;
 * the TCP driver puts these in its response and logs them (the simulator's messages carry no response).
 */
export interface LeaderAndIsrErrors {
  type: "leaderAndIsrErrors";
  controllerId: BrokerId;
  partitions: Array<{ topic: string; partition: number; error: KafkaErrorName; detail: string }>;
}

/** Where a broker's partition logs live: opened (recovered) by topic and partition. */
export interface LogStore {
  open(topic: string, partition: number): ReplicaLog;
  /** Partitions with a log on disk, found at startup. */
  existing(): Array<{ topic: string; partition: number }>;
  /** Removes a partition's log and its directory (StopReplica with deletePartitions: topic deletion). */
  delete(topic: string, partition: number): void;
}

export interface BrokerNodeConfig {
  brokerId: BrokerId;
  faults: SeededFaults;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  replicaRetryMs: number;
  replicaFetchMaxRecords: number;
  hwCheckpointIntervalMs: number;
  flushEveryAppend: boolean;
  /** Topic defaults from the broker's properties. */
  topicDefaults: TopicConfig;
  offsetsTopicPartitions: number;
  /** auto.create.topics.enable, num.partitions and default.replication.factor. */
  autoCreateTopics: boolean;
  defaultNumPartitions: number;
  defaultReplicationFactor: number;
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  /** A uniform integer in [0, n): the controller's replica placement start. */
  randomInt: (n: number) => number;
  /** The random part of generated member ids (Kafka uses a UUID; the simulator draws from its seed). */
  memberIdSuffix?: () => string;
  /** The listeners to register in /brokers/ids/N (the TCP broker's advertised ones); a placeholder if absent. */
  endpoints?: BrokerEndpoint[];
  /** delete.topic.enable; true when absent, as in Kafka. */
  deleteTopicEnable?: boolean;
  /** Log one line per controller event (as log effects); off when absent, as in the simulator. */
  logControllerEvents?: boolean;
  /** controlled.shutdown.* settings; Kafka's defaults when absent. */
  controlledShutdown?: ControlledShutdownSettings;
}

interface MetadataCache {
  controllerId: BrokerId | null;
  controllerEpoch: number;
  liveBrokers: BrokerId[];
  partitions: Map<string, PartitionStateMessage>;
}

/** A replica request for an epoch this broker has not heard of yet: held until LeaderAndIsr arrives. */
interface HeldPeerRequest {
  from: BrokerId;
  message: ReplicationMessage;
  deadline: number;
}

const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/** High watermark checkpoints written in one step of the node (see checkpointSomeHighWatermarks). */
export const HW_CHECKPOINTS_PER_STEP = 32;

export class BrokerNode {
  state: BrokerState = "offline";
  readonly replicas = new Map<string, PartitionReplica>();
  readonly controller: Controller;
  readonly coordinator: GroupCoordinator;
  private readonly zk: ZkCalls;
  private out: NodeEffect[] = [];
  private now = 0;
  private nextPeerRequestId = 1;
  private highestControllerEpoch = 0;
  private metadata: MetadataCache = {
    controllerId: null,
    controllerEpoch: 0,
    liveBrokers: [],
    partitions: new Map(),
  };
  private held = new Map<string, HeldPeerRequest[]>();
  /** Replicas whose high watermark checkpoint this round has yet to write. */
  private hwCheckpointQueue: PartitionReplica[] = [];
  /** Partitions whose log failed in a LeaderAndIsr (disk error), until a later one opens it. */
  private readonly offline = new Set<string>();
  private groupTimerAt: number | null = null;
  private registered = false;
  /** The controlled shutdown under way (prepareShutdown), and the requests waiting for its outcome. */
  private shutdownRequester: ControlledShutdownRequester | null = null;
  private shutdownWaiters: number[] = [];

  constructor(
    readonly config: BrokerNodeConfig,
    private readonly logs: LogStore,
    /** A restart after a crash: the lifecycle reports "restarting" until registered. */
    private readonly restarted = false,
  ) {
    this.zk = new ZkCalls((id, request) => this.out.push({ type: "zk", id, request }));
    this.controller = new Controller({
      brokerId: config.brokerId,
      faults: config.faults,
      zk: this.zk,
      send: (to, message) => this.send(to, message),
      now: () => this.now,
      randomInt: config.randomInt,
      defaults: config.topicDefaults,
      deleteTopicEnable: config.deleteTopicEnable ?? true,
      ...(config.logControllerEvents ? { log: (line: string) => this.out.push({ type: "log", line }) } : {}),
    });
    this.coordinator = new GroupCoordinator({
      offsetsTopicPartitions: config.offsetsTopicPartitions,
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      seededFaults: config.faults.names,
      ...(config.memberIdSuffix ? { memberIdSuffix: config.memberIdSuffix } : {}),
    });
  }

  get brokerId(): BrokerId {
    return this.config.brokerId;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Inputs                                                                                          */
  /* ---------------------------------------------------------------------------------------------- */

  /** Recover logs, make Kafka's top-level paths, register in the metadata store. */
  start(now: number): NodeEffect[] {
    return this.step(now, () => {
      this.state = this.restarted ? "restarting" : "starting";
      for (const { topic, partition } of this.logs.existing()) {
        const r = this.replicaFor(topic, partition);
        if (this.config.faults.has("truncate-to-hw")) r.truncateToCheckpointedHighWatermark();
      }
      this.armHwCheckpoint();
      this.makePaths([...PERSISTENT_ZK_PATHS, ZkPaths.configTopics], () => this.register());
      this.armIsrCheck();
    });
  }

  handleClient(requestId: number, request: ClientRequest, now: number): NodeEffect[] {
    return this.step(now, () => this.onClient(requestId, request));
  }

  handlePeer(from: BrokerId, message: PeerMessage, now: number): NodeEffect[] {
    return this.step(now, () => this.onPeer(from, message));
  }

  onZkResult(id: number, result: ZkResult, now: number): NodeEffect[] {
    return this.step(now, () => {
      this.zk.resolve(id, result);
    });
  }

  onZkWatch(event: WatchEvent, now: number): NodeEffect[] {
    return this.step(now, () => {
      if (event.path === ZkPaths.controller) this.controller.onControllerChanged();
      else if (event.path === ZkPaths.brokerIds) this.controller.onBrokersChanged();
      else if (event.path === ZkPaths.deleteTopics) this.controller.onDeleteTopicsChanged();
      else if (
        event.path === ZkPaths.brokerId(this.brokerId) &&
        event.type === "deleted" &&
        !this.registered
      ) {
        this.register();
      }
    });
  }

  /** The metadata session expired; the driver has opened a new one. Rejoin like Kafka's broker does. */
  onSessionExpired(now: number): NodeEffect[] {
    return this.step(now, () => {
      this.zk.reset();
      this.controller.resign();
      this.registered = false;
      this.register();
    });
  }

  onTimer(key: string, now: number): NodeEffect[] {
    return this.step(now, () => {
      if (key === "isrCheck") {
        for (const r of this.replicas.values()) r.maybeShrinkIsr(now);
        this.controller.retryDeletions();
        this.armIsrCheck();
      } else if (key === "hwCheckpoint") {
        this.hwCheckpointQueue = [...this.replicas.values()];
        this.armHwCheckpoint();
        this.checkpointSomeHighWatermarks();
      } else if (key === "hwCheckpoint:more") {
        this.checkpointSomeHighWatermarks();
      } else if (key === "group") {
        this.groupTimerAt = null;
        this.applyGroupEffects(this.coordinator.tick(now));
      } else if (key === "held") {
        this.expireHeld(now);
      } else if (key.startsWith(SHUTDOWN_TIMER_PREFIX)) {
        if (this.shutdownRequester !== null) this.applyShutdown(this.shutdownRequester.onTimer(key, now));
      } else if (key.startsWith("replica:")) {
        const r = this.replicas.get(tpKey(...splitReplicaKey(key)));
        r?.onTimer(now);
      }
    });
  }

  private step(now: number, fn: () => void): NodeEffect[] {
    this.now = Math.max(this.now, now);
    fn();
    this.armGroupTimer();
    const out = this.out;
    this.out = [];
    return out;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Registration                                                                                    */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * Kafka's createTopLevelPaths, pipelined: the paths do not depend on each other (mkdirp tolerates a
   * concurrent creator), so all go at once on the session and `then` runs when the last has answered.
   */
  private makePaths(paths: readonly string[], then: () => void): void {
    let left = paths.length;
    if (left === 0) {
      then();
      return;
    }
    const answered = () => {
      if (--left === 0) then();
    };
    for (const path of paths) this.zk.call({ op: "mkdirp", path }, answered);
  }

  private register(): void {
    const data = encodeBrokerRegistration({
      id: this.brokerId,
      endpoints: this.config.endpoints ?? [
        { listener: "PLAINTEXT", host: `broker-${this.brokerId}`, port: 9092, securityProtocol: "PLAINTEXT" },
      ],
      rack: null,
      jmxPort: -1,
      timestampMs: this.now,
      version: 4,
    });
    this.zk.call({ op: "create", path: ZkPaths.brokerId(this.brokerId), data, mode: "ephemeral" }, (r) => {
      if (r.ok) {
        this.registered = true;
        this.state = "running";
        this.controller.elect();
        return;
      }
      if (r.code === "NODE_EXISTS") {
        // A previous session of ours still holds the registration (kill -9): wait for it to expire.
        this.zk.call({ op: "exists", path: ZkPaths.brokerId(this.brokerId), watch: true }, (e) => {
          if (e.ok && (e.stat === null || e.stat === undefined) && !this.registered) this.register();
        });
      }
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Client requests                                                                                 */
  /* ---------------------------------------------------------------------------------------------- */

  private reply(requestId: number, response: ClientResponse): void {
    this.out.push({ type: "reply", requestId, response });
  }

  private onClient(requestId: number, req: ClientRequest): void {
    if (this.state !== "running") {
      this.reply(requestId, { api: "error", error: "BROKER_NOT_AVAILABLE" });
      return;
    }
    switch (req.api) {
      case "controlledShutdown":
        this.controller.onControlledShutdown(req.brokerId, req.brokerEpoch, (error, remaining) =>
          this.reply(requestId, { api: "controlledShutdown", error, remaining }),
        );
        return;
      case "prepareShutdown":
        this.prepareShutdown(requestId);
        return;
      case "metadata":
        if (req.allowAutoTopicCreation && this.config.autoCreateTopics && req.topics !== null)
          this.autoCreate(req.topics);
        {
          this.reply(requestId, this.metadataResponse(req.topics, req.allowAutoTopicCreation === true));
          return;
        }
      case "produce": {
        const r = this.replicas.get(tpKey(req.topic, req.partition));
        if (r === undefined) {
          this.reply(requestId, {
            api: "produce",
            error: this.missingPartitionError(req.topic, req.partition),
            baseOffset: -1,
          });
          return;
        }
        const result = r.appendAsLeader(
          req.records,
          req.acks,
          req.timeoutMs,
          requestId,
          this.now,
          req.batches,
        );
        if (result.error !== null)
          this.reply(requestId, { api: "produce", error: result.error, baseOffset: -1 });
        return;
      }
      case "fetch": {
        const r = this.replicas.get(tpKey(req.topic, req.partition));
        if (r === undefined) {
          const error = this.missingPartitionError(req.topic, req.partition);
          this.reply(requestId, {
            api: "fetch",
            error,
            highWatermark: -1,
            logStartOffset: -1,
            records: [],
          });
          return;
        }
        const { error, entries } = r.readCommitted(req.fetchOffset, req.maxRecords);
        this.reply(requestId, {
          api: "fetch",
          error,
          highWatermark: r.highWatermark,
          logStartOffset: r.log.logStartOffset,
          records: entries,
        });
        return;
      }
      case "listOffsets": {
        const r = this.replicas.get(tpKey(req.topic, req.partition));
        if (r === undefined || r.role !== "leader") {
          const error =
            r === undefined ? this.missingPartitionError(req.topic, req.partition) : "NOT_LEADER_OR_FOLLOWER";
          this.reply(requestId, { api: "listOffsets", error, offset: -1 });
          return;
        }
        if (req.timestamp !== -2 && r.highWatermarkBelowEpochStart) {
          // Kafka's Partition.fetchOffsetForTimestamp: no "latest" until the HW reaches the epoch's start.
          this.reply(requestId, { api: "listOffsets", error: "OFFSET_NOT_AVAILABLE", offset: -1 });
          return;
        }
        const offset = req.timestamp === -2 ? r.log.logStartOffset : r.highWatermark;
        this.reply(requestId, { api: "listOffsets", error: null, offset });
        return;
      }
      case "createTopics": {
        this.controller.createTopic(
          {
            name: req.name,
            numPartitions: req.numPartitions,
            replicationFactor: req.replicationFactor,
            config: req.config,
          },
          (error) => this.reply(requestId, { api: "createTopics", error }),
        );
        return;
      }
      case "createPartitions": {
        this.controller.createPartitions({ name: req.name, count: req.count }, (error) =>
          this.reply(requestId, { api: "createPartitions", error }),
        );
        return;
      }
      case "findCoordinator": {
        const p = this.coordinator.partitionFor(req.key);
        const s = this.metadata.partitions.get(tpKey(OFFSETS_TOPIC, p));
        // Kafka's getCoordinator: only a leader this broker knows to be alive is named (a client handed a
        // node id missing from the brokers it was given fails to find it, e.g. kafkajs's BrokerNotFound).
        if (s === undefined || s.leader < 0 || !this.metadata.liveBrokers.includes(s.leader)) {
          this.reply(requestId, {
            api: "findCoordinator",
            error: "COORDINATOR_NOT_AVAILABLE",
            nodeId: -1,
          });
          return;
        }
        this.reply(requestId, { api: "findCoordinator", error: null, nodeId: s.leader });
        return;
      }
      case "offsetFetch":
        if (!this.coordinator.isCoordinatorFor(req.body.groupId)) {
          this.reply(requestId, { api: "error", error: "NOT_COORDINATOR" });
          return;
        }
        {
          this.reply(requestId, { api: "offsetFetch", body: this.coordinator.offsetFetch(req.body) });
          return;
        }
      default: {
        this.onGroupRequest(requestId, req);
        return;
      }
    }
  }

  private onGroupRequest(
    requestId: number,
    req: Extract<
      ClientRequest,
      { api: "joinGroup" | "syncGroup" | "heartbeat" | "leaveGroup" | "offsetCommit" }
    >,
  ): void {
    // Kafka's KafkaApis answers an OffsetCommit naming only partitions its metadata cache does not know
    // before asking the coordinator anything: UNKNOWN_TOPIC_OR_PARTITION each, even on a non-coordinator.
    const partitionExists = (topic: string, partition: number) =>
      this.metadata.partitions.has(tpKey(topic, partition));
    if (
      req.api === "offsetCommit" &&
      req.body.topics.some((t) => t.partitions.length > 0) &&
      req.body.topics.every((t) => t.partitions.every((p) => !partitionExists(t.name, p.partitionIndex)))
    ) {
      this.applyGroupEffects(
        this.coordinator.offsetCommit({ ...req.body, requestId }, this.now, partitionExists),
      );
      return;
    }
    if (!this.coordinator.isCoordinatorFor(req.body.groupId)) {
      this.reply(requestId, { api: "error", error: "NOT_COORDINATOR" });
      return;
    }
    const now = this.now;
    const c = this.coordinator;
    let effects: GroupEffect[];
    switch (req.api) {
      case "joinGroup":
        effects = c.joinGroup({ ...req.body, requestId }, now);
        break;
      case "syncGroup":
        effects = c.syncGroup({ ...req.body, requestId }, now);
        break;
      case "heartbeat":
        effects = c.heartbeat({ ...req.body, requestId }, now);
        break;
      case "leaveGroup":
        effects = c.leaveGroup({ ...req.body, requestId }, now);
        break;
      case "offsetCommit":
        effects = c.offsetCommit({ ...req.body, requestId }, now, partitionExists);
        break;
    }
    this.applyGroupEffects(effects);
  }

  private applyGroupEffects(effects: GroupEffect[]): void {
    for (const e of effects) {
      if (e.kind === "respond") {
        const { kind: _k, requestId, ...response } = e;
        this.reply(Number(requestId), {
          api: "group",
          response: response as import("../group/api.ts").GroupResponse,
        });
      } else {
        const r = this.replicas.get(tpKey(OFFSETS_TOPIC, e.partition));
        if (r === undefined) {
          this.applyGroupEffects(
            this.coordinator.appendCompleted(e.token, "NOT_LEADER_OR_FOLLOWER", this.now),
          );
          continue;
        }
        // Group appends use negative tokens so their completion is routed to the coordinator.
        const result = r.appendAsLeader(e.records, -1, 5000, -e.token, this.now);
        if (result.error !== null)
          this.applyGroupEffects(this.coordinator.appendCompleted(e.token, result.error, this.now));
      }
    }
  }

  private armGroupTimer(): void {
    const at = this.coordinator.nextDeadline();
    if (at === null) return;
    if (this.groupTimerAt !== null && this.groupTimerAt <= at) return;
    this.groupTimerAt = at;
    this.out.push({ type: "timer", at, key: "group" });
  }

  private missingPartitionError(topic: string, partition: number): KafkaErrorName {
    if (this.offline.has(tpKey(topic, partition))) return "KAFKA_STORAGE_ERROR";
    return this.metadata.partitions.has(tpKey(topic, partition))
      ? "NOT_LEADER_OR_FOLLOWER"
      : "UNKNOWN_TOPIC_OR_PARTITION";
  }

  /** Kafka's auto.create.topics.enable: ask the controller for unknown topics; clients see LEADER_NOT_AVAILABLE. */
  private autoCreate(topics: string[]): void {
    const known = new Set([...this.metadata.partitions.values()].map((p) => p.topic));
    const controller = this.metadata.controllerId;
    if (controller === null) return;
    for (const name of topics) {
      if (known.has(name) || name.startsWith("__")) continue;
      this.send(controller, {
        type: "autoCreateTopic",
        name,
        numPartitions: this.config.defaultNumPartitions,
        replicationFactor: this.config.defaultReplicationFactor,
      });
    }
  }

  private metadataResponse(topics: string[] | null, _creating = false): MetadataResponse {
    const byTopic = new Map<string, MetadataResponse["topics"][number]>();
    const live = new Set(this.metadata.liveBrokers);
    for (const s of this.metadata.partitions.values()) {
      if (topics !== null && !topics.includes(s.topic)) continue;
      let t = byTopic.get(s.topic);
      if (t === undefined) {
        t = { name: s.topic, error: null, partitions: [] };
        byTopic.set(s.topic, t);
      }
      // Kafka's MetadataCache: a leader that is not among the live brokers is reported as none (-1,
      // LEADER_NOT_AVAILABLE), so every node id in the answer is one of its brokers.
      const leader = s.leader >= 0 && live.has(s.leader) ? s.leader : -1;
      t.partitions.push({
        partition: s.partition,
        error: leader < 0 ? "LEADER_NOT_AVAILABLE" : null,
        leader,
        leaderEpoch: s.leaderEpoch,
        replicas: s.replicas,
        isr: s.isr,
      });
    }
    for (const name of topics ?? []) {
      if (!byTopic.has(name))
        byTopic.set(name, { name, error: "UNKNOWN_TOPIC_OR_PARTITION", partitions: [] });
    }
    const list = [...byTopic.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const t of list) t.partitions.sort((a, b) => a.partition - b.partition);
    return {
      api: "metadata",
      brokers: this.metadata.liveBrokers,
      controllerId: this.metadata.controllerId,
      topics: list,
    };
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Peer messages                                                                                   */
  /* ---------------------------------------------------------------------------------------------- */

  private send(to: BrokerId, message: PeerMessage): void {
    this.out.push({ type: "send", to, message });
  }

  private onPeer(from: BrokerId, m: PeerMessage): void {
    if (this.state === "offline" || this.state === "crashed") return;
    switch (m.type) {
      case "leaderAndIsr": {
        this.onLeaderAndIsr(m);
        return;
      }
      case "updateMetadata": {
        if (!this.acceptControllerEpoch(m.controllerEpoch)) return;
        // Partitions of topics being deleted leave the cache, and their topics' group offsets go.
        const deleted = new Set<string>();
        const partitions = new Map<string, PartitionStateMessage>();
        for (const p of m.partitions) {
          if (p.leader === LEADER_DURING_DELETE) deleted.add(p.topic);
          else partitions.set(tpKey(p.topic, p.partition), p);
        }
        this.metadata = {
          controllerId: m.controllerId,
          controllerEpoch: m.controllerEpoch,
          liveBrokers: m.liveBrokers,
          partitions,
        };
        if (deleted.size > 0) this.applyGroupEffects(this.coordinator.handleDeletedTopics(deleted, this.now));
        return;
      }
      case "stopReplica":
        if (!this.acceptControllerEpoch(m.controllerEpoch)) return;
        this.onStopReplica(from, m);
        return;
      case "stopReplicaResponse":
        this.controller.onStopReplicaResponse(m);
        return;
      case "leaderAndIsrResponse":
        this.controller.onLeaderAndIsrResponse(m);
        return;
      case "controlledShutdownRequest":
        this.controller.onControlledShutdown(m.brokerId, m.brokerEpoch, (error, remaining) =>
          this.send(from, { type: "controlledShutdownResponse", requestId: m.requestId, error, remaining }),
        );
        return;
      case "controlledShutdownResponse":
        if (this.shutdownRequester !== null)
          this.applyShutdown(this.shutdownRequester.onResponse(m.requestId, m.error, m.remaining, this.now));
        return;
      case "alterPartition": {
        this.controller.onAlterPartition(m);
        return;
      }
      case "autoCreateTopic": {
        this.controller.autoCreateTopic(m);
        return;
      }
      case "alterPartitionResponse": {
        const r = this.replicas.get(tpKey(m.topic, m.partition));
        if (r !== undefined) r.onIsrChanged(m.leaderEpoch, m.partitionEpoch, m.error === null ? m.isr : null);
        return;
      }
      case "replicaFetch":
      case "offsetsForLeaderEpoch": {
        this.onReplicaRequest(from, m);
        return;
      }
      case "replicaFetchResponse": {
        this.replicas.get(tpKey(m.topic, m.partition))?.onFetchResponse(m, this.now);
        return;
      }
      case "offsetsForLeaderEpochResponse":
        this.replicas.get(tpKey(m.topic, m.partition))?.onOffsetsForLeaderEpochResponse(m, this.now);
        return;
    }
  }

  /** Fences a stale controller: a request from an older controller epoch than one already seen. */
  private acceptControllerEpoch(epoch: number): boolean {
    if (epoch < this.highestControllerEpoch && !this.config.faults.has("stale-controller-unfenced"))
      return false;
    this.highestControllerEpoch = Math.max(this.highestControllerEpoch, epoch);
    return true;
  }

  private onLeaderAndIsr(m: LeaderAndIsrRequest): void {
    if (!this.acceptControllerEpoch(m.controllerEpoch)) return;
    const failed: LeaderAndIsrErrors["partitions"] = [];
    for (const p of m.partitions) {
      try {
        this.applyPartitionState(p);
      } catch (e) {
        // One partition's disk error must not cost the others their state change (Kafka's makeLeaders
        // catches KafkaStorageException only: anything else is a bug and still surfaces).
        if (!isDiskError(e)) throw e;
        this.markOffline(p.topic, p.partition);
        failed.push({
          topic: p.topic,
          partition: p.partition,
          error: "KAFKA_STORAGE_ERROR",
          detail: e instanceof Error ? e.message : String(e),
        });
      }
    }
    if (failed.length > 0) {
      this.out.push({ type: "leaderAndIsrErrors", controllerId: m.controllerId, partitions: failed });
      // The controller takes these replicas offline and elects around them (the TCP driver answers in the
      // LeaderAndIsr response instead; this message is how the simulator's controller hears of it).
      this.send(m.controllerId, {
        type: "leaderAndIsrResponse",
        brokerId: this.brokerId,
        controllerEpoch: m.controllerEpoch,
        partitions: failed.map((f) => ({ topic: f.topic, partition: f.partition, error: f.error })),
      });
    }
  }

  private applyPartitionState(p: PartitionStateMessage): void {
    const r = this.replicaFor(p.topic, p.partition);
    if (p.leaderEpoch <= r.leaderEpoch) return; // stale or already applied
    r.config = { ...r.config, minInsyncReplicas: p.config.minInsyncReplicas };
    const wasLeader = r.role === "leader";
    if (p.leader === this.brokerId) r.becomeLeader(p, this.now);
    else r.becomeFollower(p, this.now);
    if (p.topic === OFFSETS_TOPIC) this.onOffsetsPartitionRoleChange(p.partition, r, wasLeader);
    this.releaseHeld(p.topic, p.partition);
  }

  /**
   * Controlled shutdown, the broker's side: ask the controller (with the broker epoch read from this
   * broker's registration) to move leadership off this broker, retrying as configured; `requestId` is
   * answered with the outcome. A second request while one is under way waits for the same outcome.
   */
  private prepareShutdown(requestId: number): void {
    this.shutdownWaiters.push(requestId);
    if (this.shutdownRequester !== null) return;
    const settings = this.config.controlledShutdown ?? DEFAULT_CONTROLLED_SHUTDOWN;
    const requester = new ControlledShutdownRequester(
      this.brokerId,
      settings,
      () => this.metadata.controllerId ?? this.controller.knownController,
    );
    this.shutdownRequester = requester;
    if (!settings.enable) {
      this.applyShutdown(requester.start(this.now));
      return;
    }
    this.zk.call({ op: "exists", path: ZkPaths.brokerId(this.brokerId), watch: false }, (r) => {
      if (r.ok && r.stat) this.shutdownEpoch = r.stat.czxid;
      this.applyShutdown(requester.start(this.now));
    });
  }

  /** This broker's epoch (its registration's czxid) as read when the controlled shutdown began. */
  private shutdownEpoch = -1;

  private applyShutdown(effects: ShutdownEffect[]): void {
    for (const e of effects) {
      if (e.type === "request")
        this.send(e.to, {
          type: "controlledShutdownRequest",
          requestId: e.requestId,
          brokerId: this.brokerId,
          brokerEpoch: this.shutdownEpoch,
        });
      else if (e.type === "timer") this.out.push(e);
      else if (e.type === "log") this.out.push(e);
      else {
        const waiters = this.shutdownWaiters;
        this.shutdownWaiters = [];
        for (const id of waiters)
          this.reply(id, { api: "prepareShutdown", error: e.outcome.error, outcome: e.outcome });
      }
    }
  }

  /**
   * A replica whose log failed: it stops serving (clients hear KAFKA_STORAGE_ERROR, as from Kafka's offline
   * partitions) and is forgotten, so the next LeaderAndIsr for it opens its log again.
   */
  private markOffline(topic: string, partition: number): void {
    const k = tpKey(topic, partition);
    this.replicas.get(k)?.goOffline();
    this.replicas.delete(k);
    this.held.delete(k);
    this.offline.add(k);
    if (topic === OFFSETS_TOPIC && this.coordinator.ownedPartitions().includes(partition))
      this.applyGroupEffects(this.coordinator.unloadPartition(partition, this.now));
  }

  /**
   * StopReplica: the replicas stop serving; with deletePartitions (topic deletion) their logs, directories
   * and in-memory state go too, and the topic leaves this broker's metadata, so clients get
   * UNKNOWN_TOPIC_OR_PARTITION. A partition this broker does not have counts as deleted (Kafka answers
   * NONE too): the controller may resend after a failover. The answer goes back to the controller.
   */
  private onStopReplica(from: BrokerId, m: StopReplicaRequest): void {
    const partitions: StopReplicaResponse["partitions"] = [];
    for (const p of m.partitions) {
      const k = tpKey(p.topic, p.partition);
      this.replicas.get(k)?.goOffline();
      // A stopped __consumer_offsets replica no longer coordinates its groups (Kafka's onResignation).
      if (p.topic === OFFSETS_TOPIC && this.coordinator.ownedPartitions().includes(p.partition))
        this.applyGroupEffects(this.coordinator.unloadPartition(p.partition, this.now));
      let error: KafkaErrorName | null = null;
      if (m.deletePartitions) {
        this.replicas.delete(k);
        this.held.delete(k);
        this.offline.delete(k);
        this.metadata.partitions.delete(k);
        try {
          this.logs.delete(p.topic, p.partition);
        } catch {
          // Kafka answers KAFKA_STORAGE_ERROR for a log it cannot delete; the controller sends the
          // StopReplica again when this broker registers again or another controller takes over.
          error = "KAFKA_STORAGE_ERROR";
        }
      }
      partitions.push({ topic: p.topic, partition: p.partition, error });
    }
    this.send(from, {
      type: "stopReplicaResponse",
      brokerId: this.brokerId,
      controllerEpoch: m.controllerEpoch,
      deletePartitions: m.deletePartitions,
      partitions,
    });
  }

  private onOffsetsPartitionRoleChange(partition: number, r: PartitionReplica, wasLeader: boolean): void {
    if (r.role === "leader") {
      // Still the leader under a new epoch: the groups in memory are current (Kafka keeps them too).
      if (wasLeader && this.coordinator.ownedPartitions().includes(partition)) return;
      this.coordinator.beginLoad(partition);
      const entries = r.log.read(r.log.logStartOffset, Number.MAX_SAFE_INTEGER);
      const records = entries
        .filter((e) => e.key !== null)
        .map((e) => ({ key: e.key as Buffer, value: e.value }));
      this.applyGroupEffects(this.coordinator.loadPartition(partition, records, this.now));
    } else if (wasLeader || this.coordinator.ownedPartitions().includes(partition)) {
      this.applyGroupEffects(this.coordinator.unloadPartition(partition, this.now));
    }
  }

  private onReplicaRequest(
    from: BrokerId,
    m: Extract<ReplicationMessage, { type: "replicaFetch" | "offsetsForLeaderEpoch" }>,
  ): void {
    const r = this.replicas.get(tpKey(m.topic, m.partition));
    if (r === undefined || m.currentLeaderEpoch > r.leaderEpoch) {
      // The follower heard of a newer epoch than we have: hold it until our LeaderAndIsr arrives.
      const k = tpKey(m.topic, m.partition);
      const list = this.held.get(k) ?? [];
      const deadline = this.now + this.config.replicaFetchWaitMaxMs;
      list.push({ from, message: m, deadline });
      this.held.set(k, list);
      this.out.push({ type: "timer", at: deadline, key: "held" });
      return;
    }
    if (m.type === "replicaFetch") {
      const response = r.handleFetch(from, m, this.now);
      if (response !== null) this.send(from, response);
    } else {
      this.send(from, r.handleOffsetsForLeaderEpoch(m));
    }
  }

  private releaseHeld(topic: string, partition: number): void {
    const k = tpKey(topic, partition);
    const list = this.held.get(k);
    if (list === undefined) return;
    this.held.delete(k);
    for (const h of list) this.onPeer(h.from, h.message);
  }

  private expireHeld(now: number): void {
    for (const [k, list] of this.held) {
      const still = list.filter((h) => h.deadline > now);
      if (still.length === 0) this.held.delete(k);
      else this.held.set(k, still);
    }
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Replicas                                                                                        */
  /* ---------------------------------------------------------------------------------------------- */

  private replicaFor(topic: string, partition: number): PartitionReplica {
    const k = tpKey(topic, partition);
    let r = this.replicas.get(k);
    if (r === undefined) {
      r = new PartitionReplica(
        topic,
        partition,
        this.logs.open(topic, partition),
        this.replicaConfig(),
        this.replicaHost(),
      );
      this.replicas.set(k, r);
      this.offline.delete(k);
    }
    return r;
  }

  private replicaConfig(): ReplicaConfig {
    return {
      replicaLagTimeMaxMs: this.config.replicaLagTimeMaxMs,
      minInsyncReplicas: this.config.topicDefaults.minInsyncReplicas,
      flushEveryAppend: this.config.flushEveryAppend,
      replicaFetchWaitMaxMs: this.config.replicaFetchWaitMaxMs,
      replicaRetryMs: this.config.replicaRetryMs,
      replicaFetchMaxRecords: this.config.replicaFetchMaxRecords,
    };
  }

  private hostCache: ReplicaHost | null = null;
  private replicaHost(): ReplicaHost {
    if (this.hostCache !== null) return this.hostCache;
    this.hostCache = {
      brokerId: this.brokerId,
      faults: this.config.faults,
      send: (to, message) => this.send(to, message),
      produceCompleted: (token, result) => this.onProduceCompleted(token, result),
      alterIsr: (topic, partition, leaderEpoch, partitionEpoch, newIsr) => {
        const controller = this.metadata.controllerId;
        if (controller === null) return;
        this.send(controller, {
          type: "alterPartition",
          brokerId: this.brokerId,
          topic,
          partition,
          leaderEpoch,
          partitionEpoch,
          newIsr,
        });
      },
      setTimer: (at, key) => this.out.push({ type: "timer", at, key }),
      nextRequestId: () => this.nextPeerRequestId++,
      highWatermarkAdvanced: () => {},
    };
    return this.hostCache;
  }

  private onProduceCompleted(token: number, result: ProduceResult): void {
    if (token < 0) {
      this.applyGroupEffects(this.coordinator.appendCompleted(-token, result.error, this.now));
      return;
    }
    this.reply(token, { api: "produce", error: result.error, baseOffset: result.baseOffset });
  }

  /**
   * Writes the next HW_CHECKPOINTS_PER_STEP high watermark checkpoints (each a file written atomically:
   * two fsyncs) and continues in a timer of its own, so a broker with thousands of partitions whose
   * high watermarks moved does not stop serving for the whole round. Kafka writes one file per log
   * directory; ours is one per partition, kept beside its segments. A replica deleted since the round
   * began is skipped; a disk error on one checkpoint does not stop the others.
   */
  private checkpointSomeHighWatermarks(): void {
    const batch = this.hwCheckpointQueue.splice(0, HW_CHECKPOINTS_PER_STEP);
    for (const r of batch) {
      if (this.replicas.get(tpKey(r.topic, r.partition)) !== r) continue;
      try {
        r.log.checkpointHighWatermark(r.highWatermark);
      } catch (e) {
        if (!isDiskError(e)) throw e;
      }
    }
    if (this.hwCheckpointQueue.length > 0)
      this.out.push({ type: "timer", at: this.now, key: "hwCheckpoint:more" });
  }

  /** replica.high.watermark.checkpoint.interval.ms: HWs reach disk only this often. */
  private armHwCheckpoint(): void {
    this.out.push({ type: "timer", at: this.now + this.config.hwCheckpointIntervalMs, key: "hwCheckpoint" });
  }

  private armIsrCheck(): void {
    this.out.push({
      type: "timer",
      at: this.now + Math.max(1, Math.floor(this.config.replicaLagTimeMaxMs / 2)),
      key: "isrCheck",
    });
  }

  /** The metadata this broker has from the controller (for observation). */
  metadataView(): MetadataCache {
    return this.metadata;
  }
}

/** An error from the file system (an errno code such as EIO, ENOSPC, EMFILE, EACCES), not from our code. */
function isDiskError(e: unknown): boolean {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string";
}

function splitReplicaKey(key: string): [string, number] {
  const rest = key.slice("replica:".length);
  const i = rest.lastIndexOf(":");
  return [rest.slice(0, i), Number(rest.slice(i + 1))];
}
