/**
 * The deterministic simulator: a whole cluster of BrokerNodes, the embedded znode tree, a network and a
 * disk per broker, driven from one seed by one event queue and a virtual clock. Same seed and same
 * inputs, same run: every choice (message delays, replica placement) comes from the seeded PRNG and
 * ties in time are broken by scheduling order.
 */
import type { BrokerState } from "../../spec/adapter.ts";
import type { BrokerId } from "../../spec/operations.ts";
import type { ZkRequest, ZkResult } from "../controller/zk-effects.ts";
import { SeededFaults } from "../faults/catalog.ts";
import { StoreError, type WatchEvent } from "../metadata/store.ts";
import { ZnodeTree } from "../metadata/tree.ts";
import { BrokerNode, type BrokerNodeConfig, type NodeEffect } from "../node/broker-node.ts";
import type { ClientRequest, ClientResponse } from "../node/requests.ts";
import {
  type ChannelKey,
  ControlChannels,
  type ControlRequest,
  channelKey,
  controlStillWanted,
  isControlRequest,
} from "./control-channels.ts";
import { SimDisk } from "./disk.ts";
import { EventQueue } from "./event-queue.ts";
import { DEFAULT_NETWORK, Network, type NetworkOptions } from "./network.ts";
import { isPeerAnswer, isPeerRequest, PeerCalls } from "./peer-calls.ts";
import { Prng } from "./prng.ts";

export type Settings = Record<string, string | number | boolean>;

export interface SimClusterOptions {
  seed: number;
  brokers: number;
  /** Kafka properties by their own names. */
  config?: Settings;
  seededFaults?: readonly string[];
  network?: Partial<NetworkOptions>;
  /** Record a line per delivered event (for determinism tests and debugging). */
  trace?: boolean;
  /** Bound on events one settle or run may process: a livelock fails loudly. */
  maxEventsPerRun?: number;
}

interface SimBroker {
  id: BrokerId;
  node: BrokerNode | null;
  incarnation: number;
  lifecycle: "offline" | "up" | "crashed";
  paused: boolean;
  deferred: Array<() => void>;
  sessionId: string | null;
  sessionExpiredPending: boolean;
  /** Metadata-store requests waiting for the connection to come back. */
  zkWaiting: ZkOutstanding[];
  disk: SimDisk;
}

/** A metadata-store request on its way: who asked, in which process and session. */
interface ZkOutstanding {
  id: number;
  request: ZkRequest;
  sessionId: string | null;
  incarnation: number;
}

interface PendingClient {
  broker: BrokerId;
  onReply: (response: ClientResponse | null) => void;
}

export class SimCluster {
  readonly prng: Prng;
  readonly queue = new EventQueue();
  readonly network: Network;
  readonly tree = new ZnodeTree();
  readonly faults: SeededFaults;
  readonly settings: Settings;
  readonly brokers = new Map<BrokerId, SimBroker>();
  readonly trace: string[] | null;
  now = 0;
  private messagesInFlight = 0;
  /** Which process each delivered peer request came from, so only it gets the answer. */
  readonly peerCalls = new PeerCalls();
  /** Controller requests per sending process and broker, each sent again until delivered (control-channels.ts). */
  readonly controlChannels = new ControlChannels();
  private nextClientRequestId = 1;
  private readonly pendingClients = new Map<number, PendingClient>();
  private readonly maxEventsPerRun: number;
  private readonly placementPrng: Prng;
  /** A session of the harness itself, for reading the tree in observations (never a broker's). */
  readonly observerSession: string;
  /**
   * Told the path of every znode a broker's committed write created or set, right after it commits (the
   * tree is then at that write), so an observer can keep each version, as ZooKeeper watches would but
   * without merging writes. impl/embedded/observe.ts records partition states this way.
   */
  private readonly writeListeners: Array<(path: string) => void> = [];

