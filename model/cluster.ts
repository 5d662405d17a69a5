/**
 * The whole cluster as the reference model: broker, controller, replication and group machines composed,
 * stepped as pure transitions by this thin imperative shell.
 *
 * As a Target it computes outcomes (choices Kafka leaves open come from a PRNG seeded by ClusterSetup, and
 * are recorded). As an OutcomeChecker (a fresh instance per run) it judges outcomes a target reported; see
 * checker.ts.
 *
 * Network: clients reach every live broker. `isolate` cuts brokers of one side from the other; the
 * metadata store stays with side 0, so side 1 loses its sessions after zookeeper.session.timeout.ms.
 */
import { type AnyStateMachine, type EventFromLogic, initialTransition, type SnapshotFrom } from "xstate";
import type {
  BrokerState,
  Capabilities,
  ClusterSetup,
  GroupState,
  Observation,
  OutcomeChecker,
  Target,
  Verdict,
} from "../spec/adapter.ts";
import type { KafkaErrorName } from "../spec/errors.ts";
import type {
  BrokerId,
  ClientOp,
  Fault,
  FaultKind,
  FetchedRecord,
  Operation,
  Outcome,
  TopicConfig,
} from "../spec/operations.ts";
import { brokerMachine } from "./broker.machine.ts";
import { CheckerState } from "./checker.ts";
import { type ControllerContext, controllerMachine, type PartitionState } from "./controller.machine.ts";
import type { CoverageRecorder } from "./coverage.ts";
import { type GroupInput, groupMachine, tpKey } from "./group.machine.ts";
import { choosePartition, newPartitionerState, type PartitionerState } from "./partitioners.ts";
import { Prng } from "./prng.ts";
import { type AppendResult, type ReplicationEvent, replicationMachine } from "./replication.machine.ts";
import { MODEL_DEFAULTS, type ModelSettings, readSettings } from "./settings.ts";
import { step as pureStep } from "./step.ts";

type BrokerSnap = SnapshotFrom<typeof brokerMachine>;
type ControllerSnap = SnapshotFrom<typeof controllerMachine>;
type ReplicationSnap = SnapshotFrom<typeof replicationMachine>;
type GroupSnap = SnapshotFrom<typeof groupMachine>;

export const ALL_FAULTS: readonly FaultKind[] = [
  "crash",
  "restart",
  "pause",
  "resume",
  "isolate",
  "heal",
  "expireSession",
  "addBroker",
  "advanceTime",
];

/** A choice the model made where Kafka may choose. */
export interface Choice {
  time: number;
  what: string;
  chosen: unknown;
  options: unknown[];
}

interface Session {
  /** Last time the broker heart-beat the metadata store. */
  lastContactMs: number;
}

interface PendingRequest {
  resolve: (o: Outcome) => void;
  kind: "produce" | "group";
  partition?: number;
  acks?: number;
}

const pk = (topic: string, partition: number) => `${topic}\u0000${partition}`;

export class ClusterModel implements Target, OutcomeChecker {
  readonly name = "model";
  readonly capabilities: Capabilities = { faults: ALL_FAULTS, observe: true, virtualTime: true };

  private settings: ModelSettings = { ...MODEL_DEFAULTS } as ModelSettings;
  private prng = new Prng(1);
  private now = 0;
  private zxid = 0;
  private brokers = new Map<BrokerId, BrokerSnap>();
  private controller: ControllerSnap = this.init("controller", controllerMachine, undefined);
  private partitions = new Map<string, ReplicationSnap>();
  private groups = new Map<string, GroupSnap>();
  private sessions = new Map<BrokerId, Session>();
  /** Cut broker pairs ("a,b" with a < b) and brokers cut from the metadata store. */
  private cuts = new Set<string>();
  private storeCut = new Set<BrokerId>();
  /** Controller epoch a broker held when it was paused: on resume it tries to act on it (and is fenced). */
  private pausedControllerEpoch = new Map<BrokerId, number>();
  /** Partition states a broker led when it was paused (its cached view of them). */
  private pausedLeadership = new Map<
    BrokerId,
    Array<{ topic: string; partition: number; state: PartitionState }>
  >();
  private pending = new Map<number, PendingRequest>();
  /** Partitions whose state changed since they last came to rest: only these need replicating. */
  private dirty = new Set<string>();
  private nextRequestId = 1;
  private partitionerState: PartitionerState = newPartitionerState();
  private generatedGroups = 0;
  private unloaded = new Map<string, { generation: number; offsets: Record<string, number> }>();
  private checkerState: CheckerState | null = null;
  readonly choices: Choice[] = [];
  /** Fencing events (stale controller writes refused), for tests and reports. */
  readonly fenced: string[] = [];
  coverage: CoverageRecorder | null = null;