  constructor(readonly options: SimClusterOptions) {
    this.prng = new Prng(options.seed);
    this.placementPrng = this.prng.fork();
    this.network = new Network({ ...DEFAULT_NETWORK, ...options.network }, this.prng.fork());
    this.faults = new SeededFaults(options.seededFaults ?? []);
    this.settings = options.config ?? {};
    this.trace = options.trace ? [] : null;
    this.maxEventsPerRun = options.maxEventsPerRun ?? 2_000_000;
    this.observerSession = this.tree.openSession(Number.MAX_SAFE_INTEGER, 0);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Settings                                                                                        */
  /* ---------------------------------------------------------------------------------------------- */

  setting(name: string, fallback: number): number;
  setting(name: string, fallback: boolean): boolean;
  setting(name: string, fallback: number | boolean): number | boolean {
    const v = this.settings[name];
    if (v === undefined) return fallback;
    if (typeof fallback === "boolean") return v === true || v === "true";
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`setting ${name}: not a number: ${String(v)}`);
    return n;
  }

  private nodeConfig(id: BrokerId): BrokerNodeConfig {
    const flushMessages = this.setting("log.flush.interval.messages", 1);
    return {
      brokerId: id,
      faults: this.faults,
      replicaLagTimeMaxMs: this.setting("replica.lag.time.max.ms", 30_000),
      replicaFetchWaitMaxMs: this.setting("replica.fetch.wait.max.ms", 500),
      replicaRetryMs: this.setting("replica.socket.timeout.ms", 30_000),
      replicaFetchMaxRecords: 500,
      hwCheckpointIntervalMs: this.setting("replica.high.watermark.checkpoint.interval.ms", 5_000),
      flushEveryAppend: flushMessages <= 1,
      topicDefaults: {
        minInsyncReplicas: this.setting("min.insync.replicas", 1),
        uncleanLeaderElection: this.setting("unclean.leader.election.enable", false),
      },
      offsetsTopicPartitions: this.setting("offsets.topic.num.partitions", 3),
      autoCreateTopics: this.setting("auto.create.topics.enable", true),
      defaultNumPartitions: this.setting("num.partitions", 1),
      defaultReplicationFactor: this.setting("default.replication.factor", 1),
      groupInitialRebalanceDelayMs: this.setting("group.initial.rebalance.delay.ms", 0),
      groupMinSessionTimeoutMs: this.setting("group.min.session.timeout.ms", 6_000),
      groupMaxSessionTimeoutMs: this.setting("group.max.session.timeout.ms", 1_800_000),
      randomInt: (n) => this.placementPrng.int(0, n - 1),
      memberIdSuffix: () => uuidFrom(this.placementPrng),
      deleteTopicEnable: this.setting("delete.topic.enable", true) as boolean,
    };
  }

  get sessionTimeoutMs(): number {
    return this.setting("zookeeper.session.timeout.ms", 18_000);
  }

  private sortedIds: BrokerId[] | null = null;

  /** Every broker ever started, by id ascending (brokers are only ever added). */
  brokerIds(): readonly BrokerId[] {
    if (this.sortedIds === null) this.sortedIds = [...this.brokers.keys()].sort((a, b) => a - b);
    return this.sortedIds;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Broker lifecycle                                                                                */
  /* ---------------------------------------------------------------------------------------------- */

  /** Starts broker `id` (a new one, or a crashed one again from what its disk kept). */
  startBroker(id: BrokerId): void {
    let b = this.brokers.get(id);
    if (b === undefined) {
      b = {
        id,
        node: null,
        incarnation: 0,
        lifecycle: "offline",
        paused: false,
        deferred: [],
        sessionId: null,
        sessionExpiredPending: false,
        zkWaiting: [],
        disk: new SimDisk(() => this.now),
      };
      this.brokers.set(id, b);
      this.sortedIds = null;
    }
    if (b.lifecycle === "up") return;
    const restarted = b.lifecycle === "crashed";
    b.incarnation += 1;
    b.lifecycle = "up";
    b.paused = false;
    b.deferred = [];
    b.zkWaiting = [];
    b.sessionExpiredPending = false;
    b.sessionId = this.tree.openSession(this.sessionTimeoutMs, this.now);
    if (!this.network.reachesStore(id)) this.tree.disconnect(b.sessionId, this.now);
    b.node = new BrokerNode(this.nodeConfig(id), b.disk, restarted);
    this.log(`start ${id}`);
    this.apply(b, b.node.start(this.now));
  }

  crashBroker(id: BrokerId): boolean {
    const b = this.brokers.get(id);
    if (b === undefined || b.lifecycle !== "up") return false;
    this.log(`crash ${id}`);
    b.lifecycle = "crashed";
    b.node = null;
    b.paused = false;
    b.deferred = [];
    b.incarnation += 1;
    b.disk.crash();
    // kill -9 closes nothing: the session lingers until it times out.
    if (b.sessionId !== null) this.tree.disconnect(b.sessionId, this.now);
    this.drainTree();
    // Connections to the dead process close: its clients learn at once.
    for (const [rid, p] of [...this.pendingClients]) {
      if (p.broker !== id) continue;
      this.pendingClients.delete(rid);
      this.scheduleMessage(this.network.delay(), () => p.onReply(null));
    }
    return true;
  }

  pauseBroker(id: BrokerId): boolean {
    const b = this.brokers.get(id);
    if (b === undefined || b.lifecycle !== "up" || b.paused) return false;
    this.log(`pause ${id}`);
    b.paused = true;
    if (b.sessionId !== null) this.tree.disconnect(b.sessionId, this.now);
    return true;
  }

  resumeBroker(id: BrokerId): boolean {
    const b = this.brokers.get(id);
    if (b === undefined || b.lifecycle !== "up" || !b.paused) return false;
    this.log(`resume ${id}`);
    b.paused = false;
    this.reconnectSession(b);
    const deferred = b.deferred;
    b.deferred = [];
    for (const fn of deferred) {
      if (b.paused || b.lifecycle !== "up") break;
      fn();
    }
    return true;
  }

  isolate(a: readonly BrokerId[], b: readonly BrokerId[]): void {
    this.log(`isolate [${a.join(",")}] | [${b.join(",")}]`);
    this.network.isolate(a, b);
    for (const br of this.brokers.values()) {
      if (br.sessionId !== null && !this.network.reachesStore(br.id))
        this.tree.disconnect(br.sessionId, this.now);
    }
    this.drainTree();
  }

  heal(): void {
    this.log("heal");
    this.network.heal();
    for (const b of this.brokers.values()) if (b.lifecycle === "up" && !b.paused) this.reconnectSession(b);
  }

  expireSession(id: BrokerId): boolean {
    const b = this.brokers.get(id);
    if (b === undefined || b.sessionId === null) return false;
    this.log(`expireSession ${id}`);
    const ok = this.tree.expire(b.sessionId);
    this.drainTree();
    return ok;
  }

  brokerState(id: BrokerId): BrokerState {
    const b = this.brokers.get(id);
    if (b === undefined) return "offline";
    if (b.lifecycle === "crashed") return "crashed";
    if (b.lifecycle === "offline" || b.node === null) return "offline";
    return b.node.state;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Metadata-store sessions                                                                         */
  /* ---------------------------------------------------------------------------------------------- */

  /** Calls `listener` with the path of every znode a committed broker write creates or sets, from now on. */
  onStoreWrite(listener: (path: string) => void): void {
    this.writeListeners.push(listener);
  }

  private wrote(path: string): void {
    for (const l of this.writeListeners) l(path);
  }

  /** Tells the write listeners what a committed request created or set (deletions are not versions). */
  private announceWrites(r: ZkRequest, created: string | null): void {
    if (r.op === "create" || r.op === "set") this.wrote(created ?? r.path);
    else if (r.op === "multi")
      for (const op of r.ops) if (op.op === "create" || op.op === "set") this.wrote(op.path);
  }

  private reconnectSession(b: SimBroker): void {
    if (b.sessionId === null || !this.network.reachesStore(b.id)) return;
    const status = this.tree.reconnect(b.sessionId, this.now);
    this.drainTree();
    if (status === "expired" || b.sessionExpiredPending) this.renewSession(b);
    this.flushZkWaiting(b);
  }

  /** The broker's session is gone: its client library opens a new one and tells the broker. */
  private renewSession(b: SimBroker): void {
    if (b.lifecycle !== "up" || b.node === null) return;
    if (b.paused || !this.network.reachesStore(b.id)) {
      b.sessionExpiredPending = true;
      return;
    }
    b.sessionExpiredPending = false;
    b.sessionId = this.tree.openSession(this.sessionTimeoutMs, this.now);
    const inc = b.incarnation;
    this.scheduleMessage(this.network.delay(), () => {
      if (this.receives(b, inc)) this.run(b, () => this.apply(b, b.node!.onSessionExpired(this.now)));
    });
  }

  private drainTree(): void {
    for (const n of this.tree.takeNotifications()) {
      if (n.kind === "watch") n.watcher(n.event);
      else {
        const b = [...this.brokers.values()].find((x) => x.sessionId === n.sessionId);
        if (b !== undefined) {
          this.log(`session expired ${b.id}`);
          this.renewSession(b);
        }
      }
    }
  }

  /**
   * Metadata-store requests a broker made in one step. Like Kafka's ZooKeeperClient, a request made while
   * the broker cannot reach the store waits for the connection; if the session expired meanwhile it fails
   * with SESSION_EXPIRED. Requests travel as ZooKeeper's do on the client's one connection: pipelined,
   * in order, so those issued together arrive together and their answers come back together, in order.
   */
  // Continuations here are methods called from anonymous arrows rather than named local closures: the
  // tsx transform wraps every named closure in a keep-names helper, which showed in profiles.
  private zkSend(b: SimBroker, requests: ZkOutstanding[]): void {
    if (!this.network.reachesStore(b.id)) {
      for (const r of requests) b.zkWaiting.push(r);
      return;
    }
    this.scheduleMessage(this.network.delay(), () => this.zkAttempt(b, requests));
  }

  private zkAttempt(b: SimBroker, requests: readonly ZkOutstanding[]): void {
    const answers: Array<{ id: number; result: ZkResult }> = [];
    for (const r of requests) {
      if (b.incarnation !== r.incarnation) continue;
      const sessionId = r.sessionId;
      const status = sessionId === null ? undefined : this.tree.sessionStatus(sessionId);
      if (sessionId === null || b.sessionId !== sessionId || status === "expired" || status === "closed") {
        answers.push({ id: r.id, result: { ok: false, code: "SESSION_EXPIRED" } });
      } else if (!this.network.reachesStore(b.id) || status !== "connected") {
        b.zkWaiting.push(r);
      } else {
        const result = this.runZk(b, sessionId, r.request);
        this.drainTree();
        answers.push({ id: r.id, result });
      }
    }
    if (answers.length > 0) this.zkRespond(b, b.incarnation, answers);
  }

  private zkRespond(b: SimBroker, inc: number, answers: Array<{ id: number; result: ZkResult }>): void {
    this.scheduleMessage(this.network.delay(), () => {
      if (this.receives(b, inc)) this.run(b, () => this.zkAnswers(b, inc, answers));
    });
  }

  private zkAnswers(b: SimBroker, inc: number, answers: Array<{ id: number; result: ZkResult }>): void {
    for (const a of answers) {
      if (b.incarnation !== inc || b.node === null) return;
      this.apply(b, b.node.onZkResult(a.id, a.result, this.now));
    }
  }

  /** The broker reaches the store again: requests that waited go now (or fail, if their session is gone). */
  private flushZkWaiting(b: SimBroker): void {
    const waiting = b.zkWaiting;
    b.zkWaiting = [];
    if (waiting.length > 0) this.scheduleMessage(this.network.delay(), () => this.zkAttempt(b, waiting));
  }

  private runZk(b: SimBroker, sid: string, r: ZkRequest): ZkResult {
    const inc = b.incarnation;
    const watcher =
      "watch" in r && r.watch ? (event: WatchEvent) => this.onWatch(b, inc, sid, event) : undefined;
    // The common refusals (a second controller candidate, a restarted broker's stale registration) are
    // answered without the tree throwing: building an Error's stack costs ~20 us, more than the request.
    if (this.createsExisting(sid, r)) return { ok: false, code: "NODE_EXISTS" };
    try {
      switch (r.op) {
        case "create": {
          const path = this.tree.create(sid, r.path, r.data, r.mode);
          if (this.writeListeners.length > 0) this.announceWrites(r, path);
          return { ok: true, path };
        }
        case "mkdirp":
          this.tree.mkdirp(sid, r.path);
          return { ok: true };
        case "get": {
          const got = this.tree.get(sid, r.path, watcher);
          return got === null ? { ok: true, stat: null } : { ok: true, data: got.data, stat: got.stat };
        }
        case "exists":
          return { ok: true, stat: this.tree.exists(sid, r.path, watcher) };
        case "children":
          return { ok: true, children: this.tree.children(sid, r.path, watcher) };
        case "set": {
          const stat = this.tree.set(sid, r.path, r.data, r.version);
          if (this.writeListeners.length > 0) this.announceWrites(r, null);
          return { ok: true, stat };
        }
        case "delete":
          this.tree.delete(sid, r.path, r.version);
          return { ok: true };
        case "multi":
          this.tree.multi(sid, r.ops);
          if (this.writeListeners.length > 0) this.announceWrites(r, null);
          return { ok: true };
      }
    } catch (e) {
      if (e instanceof StoreError) return { ok: false, code: e.code };
      throw e;
    }
  }

  /**
   * Whether the request is a plain create (alone, or first in a multi) of a node that exists: exactly
   * the requests the tree would refuse with NODE_EXISTS, before anything else in them applies.
   */
  private createsExisting(sid: string, r: ZkRequest): boolean {
    const create = r.op === "create" ? r : r.op === "multi" ? r.ops[0] : undefined;
    if (create === undefined || create.op !== "create") return false;
    if (create.mode === "persistentSequential" || create.mode === "ephemeralSequential") return false;
    if (this.tree.sessionStatus(sid) !== "connected") return false;
    try {
      return this.tree.exists(sid, create.path) !== null;
    } catch {
      return false;
    }
  }

  private onWatch(b: SimBroker, inc: number, sid: string, event: WatchEvent): void {
    this.scheduleMessage(this.network.delay(), () => {
      if (b.sessionId !== sid) return; // a watch of a dead session
      if (!this.receives(b, inc)) return;
      if (b.paused) b.deferred.push(() => this.apply(b, b.node!.onZkWatch(event, this.now)));
      else this.apply(b, b.node!.onZkWatch(event, this.now));
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Effects                                                                                         */
  /* ---------------------------------------------------------------------------------------------- */

  private apply(b: SimBroker, effects: NodeEffect[]): void {
    let zk: ZkOutstanding[] | null = null;
    for (const e of effects) {
      switch (e.type) {
        case "reply": {
          const p = this.pendingClients.get(e.requestId);
          if (p === undefined) break;
          this.scheduleMessage(this.network.delay(), () => {
            if (this.pendingClients.get(e.requestId) !== p) return;
            this.pendingClients.delete(e.requestId);
            p.onReply(e.response);
          });
          break;
        }
        case "send":
          this.sendPeer(b, e.to, e.message);
          break;
        case "zk":
          if (zk === null) zk = [];
          zk.push({
            id: e.id,
            request: e.request,
            sessionId: b.sessionId,
            incarnation: b.incarnation,
          });
          break;
        case "timer": {
          const inc = b.incarnation;
          const key = e.key;
          this.queue.schedule(Math.max(e.at, this.now), "timer", () => this.deliverTimer(b, inc, key));
          break;
        }
      }
    }
    if (zk !== null) this.zkSend(b, zk);
  }

  private sendPeer(from: SimBroker, to: BrokerId, sent: import("../node/broker-node.ts").PeerMessage): void {
    if (isControlRequest(sent)) {
      this.sendControl(from, to, sent);
      return;
    }
    const target = this.brokers.get(to);
    if (target === undefined) return;
    // An answer goes to the process that asked, as on its connection (see peer-calls.ts); the check that
    // it answers an open request runs before the network can lose it.
    const route = isPeerAnswer(sent) ? this.peerCalls.answered(from.id, to, sent) : null;
    const inc = route === null ? target.incarnation : route.incarnation;
    const message = route === null ? sent : route.message;
    if (this.network.drops(from.id, to)) return;
    const fromInc = from.incarnation;
    const copies = this.network.duplicates() ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      this.scheduleMessage(this.network.delay(), () => {
        if (!this.network.connected(from.id, to)) return;
        if (this.trace !== null) this.log(`${from.id}->${to} ${message.type}`);
        if (!this.receives(target, inc)) return;
        const m = isPeerRequest(message) ? this.peerCalls.opened(from.id, fromInc, to, message) : message;
        if (target.paused)
          target.deferred.push(() => this.apply(target, target.node!.handlePeer(from.id, m, this.now)));
        else this.apply(target, target.node!.handlePeer(from.id, m, this.now));
      });
    }
  }

  /**
   * A controller request: queued on the sender's channel to `to` and sent when its turn comes, one at a
   * time, as the TCP runtime does. The next one goes when the head arrives (the answer's trip back is
   * folded into the next request's delay, so an undisturbed run costs no extra event or draw).
   */
  private sendControl(from: SimBroker, to: BrokerId, m: ControlRequest): void {
    const key = channelKey(from.id, from.incarnation, to);
    if (this.controlChannels.enqueue(key, m) !== null) this.attemptControl(from, from.incarnation, to, key);
  }

  /**
   * One attempt at the channel's head request, on the sender's side. A request no longer wanted is
   * dropped first; one lost (a cut link, random loss, a process gone) is tried again after the backoff,
   * reaching the broker's current process then, as a new connection would; the pause grows from 100 ms to
   * 1 s while it stays lost.
   */
  private attemptControl(from: SimBroker, fromInc: number, to: BrokerId, key: ChannelKey): void {
    if (!this.receives(from, fromInc)) {
      this.controlChannels.discard(key);
      return;
    }
    const controller = from.node!.controller;
    let m = this.controlChannels.head(key);
    while (m !== undefined && !controlStillWanted(controller, to, m))
      m = this.controlChannels.done(key) ?? undefined;
    const target = this.brokers.get(to);
    if (m === undefined || target === undefined) return;
    if (this.network.drops(from.id, to)) {
      this.retryControl(from, fromInc, to, key);
      return;
    }
    const message = m;
    const inc = target.incarnation;
    const copies = this.network.duplicates() ? 2 : 1;
    let settled = false;
    for (let i = 0; i < copies; i++) {
      this.scheduleMessage(this.network.delay(), () => {
        const connected = this.network.connected(from.id, to);
        if (connected && this.trace !== null) this.log(`${from.id}->${to} ${message.type}`);
        const arrives = connected && this.receives(target, inc);
        if (arrives) {
          if (target.paused)
            target.deferred.push(() =>
              this.apply(target, target.node!.handlePeer(from.id, message, this.now)),
            );
          else this.apply(target, target.node!.handlePeer(from.id, message, this.now));
        }
        // The first copy to land or fail settles the attempt; a duplicate only arrives twice.
        if (settled) return;
        settled = true;
        if (!arrives) this.retryControl(from, fromInc, to, key);
        else if (this.controlChannels.done(key) !== null) this.nextControl(from, fromInc, to, key);
      });
    }
  }

  private nextControl(from: SimBroker, fromInc: number, to: BrokerId, key: ChannelKey): void {
    if (this.receives(from, fromInc)) this.run(from, () => this.attemptControl(from, fromInc, to, key));
    else this.controlChannels.discard(key);
  }

  private retryControl(from: SimBroker, fromInc: number, to: BrokerId, key: ChannelKey): void {
    this.queue.schedule(this.now + this.controlChannels.failed(key), "timer", () =>
      this.nextControl(from, fromInc, to, key),
    );
  }

  /**
   * Whether a delivery reaches the process it was addressed to (the same incarnation, up). The callers
   * then run it at once, or hold it while the process is paused; each builds the held closure only when
   * paused, as a closure per delivered event showed in profiles.
   */
  private receives(b: SimBroker, incarnation: number): boolean {
    return b.incarnation === incarnation && b.lifecycle === "up" && b.node !== null;
  }

  /** Runs `fn` on a broker that receives, or holds it while the broker is paused. */
  private run(b: SimBroker, fn: () => void): void {
    if (b.paused) b.deferred.push(fn);
    else fn();
  }

  private deliverTimer(b: SimBroker, inc: number, key: string): void {
    if (!this.receives(b, inc)) return;
    if (b.paused) b.deferred.push(() => this.apply(b, b.node!.onTimer(key, this.now)));
    else this.apply(b, b.node!.onTimer(key, this.now));
  }

  private scheduleMessage(delay: number, fn: () => void): void {
    this.messagesInFlight += 1;
    this.queue.schedule(this.now + delay, "message", fn);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Clients                                                                                         */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * Sends a client request. Returns false when the broker's process is not there (connection refused);
   * otherwise `onReply` is called with the response, or null when the connection closed first.
   */
  sendClient(
    broker: BrokerId,
    request: ClientRequest,
    onReply: (response: ClientResponse | null) => void,
  ): number | null {
    const b = this.brokers.get(broker);
    if (b === undefined || b.lifecycle !== "up") return null;
    const requestId = this.nextClientRequestId++;
    this.pendingClients.set(requestId, { broker, onReply });
    const inc = b.incarnation;
    this.scheduleMessage(this.network.delay(), () => {
      if (this.trace !== null) this.log(`client->${broker} ${request.api}`);
      if (!this.receives(b, inc)) return;
      if (b.paused) b.deferred.push(() => this.apply(b, b.node!.handleClient(requestId, request, this.now)));
      else this.apply(b, b.node!.handleClient(requestId, request, this.now));
    });
    return requestId;
  }

  /** The client gives up on a request (its timeout): a late response is ignored. */
  abandon(requestId: number): void {
    this.pendingClients.delete(requestId);
  }

  isPending(requestId: number): boolean {
    return this.pendingClients.has(requestId);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Running                                                                                         */
  /* ---------------------------------------------------------------------------------------------- */

  private step(): void {
    const e = this.queue.pop()!;
    if (e.at > this.now) {
      this.now = e.at;
      this.tree.tick(this.now);
      this.drainTree();
    }
    if (e.kind === "message") this.messagesInFlight -= 1;
    e.run();
  }

  /** Whether anything can happen without time being advanced on purpose. */
  private busy(): boolean {
    if (this.messagesInFlight > 0) return this.queue.size > 0;
    const next = this.queue.peek();
    return next !== undefined && next.at <= this.now;
  }

  /** Runs until `done()` holds or nothing more can happen without time passing. */
  runUntil(done: () => boolean): boolean {
    let n = 0;
    while (!done()) {
      if (!this.busy()) return false;
      if (++n > this.maxEventsPerRun)
        throw new Error(
          `simulation did not settle within ${this.maxEventsPerRun} events (seed ${this.options.seed})`,
        );
      this.step();
    }
    return true;
  }

  /** Runs every message in flight and every due timer: only timers beyond now remain. */
  settle(): void {
    this.runUntil(() => false);
  }

  /** Lets `ms` of virtual time pass: every timer due by then fires. */
  advance(ms: number): void {
    const target = this.now + ms;
    let n = 0;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > target) break;
      if (++n > this.maxEventsPerRun)
        throw new Error(
          `advanceTime did not finish within ${this.maxEventsPerRun} events (seed ${this.options.seed})`,
        );
      this.step();
    }
    if (target > this.now) {
      this.now = target;
      this.tree.tick(this.now);
      this.drainTree();
    }
    this.settle();
  }

  private log(line: string): void {
    if (this.trace !== null) this.trace.push(`${this.now} ${line}`);
  }
}

/** A UUID-shaped id drawn from the seeded PRNG, so generated member ids replay with the seed. */
function uuidFrom(prng: Prng): string {
  const hex = [0, 1, 2, 3].map(() => prng.nextU32().toString(16).padStart(8, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