  constructor(options: { coverage?: CoverageRecorder } = {}) {
    this.coverage = options.coverage ?? null;
    if (this.coverage) this.coverage.initial("controller", this.controller.value);
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Stepping                                                                                    */
  /* ------------------------------------------------------------------------------------------ */

  // biome-ignore lint/suspicious/noExplicitAny: generic over the four machines
  private init<M extends AnyStateMachine>(name: string, machine: M, input: any): SnapshotFrom<M> {
    const [s] = initialTransition(machine, input);
    this.coverage?.initial(name, (s as { value: unknown }).value);
    return s as SnapshotFrom<M>;
  }

  private step<M extends AnyStateMachine>(
    name: string,
    machine: M,
    snap: SnapshotFrom<M>,
    event: EventFromLogic<M>,
  ): SnapshotFrom<M> {
    this.coverage?.record(name, machine, snap, event);
    return pureStep(machine, snap, event);
  }

  private choose<T>(what: string, options: T[]): T {
    const chosen = options[this.prng.int(options.length)];
    if (options.length > 1) this.choices.push({ time: this.now, what, chosen, options });
    return chosen;
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Target                                                                                      */
  /* ------------------------------------------------------------------------------------------ */

  async start(setup: ClusterSetup): Promise<void> {
    this.settings = readSettings(setup.config);
    this.prng = new Prng(setup.seed);
    for (let b = 1; b <= setup.brokers; b++) this.addBroker(b);
    this.reconcile();
  }

  async stop(): Promise<void> {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.resolve({ status: "unknown", error: "REQUEST_TIMED_OUT", message: "the model stopped" });
    }
  }

  async settle(): Promise<void> {
    this.reconcile();
    await Promise.resolve();
  }

  async observe(): Promise<Observation> {
    return this.observation();
  }

  execute(op: ClientOp): Promise<Outcome> {
    switch (op.kind) {
      case "createTopic":
        return Promise.resolve(this.createTopic(op.topic, op.partitions, op.replicationFactor, op.config));
      case "addPartitions":
        return Promise.resolve(this.addPartitions(op.topic, op.totalCount));
      case "produce":
        return this.produce(op);
      case "fetch":
        return Promise.resolve(this.fetch(op));
      case "listOffsets":
        return Promise.resolve(this.listOffsets(op));
      case "joinGroup":
      case "syncGroup":
      case "heartbeat":
      case "leaveGroup":
      case "commitOffsets":
        return this.groupRequest(op);
      case "fetchOffsets":
        return Promise.resolve(this.fetchOffsets(op));
    }
  }

  async inject(fault: Fault): Promise<Outcome> {
    this.markAllDirty();
    switch (fault.kind) {
      case "crash":
        if (!this.brokers.has(fault.broker)) return { status: "failed", error: "BROKER_NOT_AVAILABLE" };
        this.crash(fault.broker);
        break;
      case "restart":
        if (!this.brokers.has(fault.broker)) return { status: "failed", error: "BROKER_NOT_AVAILABLE" };
        // A crashed broker restarts; one stopped by a controlled shutdown starts again.
        if (this.brokerState(fault.broker) === "offline") this.stepBroker(fault.broker, { type: "START" });
        else this.stepBroker(fault.broker, { type: "RESTART" });
        break;
      case "pause":
        if (!this.brokers.has(fault.broker)) return { status: "failed", error: "BROKER_NOT_AVAILABLE" };
        if (this.controllerCtx().controller === fault.broker)
          this.pausedControllerEpoch.set(fault.broker, this.controllerCtx().epoch);
        this.pausedLeadership.set(fault.broker, this.leadershipOf(fault.broker));
        this.stepBroker(fault.broker, { type: "PAUSE" });
        break;
      case "resume":
        if (!this.brokers.has(fault.broker)) return { status: "failed", error: "BROKER_NOT_AVAILABLE" };
        this.stepBroker(fault.broker, { type: "RESUME" });
        this.staleControllerAttempt(fault.broker);
        this.staleLeaderAttempt(fault.broker);
        break;
      case "isolate":
        for (const a of fault.sides[0])
          for (const b of fault.sides[1]) if (a !== b) this.cuts.add(pairKey(a, b));
        for (const b of fault.sides[1]) if (!fault.sides[0].includes(b)) this.storeCut.add(b);
        break;
      case "heal":
        this.cuts.clear();
        this.storeCut.clear();
        break;
      case "expireSession":
        if (this.sessions.has(fault.broker)) this.expireSession(fault.broker);
        break;
      case "addBroker":
        if (this.brokers.has(fault.broker)) return { status: "failed", error: "INVALID_REQUEST" };
        this.addBroker(fault.broker);
        break;
      case "advanceTime":
        this.advance(fault.ms);
        break;
    }
    this.reconcile();
    return { status: "ok", value: {} };
  }

  /**
   * Kafka's controlled shutdown (not a fault: the harness asks for it). The broker leaves the metadata
   * store first, so the controller moves its leaderships while it still runs; the process exits at the
   * next passing of time (a crash in between finds it shuttingDown).
   */
  shutdown(broker: BrokerId) {
    const s = this.brokers.get(broker);
    if (s === undefined || s.value !== "running") return;
    this.stepBroker(broker, { type: "SHUTDOWN" });
    if (this.sessions.has(broker)) this.expireSession(broker);
    this.reconcile();
  }

  private finishShutdowns() {
    for (const [id, s] of this.brokers) {
      if (s.value !== "shuttingDown") continue;
      for (const [key, snap] of this.partitions)
        if (snap.context.replicaStates[id] !== undefined)
          this.stepPartition(key, { type: "REPLICA_CRASH", broker: id, clean: true });
      this.stepBroker(id, { type: "SHUTDOWN_COMPLETE" });
    }
  }

  /** Start a broker that is offline (after a controlled shutdown). */
  startBroker(broker: BrokerId) {
    const s = this.brokers.get(broker);
    if (s === undefined || s.value !== "offline") return;
    this.stepBroker(broker, { type: "START" });
    this.reconcile();
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Brokers, sessions and the controller                                                        */
  /* ------------------------------------------------------------------------------------------ */

  private addBroker(id: BrokerId) {
    let s = this.init("broker", brokerMachine, { id });
    s = this.step("broker", brokerMachine, s, { type: "START" });
    this.brokers.set(id, s);
  }

  private stepBroker(id: BrokerId, event: Parameters<typeof brokerMachine.transition>[1]) {
    const s = this.brokers.get(id);
    if (s === undefined) return;
    this.brokers.set(id, this.step("broker", brokerMachine, s, event));
    // Who can fetch from whom may have changed.
    this.markAllDirty();
  }

  private markAllDirty() {
    for (const key of this.partitions.keys()) this.dirty.add(key);
  }

  private stepController(event: Parameters<typeof controllerMachine.transition>[1]) {
    this.controller = this.step("controller", controllerMachine, this.controller, event);
    this.applyControllerChanges();
    return this.controller.context.reply;
  }

  private controllerCtx(): ControllerContext {
    return this.controller.context;
  }

  private brokerState(id: BrokerId): BrokerState | undefined {
    return this.brokers.get(id)?.value as BrokerState | undefined;
  }

  /** Running and not paused: serves requests, fetches, heart-beats. */
  private responsive(id: BrokerId): boolean {
    const s = this.brokers.get(id);
    return s !== undefined && s.value === "running" && !s.context.paused;
  }

  private reachesStore(id: BrokerId): boolean {
    return this.responsive(id) && !this.storeCut.has(id);
  }

  private connected(a: BrokerId, b: BrokerId): boolean {
    return a === b || !this.cuts.has(pairKey(a, b));
  }

  private crash(id: BrokerId) {
    this.stepBroker(id, { type: "CRASH" });
    for (const [key, snap] of this.partitions)
      if (snap.context.replicaStates[id] !== undefined)
        this.stepPartition(key, { type: "REPLICA_CRASH", broker: id });
  }

  private expireSession(id: BrokerId) {
    this.sessions.delete(id);
    this.stepBroker(id, { type: "SESSION_EXPIRED" });
    const wasController = this.controllerCtx().controller === id;
    this.stepController({ type: "BROKER_DEREGISTERED", broker: id, choice: this.prng.int(1 << 30) });
    if (wasController) this.stepController({ type: "CONTROLLER_GONE" });
  }

  private advance(ms: number) {
    const before = this.now;
    this.now += Math.max(0, ms);
    this.finishShutdowns();
    // Followers that can fetch keep up while time passes; only then do lag and timeouts count.
    for (const key of this.partitions.keys())
      this.stepPartition(key, { type: "TICK", now: this.now, canWriteIsr: false });
    this.replicate();
    for (const [id, session] of this.sessions) {
      if (this.reachesStore(id)) session.lastContactMs = this.now;
      else if (this.now - session.lastContactMs >= this.settings["zookeeper.session.timeout.ms"])
        this.expireSession(id);
    }
    for (const [key, snap] of this.partitions) {
      const leader = snap.context.leader;
      this.stepPartition(key, {
        type: "TICK",
        now: this.now,
        canWriteIsr: leader !== null && this.reachesStore(leader),
      });
    }
    for (const id of [...this.groups.keys()]) this.stepGroup(id, { type: "TICK", now: this.now });
    const interval = this.settings["leader.imbalance.check.interval.seconds"] * 1000;
    if (
      this.settings["auto.leader.rebalance.enable"] &&
      interval > 0 &&
      Math.floor(before / interval) < Math.floor(this.now / interval)
    )
      this.preferredLeaderElection();
  }

  /**
   * auto.leader.rebalance.enable: the controller moves leadership back to each partition's preferred
   * replica (the first in its assignment) when that replica is live and in the ISR. (Kafka applies a
   * per-broker imbalance threshold first; the model rebalances every imbalanced partition.)
   */
  private preferredLeaderElection() {
    const ctx = this.controllerCtx();
    if (ctx.controller === null) return;
    for (const [topic, ts] of Object.entries(ctx.topics))
      ts.partitions.forEach((ps, partition) => {
        const preferred = ps.replicas[0];
        if (ps.leader === preferred || ctx.live[preferred] === undefined || !ps.isr.includes(preferred))
          return;
        this.stepController({
          type: "CONTROLLER_WRITE",
          epoch: ctx.epoch,
          topic,
          partition,
          leader: preferred,
          isr: ps.isr,
        });
      });
  }

  /** Bring sessions, registrations, the controller and replication to rest (no time passes). */
  private reconcile() {
    for (let round = 0; round < 8; round++) {
      let changed = false;
      for (const [id, s] of this.brokers) {
        const registered = this.sessions.has(id);
        if (this.reachesStore(id)) {
          const session = this.sessions.get(id);
          if (session) session.lastContactMs = this.now;
        }
        const canRegister =
          !registered &&
          !this.storeCut.has(id) &&
          !s.context.paused &&
          (s.value === "starting" || s.value === "restarting" || s.value === "running");
        if (canRegister) {
          const restarted = s.value === "restarting" || s.value === "starting";
          const brokerEpoch = ++this.zxid;
          this.sessions.set(id, { lastContactMs: this.now });
          this.stepBroker(id, { type: "REGISTERED", brokerEpoch });
          if (restarted)
            for (const [key, snap] of this.partitions)
              if (snap.context.replicaStates[id] !== undefined)
                this.stepPartition(key, { type: "REPLICA_RESTART", broker: id });
          this.stepController({
            type: "BROKER_REGISTERED",
            broker: id,
            brokerEpoch,
            choice: this.prng.int(1 << 30),
          });
          changed = true;
        }
      }
      const ctx = this.controllerCtx();
      if (ctx.controller === null) {
        const eligible = [...this.sessions.keys()].filter((b) => this.reachesStore(b)).sort((a, b) => a - b);
        if (eligible.length > 0) {
          const winner = this.choose("controller election", eligible);
          this.stepController({ type: "CONTROLLER_ELECTED", broker: winner, choice: this.prng.int(1 << 30) });
          changed = true;
        }
      }
      if (this.replicate()) changed = true;
      if (!changed) break;
    }
  }

  /** Send LeaderAndIsr for what the controller's last step changed; record elections as choices. */
  private applyControllerChanges() {
    const ctx = this.controllerCtx();
    for (const e of ctx.elections)
      if (e.candidates.length > 1)
        this.choices.push({
          time: this.now,
          what: `leader of ${e.topic}-${e.partition}${e.unclean ? " (unclean)" : ""}`,
          chosen: e.leader,
          options: e.candidates,
        });
    for (const { topic, partition } of ctx.changed) {
      const ts = ctx.topics[topic];
      const ps = ts.partitions[partition];
      const key = pk(topic, partition);
      if (!this.partitions.has(key)) {
        this.partitions.set(
          key,
          this.init("replication", replicationMachine, {
            topic,
            partition,
            replicas: ps.replicas,
            // Kafka 3.7+ caps min.insync.replicas at the replica count (KAFKA-15583).
            minIsr: Math.min(ts.config.minInsyncReplicas, ps.replicas.length),
            lagMaxMs: this.settings["replica.lag.time.max.ms"],
            requestTimeoutMs: this.settings["request.timeout.ms"],
            flushIntervalMessages: this.settings["log.flush.interval.messages"],
            now: this.now,
          }),
        );
        // A replica on a broker that is down starts offline.
        for (const b of ps.replicas)
          if (this.brokerState(b) !== "running")
            this.stepPartition(key, { type: "REPLICA_CRASH", broker: b });
      }
      this.stepPartition(key, {
        type: "LEADER_AND_ISR",
        leader: ps.leader,
        leaderEpoch: ps.leaderEpoch,
        isr: ps.isr,
        replicas: ps.replicas,
        controllerEpoch: ctx.epoch,
      });
    }
  }

  /** A paused controller that lost its seat acts on its old epoch when resumed: the store fences it. */
  private staleControllerAttempt(broker: BrokerId) {
    const oldEpoch = this.pausedControllerEpoch.get(broker);
    this.pausedControllerEpoch.delete(broker);
    const ctx = this.controllerCtx();
    // Still the controller: nothing stale to act on. Otherwise it acts on its old epoch before it learns it
    // lost the seat; the store refuses it.
    if (oldEpoch === undefined || ctx.controller === broker) return;
    const first = Object.entries(ctx.topics)[0];
    if (first === undefined) return;
    const [topic, ts] = first;
    const ps = ts.partitions[0];
    const reply = this.stepController({
      type: "CONTROLLER_WRITE",
      epoch: oldEpoch,
      topic,
      partition: 0,
      leader: ps.replicas.includes(broker) ? broker : ps.leader,
      isr: ps.isr,
    });
    // It also re-sends LeaderAndIsr for the partition under its old epoch: the replicas refuse it, having heard
    // from the newer controller. With no newer one, its write was refused and it sends nothing (Kafka's controller
    // sends LeaderAndIsr only after its write to the store succeeded).
    if (ctx.epoch > oldEpoch)
      this.stepPartition(pk(topic, 0), {
        type: "LEADER_AND_ISR",
        leader: ps.leader,
        leaderEpoch: ps.leaderEpoch + 1,
        isr: ps.isr,
        replicas: ps.replicas,
        controllerEpoch: oldEpoch,
      });
    if (reply !== null && !reply.ok)
      this.fenced.push(`controller ${broker} epoch ${oldEpoch}: ${reply.error}`);
  }

  private leadershipOf(broker: BrokerId) {
    const out: Array<{ topic: string; partition: number; state: PartitionState }> = [];
    for (const [topic, ts] of Object.entries(this.controllerCtx().topics))
      ts.partitions.forEach((state, partition) => {
        if (state.leader === broker) out.push({ topic, partition, state });
      });
    return out;
  }

  /**
   * A leader resumed after a long pause sees every follower lagging and shrinks its ISR with the
   * partition-state version it cached; if the partition moved on meanwhile the store refuses it
   * (Kafka logs "Cached zkVersion ... not equal to that in zookeeper, skip updating ISR").
   */
  private staleLeaderAttempt(broker: BrokerId) {
    const led = this.pausedLeadership.get(broker) ?? [];
    this.pausedLeadership.delete(broker);
    for (const { topic, partition, state } of led) {
      const now = this.partitionState(topic, partition);
      if (now === undefined || now.version === state.version) continue;
      const reply = this.stepController({
        type: "ISR_UPDATE",
        topic,
        partition,
        leaderEpoch: state.leaderEpoch,
        version: state.version,
        isr: [broker],
      });
      if (reply !== null && !reply.ok)
        this.fenced.push(`leader ${broker} of ${topic}-${partition}: ${reply.error}`);
    }
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Replication                                                                                 */
  /* ------------------------------------------------------------------------------------------ */

  private stepPartition(key: string, event: ReplicationEvent) {
    const snap = this.partitions.get(key);
    if (snap === undefined) return;
    const next = this.step("replication", replicationMachine, snap, event);
    this.partitions.set(key, next);
    if (next.context !== snap.context) this.dirty.add(key);
    const ctx = next.context;
    for (const { id, result } of ctx.outbox) this.completeProduce(id, result);
    if (ctx.isrChanged && ctx.leader !== null) {
      const ps = this.controllerCtx().topics[ctx.topic]?.partitions[ctx.partition];
      if (ps !== undefined)
        this.stepController({
          type: "ISR_UPDATE",
          topic: ctx.topic,
          partition: ctx.partition,
          leaderEpoch: ctx.leaderEpoch,
          version: ps.version,
          isr: ctx.isr,
        });
    }
  }

  /** Followers fetch from their leaders until nothing changes. Returns whether anything did. */
  private replicate(): boolean {
    let any = false;
    const keys = [...this.dirty];
    this.dirty.clear();
    for (const key of keys) {
      const start = this.partitions.get(key)!;
      for (let round = 0; round < 4; round++) {
        const before = this.partitions.get(key)!;
        const ctx = before.context;
        const leader = ctx.leader;
        if (leader === null || !this.responsive(leader)) break;
        for (const f of ctx.replicas)
          if (f !== leader && this.responsive(f) && this.connected(f, leader))
            this.stepPartition(key, {
              type: "REPLICA_FETCH",
              follower: f,
              canWriteIsr: this.reachesStore(leader),
            });
        if (this.partitions.get(key)!.context === before.context) break;
      }
      if (this.partitions.get(key)!.context !== start.context) any = true;
    }
    // Fetches only change the partitions they fetch for; anything they dirtied again is at rest now.
    for (const key of keys) this.dirty.delete(key);
    return any;
  }

  private completeProduce(id: number, result: AppendResult) {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    if (p.acks === 0) {
      p.resolve({ status: "unknown", partition: p.partition });
      return;
    }
    if (result.ok) p.resolve({ status: "ok", value: { partition: p.partition!, offset: result.offset } });
    else if (result.maybeApplied)
      p.resolve({ status: "unknown", error: result.error, partition: p.partition });
    else p.resolve({ status: "failed", error: result.error });
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Client operations                                                                           */
  /* ------------------------------------------------------------------------------------------ */

  private anyResponsive(): boolean {
    for (const id of this.brokers.keys()) if (this.responsive(id)) return true;
    return false;
  }

  private topicConfig(config: Partial<TopicConfig>): TopicConfig {
    return {
      minInsyncReplicas: config.minInsyncReplicas ?? this.settings["min.insync.replicas"],
      uncleanLeaderElection: config.uncleanLeaderElection ?? this.settings["unclean.leader.election.enable"],
    };
  }

  private createTopic(topic: string, partitions: number, rf: number, config: Partial<TopicConfig>): Outcome {
    if (!this.anyResponsive()) return { status: "failed", error: "REQUEST_TIMED_OUT" };
    const n = Math.max(1, Object.keys(this.controllerCtx().live).length);
    const startIndex = this.prng.int(n);
    const shift = this.prng.int(n);
    const reply = this.stepController({
      type: "CREATE_TOPIC",
      topic,
      partitions,
      replicationFactor: rf,
      config: this.topicConfig(config),
      startIndex,
      shift,
    });
    this.reconcile();
    if (reply?.ok) {
      this.choices.push({
        time: this.now,
        what: `placement of ${topic}`,
        chosen: { startIndex, shift },
        options: [],
      });
      return { status: "ok", value: { partitions } };
    }
    return { status: "failed", error: reply?.ok === false ? reply.error : "UNKNOWN_SERVER_ERROR" };
  }

  private addPartitions(topic: string, totalCount: number): Outcome {
    if (!this.anyResponsive()) return { status: "failed", error: "REQUEST_TIMED_OUT" };
    const reply = this.stepController({ type: "ADD_PARTITIONS", topic, totalCount });
    this.reconcile();
    if (reply?.ok) return { status: "ok", value: { partitions: totalCount } };
    return { status: "failed", error: reply?.ok === false ? reply.error : "UNKNOWN_SERVER_ERROR" };
  }

  private partitionState(topic: string, partition: number): PartitionState | undefined {
    return this.controllerCtx().topics[topic]?.partitions[partition];
  }

  /** Where a client request for this partition goes: its leader, if one is reachable. */
  private route(topic: string, partition: number): { leader: BrokerId } | { outcome: Outcome } {
    const ps = this.partitionState(topic, partition);
    if (ps === undefined) return { outcome: { status: "failed", error: "UNKNOWN_TOPIC_OR_PARTITION" } };
    if (ps.leader === null) return { outcome: { status: "failed", error: "LEADER_NOT_AVAILABLE" } };
    const state = this.brokerState(ps.leader);
    // A dead leader refuses connections: the request never arrives.
    if (state !== "running") return { outcome: { status: "failed", error: "NETWORK_EXCEPTION" } };
    // A paused leader takes the request and never answers: the client cannot know.
    if (!this.responsive(ps.leader)) return { outcome: { status: "unknown", error: "REQUEST_TIMED_OUT" } };
    return { leader: ps.leader };
  }

  private produce(op: Extract<ClientOp, { kind: "produce" }>): Promise<Outcome> {
    let ts = this.controllerCtx().topics[op.topic];
    if (ts === undefined && this.settings["auto.create.topics.enable"] && this.anyResponsive()) {
      const live = Object.keys(this.controllerCtx().live).length;
      this.createTopic(
        op.topic,
        this.settings["num.partitions"],
        Math.min(this.settings["default.replication.factor"], live),
        {},
      );
      ts = this.controllerCtx().topics[op.topic];
    }
    if (ts === undefined) return Promise.resolve({ status: "failed", error: "UNKNOWN_TOPIC_OR_PARTITION" });
    const count = ts.partitions.length;
    const available = ts.partitions
      .map((ps, p) => (ps.leader !== null && this.responsive(ps.leader) ? p : -1))
      .filter((p) => p >= 0);
    const choice = choosePartition(
      this.partitionerState,
      op.producer,
      op.topic,
      op.partitioner,
      op.key,
      count,
      available,
      (n) => this.prng.int(n),
    );
    if (choice.candidates)
      this.choices.push({
        time: this.now,
        what: `sticky partition for ${op.producer}`,
        chosen: choice.partition,
        options: choice.candidates,
      });
    const partition = choice.partition;
    if (partition < 0 || partition >= count)
      return Promise.resolve({ status: "failed", error: "UNKNOWN_TOPIC_OR_PARTITION" });
    const route = this.route(op.topic, partition);
    const leaderless = this.partitionState(op.topic, partition)?.leader === null;
    if ("outcome" in route && !leaderless) {
      const o = route.outcome;
      return Promise.resolve(o.status === "unknown" ? { ...o, partition } : o);
    }
    const id = this.nextRequestId++;
    const promise = new Promise<Outcome>((resolve) => {
      this.pending.set(id, { resolve, kind: "produce", partition, acks: op.acks });
    });
    const event: ReplicationEvent = { type: "APPEND", id, key: op.key, value: op.value, acks: op.acks };
    if (op.headers !== undefined) event.headers = op.headers;
    this.stepPartition(pk(op.topic, partition), event);
    this.reconcile();
    return promise;
  }

  private fetch(op: Extract<ClientOp, { kind: "fetch" }>): Outcome {
    const route = this.route(op.topic, op.partition);
    if ("outcome" in route) return route.outcome;
    const snap = this.partitions.get(pk(op.topic, op.partition))!;
    const leader = snap.context.replicaStates[route.leader];
    if (op.offset < 0 || op.offset > leader.log.length)
      return { status: "failed", error: "OFFSET_OUT_OF_RANGE" };
    const end = Math.min(leader.hw, op.offset + Math.max(0, op.maxRecords));
    const records: FetchedRecord[] = [];
    for (let o = op.offset; o < end; o++) {
      const e = leader.log.at(o);
      const r: FetchedRecord = { offset: e.offset, key: e.key, value: e.value };
      if (e.headers !== undefined) r.headers = e.headers;
      records.push(r);
    }
    return { status: "ok", value: { records, highWatermark: leader.hw, logStartOffset: 0 } };
  }

  private listOffsets(op: Extract<ClientOp, { kind: "listOffsets" }>): Outcome {
    const route = this.route(op.topic, op.partition);
    if ("outcome" in route) return route.outcome;
    const leader = this.partitions.get(pk(op.topic, op.partition))!.context.replicaStates[route.leader];
    return { status: "ok", value: { offset: op.at === "earliest" ? 0 : leader.hw } };
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Groups                                                                                      */
  /* ------------------------------------------------------------------------------------------ */

  private groupSnap(groupId: string): GroupSnap {
    let s = this.groups.get(groupId);
    if (s === undefined || s.status === "done") {
      const input: GroupInput = {
        groupId,
        now: this.now,
        offsetsRetentionMs: this.settings["offsets.retention.ms"],
      };
      // A group unloaded by its coordinator is loaded again from __consumer_offsets with its generation and
      // offsets; a group whose offsets expired starts afresh (as Kafka's does, from generation 0).
      const loaded = this.unloaded.get(groupId);
      if (loaded !== undefined) {
        input.generation = loaded.generation;
        input.offsets = loaded.offsets;
        this.unloaded.delete(groupId);
      }
      s = this.init("group", groupMachine, input);
      this.groups.set(groupId, s);
    }
    return s;
  }

  private stepGroup(groupId: string, event: Parameters<typeof groupMachine.transition>[1]) {
    const s = this.groups.get(groupId);
    if (s === undefined || s.status === "done") return;
    const next = this.step("group", groupMachine, s, event);
    this.groups.set(groupId, next);
    for (const { id, outcome } of next.context.outbox) {
      const p = this.pending.get(id);
      if (p === undefined) continue;
      this.pending.delete(id);
      p.resolve(outcome);
    }
  }

  /** The coordinator moves with __consumer_offsets' leadership and keeps the group's state; the model
   * abstracts it as one always-present coordinator, unavailable only when no broker answers. */
  private groupRequest(
    op: Extract<ClientOp, { kind: "joinGroup" | "syncGroup" | "heartbeat" | "leaveGroup" | "commitOffsets" }>,
  ) {
    if (!this.anyResponsive())
      return Promise.resolve<Outcome>({ status: "failed", error: "COORDINATOR_NOT_AVAILABLE" });
    const id = this.nextRequestId++;
    const promise = new Promise<Outcome>((resolve) => this.pending.set(id, { resolve, kind: "group" }));
    switch (op.kind) {
      case "joinGroup": {
        const groupId = op.groupId ?? `model-group-${++this.generatedGroups}`;
        this.groupSnap(groupId);
        this.stepGroup(groupId, {
          type: "JOIN",
          id,
          client: op.member,
          topics: op.topics,
          assignor: op.assignor,
          sessionTimeoutMs: op.sessionTimeoutMs,
          rebalanceTimeoutMs: op.rebalanceTimeoutMs,
        });
        break;
      }
      case "syncGroup":
      case "heartbeat":
      case "leaveGroup": {
        if (!this.groups.has(op.groupId) || this.groups.get(op.groupId)!.status === "done") {
          this.pending.delete(id);
          return Promise.resolve<Outcome>({ status: "failed", error: "UNKNOWN_MEMBER_ID" });
        }
        if (op.kind === "syncGroup") {
          const e: Parameters<typeof groupMachine.transition>[1] = {
            type: "SYNC",
            id,
            client: op.member,
            generation: op.generation,
          };
          if (op.assignments !== undefined) e.assignments = op.assignments;
          this.stepGroup(op.groupId, e);
        } else if (op.kind === "heartbeat")
          this.stepGroup(op.groupId, { type: "HEARTBEAT", id, client: op.member, generation: op.generation });
        else this.stepGroup(op.groupId, { type: "LEAVE", id, client: op.member });
        break;
      }
      case "commitOffsets":
        this.groupSnap(op.groupId);
        this.stepGroup(op.groupId, {
          type: "COMMIT",
          id,
          client: op.member,
          generation: op.generation,
          offsets: op.offsets,
        });
        break;
    }
    return promise;
  }

  private fetchOffsets(op: Extract<ClientOp, { kind: "fetchOffsets" }>): Outcome {
    if (!this.anyResponsive()) return { status: "failed", error: "COORDINATOR_NOT_AVAILABLE" };
    const g = this.groups.get(op.groupId);
    const offsets = op.partitions.map((tp) => ({
      topic: tp.topic,
      partition: tp.partition,
      offset: g?.context.offsets[tpKey(tp.topic, tp.partition)] ?? -1,
    }));
    return { status: "ok", value: { offsets } };
  }

  /** Hand the coordinator over (the group is unloaded, Dead; a later request starts it afresh). */
  unloadGroup(groupId: string) {
    const g = this.groups.get(groupId);
    if (g === undefined || g.status === "done") return;
    this.unloaded.set(groupId, { generation: g.context.generation, offsets: g.context.offsets });
    this.stepGroup(groupId, { type: "UNLOAD" });
  }

  /* ------------------------------------------------------------------------------------------ */
  /* Observation                                                                                 */
  /* ------------------------------------------------------------------------------------------ */

  observation(): Observation {
    const ctx = this.controllerCtx();
    const partitions: Observation["partitions"] = [];
    for (const [topic, ts] of Object.entries(ctx.topics)) {
      ts.partitions.forEach((ps, partition) => {
        const r = this.partitions.get(pk(topic, partition))?.context;
        const leaderState = r && ps.leader !== null ? r.replicaStates[ps.leader] : undefined;
        partitions.push({
          topic,
          partition,
          leader: ps.leader,
          leaderEpoch: ps.leaderEpoch,
          isr: [...ps.isr],
          replicas: [...ps.replicas],
          leaderIsr: r ? [...r.isr] : [],
          highWatermark: leaderState?.hw ?? 0,
          minInsyncReplicas: ts.config.minInsyncReplicas,
          uncleanLeaderElection: ts.config.uncleanLeaderElection,
          replicaStates: r
            ? ps.replicas
                .filter((b) => this.brokerState(b) === "running" && r.replicaStates[b] !== undefined)
                .map((b) => {
                  const rs = r.replicaStates[b];
                  return {
                    broker: b,
                    logStartOffset: 0,
                    logEndOffset: rs.log.length,
                    highWatermark: rs.hw,
                    epochCache: rs.epochCache.map(([e, s]) => [e, s] as [number, number]),
                    log: rs.log.map((e) => ({ offset: e.offset, epoch: e.epoch, value: e.value })),
                  };
                })
            : [],
        });
      });
    }
    const groups: Observation["groups"] = [];
    for (const [groupId, g] of this.groups) {
      const c = g.context;
      groups.push({
        groupId,
        state: g.value as GroupState,
        generation: c.generation,
        leader: c.leader,
        protocol: c.protocol,
        members: Object.values(c.members).map((m) => ({
          memberId: m.memberId,
          client: m.client,
          assignment: [...m.assignment],
        })),
        committed: Object.entries(c.offsets).map(([k, offset]) => {
          const [topic, p] = k.split("\u0000");
          return { topic, partition: Number(p), offset };
        }),
      });
    }
    return {
      time: this.now,
      controller: { broker: ctx.controller, epoch: ctx.epoch },
      brokers: [...this.brokers].map(([id, s]) => ({ id, state: s.value as BrokerState })),
      partitions,
      groups,
    };
  }

  /** Internal snapshots, for tests and tools that read the machines directly. */
  snapshots() {
    return {
      controller: this.controller,
      brokers: this.brokers,
      partitions: this.partitions,
      groups: this.groups,
    };
  }

  get time(): number {
    return this.now;
  }

  /* ------------------------------------------------------------------------------------------ */
  /* OutcomeChecker                                                                              */
  /* ------------------------------------------------------------------------------------------ */

  begin(setup: ClusterSetup): void {
    this.checkerState = new CheckerState(setup);
  }

  /** Optional: told when an operation is invoked, so in-flight writes count as possible (see checker.ts). */
  invoke(op: Operation): void {
    this.checker().invoke(op);
  }

  check(op: ClientOp | Fault, outcome: Outcome): Verdict {
    return this.checker().check(op, outcome);
  }

  adopt(observation: Observation): Verdict {
    return this.checker().adopt(observation);
  }

  private checker(): CheckerState {
    if (this.checkerState === null) throw new Error("ClusterModel: begin(setup) before check()");
    return this.checkerState;
  }
}

function pairKey(a: BrokerId, b: BrokerId) {
  return a < b ? `${a},${b}` : `${b},${a}`;
}

export type { KafkaErrorName };
