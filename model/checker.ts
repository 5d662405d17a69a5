/**
 * The model in checking mode: what it knows about a target from the outcomes it was told, and whether a
 * new outcome is one the specification allows from there. It accepts every allowed outcome and rejects
 * only what the specification forbids, so its knowledge is deliberately abstract (a black-box target's
 * replica placement, exact timing and in-flight operations are unknown).
 *
 * Assumption, stated once: completions arrive in completion order; when the runner does not report
 * invocations (`invoke`), each client is taken to have at most one operation in flight (Jepsen's process).
 */
import type { ClusterSetup, Observation, Verdict } from "../spec/adapter.ts";
import type { KafkaErrorName } from "../spec/errors.ts";
import type { BrokerId, ClientOp, Fault, Operation, Outcome, TopicPartition } from "../spec/operations.ts";
import { isFault } from "../spec/operations.ts";
import { tpKey } from "./group.machine.ts";
import { allowedPartitions } from "./partitioners.ts";
import { type ModelSettings, readSettings } from "./settings.ts";

/**
 * Errors a broker returns before appending: a produce that failed with one of these was not written.
 * Every other failure (NOT_LEADER_OR_FOLLOWER from a delayed produce, timeouts, network errors, an adapter's
 * imprecise mapping) may hide an append, so it counts as a possible write.
 */
const NOT_APPENDED: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "NOT_ENOUGH_REPLICAS",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "LEADER_NOT_AVAILABLE",
  "INVALID_REQUIRED_ACKS",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "CORRUPT_MESSAGE",
  "INVALID_RECORD",
  "INVALID_TOPIC_EXCEPTION",
  "TOPIC_AUTHORIZATION_FAILED",
  "UNSUPPORTED_VERSION",
]);

/**
 * SyncGroup errors a coordinator returns before it writes the group (GroupCoordinator.doSyncGroup's checks).
 * Any other failure of a leader's sync may hide a stored assignment: storeGroup maps a failed append to
 * NOT_COORDINATOR (NOT_LEADER_OR_FOLLOWER), COORDINATOR_NOT_AVAILABLE (NOT_ENOUGH_REPLICAS_AFTER_APPEND) or
 * REBALANCE_IN_PROGRESS (REQUEST_TIMED_OUT), and such an append may still survive on the new leader.
 */
const SYNC_NOT_STORED: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "ILLEGAL_GENERATION",
  "UNKNOWN_MEMBER_ID",
  "INCONSISTENT_GROUP_PROTOCOL",
  "FENCED_INSTANCE_ID",
  "COORDINATOR_LOAD_IN_PROGRESS",
  "GROUP_AUTHORIZATION_FAILED",
  "INVALID_GROUP_ID",
]);

interface TopicKnowledge {
  /** "maybe": a createTopic whose outcome was unknown. */
  exists: "yes" | "maybe";
  /** Every partition count the topic may have had (producers' metadata may lag). */
  counts: number[];
  replicationFactor: number;
  minIsr: number;
  unclean: boolean;
  /** Produces that may have been applied (ok, unknown, or failed with a maybe-applied error). */
  possibleWrites: number;
}

interface PartitionKnowledge {
  /**
   * Offsets acknowledged under acks=all with min.insync.replicas >= 2 and clean election, with the
   * completion sequence of the acknowledgement: they never change while fewer than min.insync.replicas
   * replicas have crashed since (one replica that had the record then never failed).
   */
  committed: Map<number, { value: string; ackSeq: number; minIsr: number }>;
  replicas: BrokerId[] | null;
  leader: BrokerId | null;
  leaderEpoch: number;
}

interface MemberKnowledge {
  memberId: string;
  lastSeenMs: number;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  left: boolean;
  /**
   * Completion sequence after which its join was invoked (a join sent before a fault may have been answered by
   * the coordinator that fault moved away from), and the generation it got.
   */
  joinSeq: number;
  generation: number;
  /** Whether a sync for that generation succeeded: the group was then written to __consumer_offsets. */
  synced: boolean;
}

interface GroupKnowledge {
  /** The latest generation handed out, and the one before it (members of one round share the latest). */
  roundGeneration: number;
  previousGeneration: number;
  members: Map<string, MemberKnowledge>;
  /** Per generation: the leader assignments that may be the stored one, and the assignments syncs returned. */
  syncs: Map<number, GenerationSyncs>;
  /** Offsets that may have been committed, per partition. */
  commits: Map<string, Set<number>>;
  /** The last time any outcome showed the group alive (a join, sync, heartbeat, commit or leave). */
  lastActivityMs: number;
  /** The group may have expired and been created again since the last join we saw. */
  mayRestart: boolean;
  /**
   * The highest generation a successful sync proves was stored in __consumer_offsets. A coordinator that moves
   * reloads the group from there: later generations, their members and assignments can be forgotten.
   */
  storedGeneration: number;
  /**
   * Completion sequence after which `storedGeneration` was written (0 while nothing is stored): a fault after it
   * may have moved the coordinator, which then reloads that state, whatever generations came after it.
   */
  storedSeq: number;
  /** Every proven store: the generation, and the completion sequence of the sync that proved it. */
  stores: Array<{ generation: number; seq: number }>;
  /**
   * Per client, every generation a join gave it and the member id it got then. Kept when `members` forgets a
   * later unstored join: a stored generation's record lists every member of that generation.
   */
  joins: Map<string, Map<number, string>>;
  /** Completion sequence at which the latest generation was first seen. */
  roundSeq: number;
}

interface GenerationSyncs {
  /**
   * Leader assignments that may be the one stored for the generation, in completion order. The first that a
   * coordinator stores is final: a leader's later sync to a Stable group only gets the stored assignment back
   * (GroupCoordinator.doSyncGroup, case Stable). `definite`: a successful sync with no earlier candidate.
   */
  candidates: Array<{ assignments: Record<string, TopicPartition[]>; definite: boolean }>;
  /** Assignments that successful syncs returned: one candidate must give every one of them. */
  seen: Array<{ client: string; memberId: string; assignment: TopicPartition[] }>;
}

/**
 * How much later than the checker's clock an operation may complete: the target's clock runs on between the
 * passings of time the runner injects (each request and reply takes its network delay; the simulator's
 * 1-3 ms per message add up to about half a second over a hundred operations, seed 23, embedded, --ops 100).
 * `adopt` brings the clock up to the target's own; this covers the step since the last observation.
 */
const STEP_SLACK_MS = 1000;

const reject = (reason: string): Verdict => ({ ok: false, reason });
const OK: Verdict = { ok: true };

const sameAssignment = (a: readonly TopicPartition[], b: readonly TopicPartition[]) => {
  const key = (l: readonly TopicPartition[]) =>
    l
      .map((tp) => tpKey(tp.topic, tp.partition))
      .sort()
      .join("|");
  return key(a) === key(b);
};

const fmtTps = (l: readonly TopicPartition[]) =>
  `[${l.map((tp) => `${tp.topic}-${tp.partition}`).join(",")}]`;

export class CheckerState {
  private readonly settings: ModelSettings;
  private time = 0;
  private readonly brokers = new Map<
    BrokerId,
    { crashed: boolean; crashedAtMs: number; crashedAtSeq: number }
  >();
  /** Paused brokers (SIGSTOP), with the completion sequence of the pause. */
  private readonly pausedAt = new Map<BrokerId, number>();
  /** Every crash, by completion sequence. */
  private readonly crashes: Array<{ broker: BrokerId; seq: number }> = [];
  /** Completions seen so far; the sequence number of the latest. */
  private seq = 0;
  /** Per client, the sequence of its latest completion: its next operation was invoked after that. */
  private readonly lastCompletion = new Map<string, { seq: number; ms: number }>();
  /** Per reported in-flight operation, the sequence at its invocation. */
  private readonly invokedAt = new Map<string, Array<{ seq: number; ms: number }>>();
  private readonly topics = new Map<string, TopicKnowledge>();
  private readonly partitions = new Map<string, PartitionKnowledge>();
  private readonly groups = new Map<string, GroupKnowledge>();
  private controllerEpoch = -1;
  private readonly inFlight = new Map<string, number>();
  /** One of the operations in flight under each key (equal to the rest: the key is its JSON). */
  private readonly inFlightOp = new Map<string, Operation>();
  private invocationsReported = false;
  /** For the operation being checked: the completion sequence after which it was invoked. */
  private invokedSince = 0;
  /**
   * For the operation being checked: the time at which it was invoked. The coordinator saw the member at some
   * moment between that and the completion (a join held through a passing of time completes inside it, and the
   * member's session runs from there), so "certainly still a member" and "may have expired" count from here.
   */
  private invokedAtMs = 0;
  /** How far the target's clock (from `adopt`) has run ahead of the passings of time injected. */
  private skewMs = 0;
  /** Completion sequence of the latest fault that could move a coordinator. */
  private disruptionSeq = 0;
  private brokerFaulted = false;
  /**
   * Brokers that may be zombie coordinators, with the completion sequence of the fault that made them so: a
   * broker cut off (isolate), stopped (pause) or whose session expired keeps leading its __consumer_offsets
   * partitions in its own view until a LeaderAndIsr or StopReplica reaches it, and answers group requests from
   * what it had then. When that reaches it cannot be seen from outside, so only a crash ends it (the process
   * and its in-memory groups are gone; a restarted broker loads groups only when the controller makes it leader).
   */
  private readonly zombieSince = new Map<BrokerId, number>();
  /** Zombie windows a crash ended: operations invoked before the crash may still have been answered in one. */
  private readonly zombieEnded: Array<{ since: number; crashSeq: number }> = [];
  private readonly producers = new Set<string>();
  /**
   * Each invoked operation's key, so its completion finds it without serialising it again (ops are values:
   * nothing changes one between invoke and check). Completions of ops never invoked serialise theirs.
   */
  private readonly invokedKeys = new WeakMap<Operation, string>();

  constructor(setup: ClusterSetup) {
    this.settings = readSettings(setup.config);
    for (let b = 1; b <= setup.brokers; b++)
      this.brokers.set(b, { crashed: false, crashedAtMs: 0, crashedAtSeq: 0 });
  }

  invoke(op: Operation): void {
    this.invocationsReported = true;
    const k = JSON.stringify(op);
    this.invokedKeys.set(op, k);
    this.inFlight.set(k, (this.inFlight.get(k) ?? 0) + 1);
    if (!this.inFlightOp.has(k)) this.inFlightOp.set(k, op);
    const at = this.invokedAt.get(k);
    if (at === undefined) this.invokedAt.set(k, [{ seq: this.seq, ms: this.clock() }]);
    else at.push({ seq: this.seq, ms: this.clock() });
  }

  /**
   * The latest time the target is known to have reached: the passings of time injected, plus how far its own
   * clock was seen ahead of them. A lower bound of the target's clock now.
   */
  private clock(): number {
    return this.time + this.skewMs;
  }

  /** Marks the operation complete; returns the sequence after which, and the time at which, it was invoked. */
  private completed(op: Operation): { seq: number; ms: number } | undefined {
    const k = this.invokedKeys.get(op) ?? JSON.stringify(op);
    const n = this.inFlight.get(k);
    const at = this.invokedAt.get(k);
    const since = at?.shift();
    if (at !== undefined && at.length === 0) this.invokedAt.delete(k);
    if (n !== undefined) {
      if (n <= 1) {
        this.inFlight.delete(k);
        this.inFlightOp.delete(k);
      } else this.inFlight.set(k, n - 1);
    }
    return since;
  }

  /** The client that issued an operation, when the vocabulary names one. */
  private static clientOf(op: ClientOp): string | undefined {
    if (op.kind === "produce") return `producer:${op.producer}`;
    if (op.kind === "fetch") return `consumer:${op.consumer}`;
    if ("member" in op) return `member:${op.member}`;
    return undefined;
  }

  /** Operations still in flight of one kind (reported through invoke). */
  private inFlightOps(): ClientOp[] {
    const out: ClientOp[] = [];
    for (const [k, n] of this.inFlight) {
      const op = this.inFlightOp.get(k)!;
      if (!isFault(op)) for (let i = 0; i < n; i++) out.push(op);
    }
    return out;
  }

  check(op: ClientOp | Fault, outcome: Outcome): Verdict {
    const reported = this.completed(op);
    this.seq++;
    if (isFault(op)) {
      this.fault(op, outcome);
      return OK;
    }
    const client = CheckerState.clientOf(op);
    // The operation was invoked after its client's previous completion (one operation in flight per client).
    const since = reported ?? (client === undefined ? undefined : this.lastCompletion.get(client));
    this.invokedSince = since?.seq ?? 0;
    this.invokedAtMs = since?.ms ?? 0;
    if (client !== undefined) this.lastCompletion.set(client, { seq: this.seq, ms: this.clock() });
    switch (op.kind) {
      case "createTopic":
        return this.createTopic(op, outcome);
      case "addPartitions":
        return this.addPartitions(op, outcome);
      case "produce":
        return this.produce(op, outcome);
      case "fetch":
        return this.fetch(op, outcome);
      case "listOffsets":
        return this.listOffsets(op, outcome);
      case "joinGroup":
        return this.joinGroup(op, outcome);
      case "syncGroup":
        return this.syncGroup(op, outcome);
      case "heartbeat":
        return this.heartbeat(op, outcome);
      case "leaveGroup":
        return this.leaveGroup(op, outcome);
      case "commitOffsets":
        return this.commitOffsets(op, outcome);
      case "fetchOffsets":
        return this.fetchOffsets(op, outcome);
    }
  }

  /* Faults ------------------------------------------------------------------------------------ */

  private fault(f: Fault, outcome: Outcome) {
    if (outcome.status !== "ok") return;
    // A fault may move a group coordinator (it follows __consumer_offsets' leadership): a broker fault at once;
    // time passing once any broker fault has happened (sessions expire later, preferred leaders move back).
    if (f.kind !== "advanceTime" && f.kind !== "heal") this.brokerFaulted = true;
    // isolate: the metadata store stays with side 0, so only side 1's brokers can miss the controller's word.
    const cutOff =
      f.kind === "isolate"
        ? f.sides[1].filter((b) => !f.sides[0].includes(b))
        : f.kind === "pause" || f.kind === "expireSession"
          ? [f.broker]
          : [];
    for (const b of cutOff)
      if (!this.zombieSince.has(b) && this.brokers.get(b)?.crashed !== true)
        this.zombieSince.set(b, this.seq);
    if (f.kind !== "advanceTime" || this.brokerFaulted) this.disruptionSeq = this.seq;
    switch (f.kind) {
      case "crash": {
        const b = this.brokers.get(f.broker);
        this.pausedAt.delete(f.broker);
        const since = this.zombieSince.get(f.broker);
        if (since !== undefined) {
          this.zombieEnded.push({ since, crashSeq: this.seq });
          this.zombieSince.delete(f.broker);
        }
        if (b !== undefined && !b.crashed) {
          this.brokers.set(f.broker, { crashed: true, crashedAtMs: this.time, crashedAtSeq: this.seq });
          this.crashes.push({ broker: f.broker, seq: this.seq });
        }
        break;
      }
      case "pause":
        // SIGSTOP of a process that is gone stops nothing: a crashed broker restarts running.
        if (!this.pausedAt.has(f.broker) && this.brokers.get(f.broker)?.crashed === false)
          this.pausedAt.set(f.broker, this.seq);
        break;
      case "resume":
        this.pausedAt.delete(f.broker);
        break;
      case "restart":
        this.pausedAt.delete(f.broker);
        if (this.brokers.has(f.broker))
          this.brokers.set(f.broker, { crashed: false, crashedAtMs: 0, crashedAtSeq: 0 });
        break;
      case "addBroker":
        this.brokers.set(f.broker, { crashed: false, crashedAtMs: 0, crashedAtSeq: 0 });
        break;
      case "advanceTime":
        this.time += Math.max(0, f.ms);
        break;
      default:
        break;
    }
  }

  /**
   * Brokers that may have been running at some point while the current operation was in flight: not crashed,
   * nor paused, since before it was invoked. One that stopped while it was in flight may have fetched the
   * record first. A crashed broker whose session lingers is in the ISR only until the leader shrinks it, and
   * an acks=all produce cannot complete while a member that lacks the record is still in it.
   */
  private aliveBrokers(): BrokerId[] {
    // A resume or restart still in flight may already have taken effect (its completion is reported later).
    const coming = new Set<BrokerId>();
    for (const op of this.inFlightOp.values()) {
      if (op.kind === "resume" || op.kind === "restart") coming.add(op.broker);
    }
    return [...this.brokers]
      .filter(([id, s]) => {
        if (coming.has(id)) return true;
        if (s.crashed && s.crashedAtSeq <= this.invokedSince) return false;
        const paused = this.pausedAt.get(id);
        return paused === undefined || paused > this.invokedSince;
      })
      .map(([id]) => id);
  }

  /** Whether a committed record's protection has lapsed: min.insync.replicas replicas crashed since. */
  private lapsed(rec: { ackSeq: number; minIsr: number }, replicas: BrokerId[] | null): boolean {
    const crashed = new Set<BrokerId>();
    for (const c of this.crashes)
      if (c.seq > rec.ackSeq && (replicas === null || replicas.includes(c.broker))) crashed.add(c.broker);
    return crashed.size >= rec.minIsr;
  }

  /** Brokers that may still be registered: alive ones, and crashed ones whose session may linger. */
  private maybeRegistered(): number {
    let n = 0;
    for (const s of this.brokers.values())
      if (!s.crashed || this.time - s.crashedAtMs < this.settings["zookeeper.session.timeout.ms"]) n++;
    return n;
  }

  /* Topics -------------------------------------------------------------------------------------- */

  private createTopic(op: Extract<ClientOp, { kind: "createTopic" }>, outcome: Outcome): Verdict {
    const known = this.topics.get(op.topic);
    if (outcome.status === "ok") {
      if (known?.exists === "yes")
        return reject(
          `createTopic ${op.topic} ok, but the topic already exists (expected TOPIC_ALREADY_EXISTS)`,
        );
      const registered = this.maybeRegistered();
      if (op.replicationFactor > registered)
        return reject(
          `createTopic ${op.topic} ok with replication factor ${op.replicationFactor} > ${registered} registered brokers (expected INVALID_REPLICATION_FACTOR)`,
        );
    }
    if (outcome.status === "failed" && outcome.error !== "TOPIC_ALREADY_EXISTS") return OK;
    if (outcome.status === "failed") return OK;
    if (known?.exists === "yes") return OK;
    this.topics.set(op.topic, {
      exists: outcome.status === "ok" ? "yes" : "maybe",
      counts: [...(known?.counts ?? []), op.partitions],
      replicationFactor: op.replicationFactor,
      minIsr: op.config.minInsyncReplicas ?? this.settings["min.insync.replicas"],
      unclean: op.config.uncleanLeaderElection ?? this.settings["unclean.leader.election.enable"],
      possibleWrites: known?.possibleWrites ?? 0,
    });
    return OK;
  }

  private addPartitions(op: Extract<ClientOp, { kind: "addPartitions" }>, outcome: Outcome): Verdict {
    const t = this.topics.get(op.topic);
    if (outcome.status === "failed") return OK;
    if (t === undefined) {
      if (outcome.status === "ok")
        return reject(`addPartitions ${op.topic} ok, but the topic was never created`);
      return OK;
    }
    if (outcome.status === "ok" && t.exists === "yes" && op.totalCount <= Math.min(...t.counts))
      return reject(
        `addPartitions ${op.topic} ok to ${op.totalCount}, but it already has ${Math.min(...t.counts)} (expected INVALID_PARTITIONS)`,
      );
    if (!t.counts.includes(op.totalCount)) t.counts.push(op.totalCount);
    return OK;
  }

  private topic(name: string): TopicKnowledge {
    let t = this.topics.get(name);
    if (t === undefined) {
      // Auto-created by a produce (auto.create.topics.enable): broker defaults.
      t = {
        exists: "maybe",
        counts: [this.settings["num.partitions"]],
        replicationFactor: this.settings["default.replication.factor"],
        minIsr: this.settings["min.insync.replicas"],
        unclean: this.settings["unclean.leader.election.enable"],
        possibleWrites: 0,
      };
      this.topics.set(name, t);
    }
    return t;
  }

  private partition(topic: string, p: number): PartitionKnowledge {
    const k = tpKey(topic, p);
    let pk = this.partitions.get(k);
    if (pk === undefined) {
      pk = { committed: new Map(), replicas: null, leader: null, leaderEpoch: -1 };
      this.partitions.set(k, pk);
    }
    return pk;
  }

  /** How many records a partition of `topic` can hold at most right now. */
  private writeBound(topic: string): number {
    const t = this.topics.get(topic);
    let inFlight = 0;
    for (const op of this.inFlightOps()) if (op.kind === "produce" && op.topic === topic) inFlight++;
    // Without reported invocations, each known producer (and one not yet seen) may have one in flight.
    const unreported = this.invocationsReported ? 0 : this.producers.size + 1;
    return (t?.possibleWrites ?? 0) + inFlight + unreported;
  }

  /* Produce and fetch ---------------------------------------------------------------------------- */

  private produce(op: Extract<ClientOp, { kind: "produce" }>, outcome: Outcome): Verdict {
    this.producers.add(op.producer);
    const t = this.topic(op.topic);
    if (outcome.status === "failed" && NOT_APPENDED.has(outcome.error)) return OK;
    t.possibleWrites++;
    if (outcome.status !== "ok") return OK;
    if (op.acks === 0) return reject("produce with acks=0 completed ok: nothing comes back for acks=0");
    const { partition, offset } = outcome.value as { partition: number; offset: number };
    const allowed = allowedPartitions(op.partitioner, op.key, t.counts);
    if (!allowed.has(partition))
      return reject(
        `produce ${op.value} landed in partition ${partition}, but the ${op.partitioner.kind} partitioner allows only ${[...allowed].join(",")} (partition counts ${t.counts.join(",")})`,
      );
    const pk = this.partition(op.topic, partition);
    // Kafka 3.7+ caps min.insync.replicas at the replica count (Partition.effectiveMinIsr, KAFKA-15583).
    const minIsr = Math.min(t.minIsr, pk.replicas?.length ?? t.replicationFactor);
    if (op.acks === -1) {
      const alive = this.aliveBrokers();
      const replicasAlive =
        pk.replicas !== null
          ? pk.replicas.filter((b) => alive.includes(b)).length
          : Math.min(t.replicationFactor, alive.length);
      if (replicasAlive < minIsr)
        return reject(
          `produce ${op.value} acks=all ok, but only ${replicasAlive} replica(s) of ${op.topic}-${partition} are alive, fewer than the effective min.insync.replicas=${minIsr} (expected NOT_ENOUGH_REPLICAS)`,
        );
    }
    const existing = pk.committed.get(offset);
    if (existing !== undefined && existing.value !== op.value && !this.lapsed(existing, pk.replicas))
      return reject(
        `produce ${op.value} acknowledged at ${op.topic}-${partition}@${offset}, where committed record ${existing.value} was acknowledged (inconsistent-offsets)`,
      );
    if (op.acks === -1 && minIsr >= 2 && !t.unclean)
      pk.committed.set(offset, { value: op.value, ackSeq: this.seq, minIsr });
    return OK;
  }

  private fetch(op: Extract<ClientOp, { kind: "fetch" }>, outcome: Outcome): Verdict {
    if (outcome.status !== "ok") return OK;
    const { records, highWatermark } = outcome.value as {
      records: Array<{ offset: number; value: string }>;
      highWatermark: number;
    };
    const where = `${op.topic}-${op.partition}`;
    for (let i = 1; i < records.length; i++) {
      if (records[i].offset <= records[i - 1].offset)
        return reject(
          `fetch ${where} returned offsets out of order: ${records[i - 1].offset} then ${records[i].offset}`,
        );
      if (records[i].offset !== records[i - 1].offset + 1)
        return reject(
          `fetch ${where} returned non-contiguous offsets: ${records[i - 1].offset} then ${records[i].offset}`,
        );
    }
    const bound = this.writeBound(op.topic);
    if (highWatermark > bound)
      return reject(
        `fetch ${where} reported high watermark ${highWatermark}, but at most ${bound} records can exist`,
      );
    const pk = this.partition(op.topic, op.partition);
    for (const r of records) {
      if (r.offset >= highWatermark)
        return reject(
          `fetch ${where} returned offset ${r.offset} at or above the high watermark ${highWatermark}`,
        );
      const committed = pk.committed.get(r.offset);
      if (committed !== undefined && committed.value !== r.value && !this.lapsed(committed, pk.replicas))
        return reject(
          `fetch ${where} returned ${r.value} at offset ${r.offset}, where committed record ${committed.value} was acknowledged (lost-write)`,
        );
    }
    return OK;
  }

  private listOffsets(op: Extract<ClientOp, { kind: "listOffsets" }>, outcome: Outcome): Verdict {
    if (outcome.status !== "ok") return OK;
    const { offset } = outcome.value as { offset: number };
    const bound = this.writeBound(op.topic);
    if (offset > bound)
      return reject(
        `listOffsets ${op.topic}-${op.partition} ${op.at} returned ${offset}, but at most ${bound} records can exist`,
      );
    return OK;
  }

  /* Groups ------------------------------------------------------------------------------------- */

  private group(id: string): GroupKnowledge {
    let g = this.groups.get(id);
    if (g === undefined) {
      g = {
        roundGeneration: 0,
        previousGeneration: 0,
        members: new Map(),
        syncs: new Map(),
        commits: new Map(),
        lastActivityMs: this.invokedAtMs,
        mayRestart: false,
        storedGeneration: 0,
        storedSeq: 0,
        stores: [],
        joins: new Map(),
        roundSeq: this.seq,
      };
      this.groups.set(id, g);
    }
    // Checked before every group outcome is adopted, so a commit that re-creates the group cannot hide it.
    if (this.mayHaveExpired(g)) g.mayRestart = true;
    return g;
  }

  /**
   * Whether the group may have been deleted since we last saw it: an Empty group's offsets expire
   * offsets.retention.ms after it became Empty (KIP-211), and a new group of that id starts again from
   * generation 0. It cannot have happened while a member is certainly present.
   */
  private mayHaveExpired(g: GroupKnowledge): boolean {
    return (
      this.certainMember(g) === undefined &&
      this.clock() - g.lastActivityMs >= this.settings["offsets.retention.ms"]
    );
  }

  private joinGroup(op: Extract<ClientOp, { kind: "joinGroup" }>, outcome: Outcome): Verdict {
    if (outcome.status !== "ok") return OK;
    const v = outcome.value as { groupId: string; memberId: string; generation: number; leader: string };
    if (op.groupId !== null && v.groupId !== op.groupId)
      return reject(`joinGroup ${op.member} asked for group ${op.groupId} but was answered for ${v.groupId}`);
    let g = this.group(v.groupId);
    if (v.generation <= g.previousGeneration && g.mayRestart) {
      // Offsets that may have been committed stay possible answers (expiry is allowed, not required).
      const commits = g.commits;
      this.groups.delete(v.groupId);
      g = this.group(v.groupId);
      g.commits = commits;
    }
    g.mayRestart = false;
    g.lastActivityMs = this.invokedAtMs;
    const floor = this.reloadFloor(g);
    // A reloaded group is Stable at the stored generation, with every member of that generation (storeGroup
    // writes them all when the leader's sync succeeds): a follower of it that rejoins with the same
    // subscription gets that generation back (GroupCoordinator.doJoinGroup: "for followers with no actual change
    // to their metadata, just return group information for the current generation"), even if it joined a
    // later, unstored generation meanwhile. The leader's rejoin would start a rebalance instead.
    const storedFollower =
      floor !== undefined &&
      v.generation === floor &&
      g.stores.some((st) => st.generation === floor) &&
      g.joins.get(op.member)?.get(floor) === v.memberId &&
      v.leader !== v.memberId;
    if (
      v.generation <= g.previousGeneration &&
      floor !== undefined &&
      (v.generation > floor || storedFollower)
    ) {
      this.forgetUnstored(g, floor);
      if (storedFollower) g.previousGeneration = Math.min(g.previousGeneration, floor - 1);
    }
    if (v.generation <= g.previousGeneration)
      return reject(
        `joinGroup ${op.member} got generation ${v.generation}, not greater than the group's previous generation ${g.previousGeneration}`,
      );
    // The latest generation handed out again after a possible coordinator move may be another incarnation of it:
    // a coordinator that reloaded an older generation (or a zombie's copy) rebalanced up to the same number with
    // other members and another leader assignment (seed 34, embedded). What its syncs may give starts afresh.
    if (
      v.generation === g.roundGeneration &&
      floor !== undefined &&
      v.generation > floor &&
      (g.roundSeq < this.disruptionSeq || this.oldestZombie() !== undefined)
    ) {
      g.syncs.delete(v.generation);
      g.roundSeq = this.seq;
    }
    if (v.generation > g.roundGeneration) {
      g.previousGeneration = g.roundGeneration;
      g.roundGeneration = v.generation;
      g.roundSeq = this.seq;
    }
    const joins = g.joins.get(op.member) ?? new Map<number, string>();
    joins.set(v.generation, v.memberId);
    g.joins.set(op.member, joins);
    g.members.set(op.member, {
      memberId: v.memberId,
      lastSeenMs: this.invokedAtMs,
      sessionTimeoutMs: op.sessionTimeoutMs,
      rebalanceTimeoutMs: op.rebalanceTimeoutMs,
      left: false,
      joinSeq: this.invokedSince,
      generation: v.generation,
      synced: false,
    });
    return OK;
  }

  /**
   * Whether a fault since the group was last stored may have moved its coordinator. Measured from the store, not
   * from the latest generation: the old coordinator keeps answering until it learns it lost __consumer_offsets'
   * leadership (a LeaderAndIsr or StopReplica it may not get while cut off), so generations it hands out after
   * the fault say nothing about what the new coordinator reloaded (GroupMetadataManager loads a group with
   * members as Stable at its stored generation; one that never synced is not there at all).
   */
  private coordinatorMayHaveMoved(g: GroupKnowledge): boolean {
    return this.disruptionSeq > g.storedSeq;
  }

  /**
   * The lowest generation a coordinator answering now may hold the group at, or undefined when only the current
   * one can answer: the last stored generation once a fault since that store may have moved the coordinator, and
   * what was stored before the oldest zombie window that may have answered this operation (0: it never had the
   * group).
   */
  private reloadFloor(g: GroupKnowledge): number | undefined {
    let floor = this.coordinatorMayHaveMoved(g) ? g.storedGeneration : undefined;
    const since = this.oldestZombie();
    if (since !== undefined) {
      let zombie = 0;
      for (const st of g.stores) if (st.seq < since) zombie = Math.max(zombie, st.generation);
      floor = floor === undefined ? zombie : Math.min(floor, zombie);
    }
    return floor;
  }

  /**
   * The start of the oldest zombie window the operation being checked may have been answered in: one still
   * open, or one whose broker crashed after the operation was invoked.
   */
  private oldestZombie(): number | undefined {
    let oldest: number | undefined;
    for (const since of this.zombieSince.values()) oldest = Math.min(oldest ?? since, since);
    for (const w of this.zombieEnded)
      if (w.crashSeq > this.invokedSince) oldest = Math.min(oldest ?? w.since, w.since);
    return oldest;
  }

  /** Whether the group may be back at `generation` because a coordinator answering holds an older state. */
  private reloadedAt(g: GroupKnowledge, generation: number): boolean {
    const floor = this.reloadFloor(g);
    return floor !== undefined && generation >= floor;
  }

  /** A coordinator holding the group as of generation `floor` answered: what came after is gone. */
  private forgetUnstored(g: GroupKnowledge, floor: number) {
    g.previousGeneration = Math.min(g.previousGeneration, floor);
    g.roundGeneration = floor;
    g.roundSeq = this.seq;
    for (const gen of [...g.syncs.keys()]) if (gen > floor) g.syncs.delete(gen);
    for (const [client, m] of g.members) if (m.generation > floor || !m.synced) g.members.delete(client);
  }

  private syncGroup(op: Extract<ClientOp, { kind: "syncGroup" }>, outcome: Outcome): Verdict {
    if (outcome.status !== "ok") {
      // A leader's sync that failed after the coordinator's checks may still have stored its assignment.
      const mayBeStored = outcome.status === "unknown" || !SYNC_NOT_STORED.has(outcome.error);
      if (op.assignments !== undefined && mayBeStored)
        return this.addCandidate(this.group(op.groupId), op.generation, op.assignments, false);
      return OK;
    }
    const g = this.group(op.groupId);
    g.lastActivityMs = this.invokedAtMs;
    const m = g.members.get(op.member);
    const assignment = (outcome.value as { assignment: TopicPartition[] }).assignment;
    if (op.generation < g.roundGeneration && !this.reloadedAt(g, op.generation))
      return reject(
        `syncGroup ${op.member} ok with generation ${op.generation}, older than generation ${g.roundGeneration} already handed out (expected ILLEGAL_GENERATION)`,
      );
    if (op.generation > g.storedGeneration) {
      g.storedGeneration = op.generation;
      g.storedSeq = this.invokedSince;
      g.stores.push({ generation: op.generation, seq: this.seq });
    }
    if (op.assignments !== undefined) {
      const v = this.addCandidate(g, op.generation, op.assignments, true);
      if (!v.ok) return v;
    }
    if (m === undefined) return OK;
    m.lastSeenMs = this.invokedAtMs;
    if (m.generation === op.generation) m.synced = true;
    const syncs = this.generationSyncs(g, op.generation);
    const seen = { client: op.member, memberId: m.memberId, assignment };
    syncs.seen.push(seen);
    if (syncs.candidates.length > 0 && this.validCandidates(syncs).length === 0) {
      syncs.seen.pop(); // reported once; later syncs are judged without it
      const expected = syncs.candidates[0].assignments[m.memberId] ?? [];
      return reject(
        `syncGroup gave ${op.member} ${fmtTps(assignment)} in generation ${op.generation}, but the leader assigned it ${fmtTps(expected)}`,
      );
    }
    return OK;
  }

  private generationSyncs(g: GroupKnowledge, generation: number): GenerationSyncs {
    let s = g.syncs.get(generation);
    if (s === undefined) {
      s = { candidates: [], seen: [] };
      g.syncs.set(generation, s);
    }
    return s;
  }

  /** Candidates that give every sync seen so far the assignment it returned. */
  private validCandidates(s: GenerationSyncs): GenerationSyncs["candidates"] {
    return s.candidates.filter((c) =>
      s.seen.every((w) => sameAssignment(c.assignments[w.memberId] ?? [], w.assignment)),
    );
  }

  /**
   * A leader's assignment that may have been stored for `generation`. Once a successful sync stored one with no
   * earlier candidate, later ones cannot be (the group is Stable for that generation). A successful sync after a
   * failed one proves nothing about which was stored: a Stable group answers the leader's second sync with the
   * assignment it already has.
   */
  private addCandidate(
    g: GroupKnowledge,
    generation: number,
    assignments: Record<string, TopicPartition[]>,
    succeeded: boolean,
  ): Verdict {
    const syncs = this.generationSyncs(g, generation);
    if (syncs.candidates.some((c) => c.definite)) return OK;
    const first = syncs.candidates.length === 0;
    syncs.candidates.push({ assignments, definite: succeeded && first });
    if (this.validCandidates(syncs).length > 0) return OK;
    // Syncs that returned before any leader's sync completed must match this, the only candidate left to them.
    const w = syncs.seen.find((x) => !sameAssignment(assignments[x.memberId] ?? [], x.assignment));
    if (w === undefined) return OK;
    syncs.seen = syncs.seen.filter((x) => sameAssignment(assignments[x.memberId] ?? [], x.assignment));
    return reject(
      `syncGroup gave ${w.client} ${fmtTps(w.assignment)} in generation ${generation}, but the leader assigned it ${fmtTps(assignments[w.memberId] ?? [])}`,
    );
  }

  private heartbeat(op: Extract<ClientOp, { kind: "heartbeat" }>, outcome: Outcome): Verdict {
    if (outcome.status !== "ok") return OK;
    const g = this.group(op.groupId);
    if (op.generation < g.roundGeneration && !this.reloadedAt(g, op.generation))
      return reject(
        `heartbeat ${op.member} ok with generation ${op.generation}, older than generation ${g.roundGeneration} already handed out (expected ILLEGAL_GENERATION)`,
      );
    g.lastActivityMs = this.invokedAtMs;
    const m = g.members.get(op.member);
    if (m !== undefined) m.lastSeenMs = this.invokedAtMs;
    return OK;
  }

  private leaveGroup(op: Extract<ClientOp, { kind: "leaveGroup" }>, outcome: Outcome): Verdict {
    if (outcome.status === "failed") return OK;
    const m = this.group(op.groupId).members.get(op.member);
    if (m !== undefined) m.left = true;
    return OK;
  }

  /**
   * A member that certainly still belongs to the group: joined, not left, not timed out, and either stored
   * (its generation synced) or joined after the last fault that could have moved the coordinator.
   */
  private certainMember(g: GroupKnowledge): string | undefined {
    // A zombie coordinator may answer the operation being checked from a group without the member.
    if (this.oldestZombie() !== undefined) return undefined;
    for (const [client, m] of g.members)
      if (
        !m.left &&
        this.clock() + STEP_SLACK_MS - m.lastSeenMs < Math.min(m.sessionTimeoutMs, m.rebalanceTimeoutMs) &&
        (m.synced || m.joinSeq >= this.disruptionSeq)
      )
        return client;
    return undefined;
  }

  private commitOffsets(op: Extract<ClientOp, { kind: "commitOffsets" }>, outcome: Outcome): Verdict {
    const g = this.group(op.groupId);
    if (outcome.status === "ok") {
      const simple = op.generation === -1 && op.member === "";
      if (simple) {
        const present = this.certainMember(g);
        if (present !== undefined)
          return reject(
            `commitOffsets without a generation ok while member ${present} is in group ${op.groupId} (only an Empty group takes such commits)`,
          );
      } else if (op.generation < g.roundGeneration && !this.reloadedAt(g, op.generation))
        return reject(
          `commitOffsets ${op.member} ok with generation ${op.generation}, older than generation ${g.roundGeneration} already handed out (expected ILLEGAL_GENERATION)`,
        );
      const m = g.members.get(op.member);
      if (m !== undefined) m.lastSeenMs = this.invokedAtMs;
      g.lastActivityMs = this.invokedAtMs;
    }
    if (outcome.status === "failed") return OK;
    for (const o of op.offsets) {
      const k = tpKey(o.topic, o.partition);
      const set = g.commits.get(k) ?? new Set<number>();
      set.add(o.offset);
      g.commits.set(k, set);
    }
    return OK;
  }

  private fetchOffsets(op: Extract<ClientOp, { kind: "fetchOffsets" }>, outcome: Outcome): Verdict {
    if (outcome.status !== "ok") return OK;
    const g = this.group(op.groupId);
    const inFlight = new Set<string>();
    for (const f of this.inFlightOps())
      if (f.kind === "commitOffsets" && f.groupId === op.groupId)
        for (const o of f.offsets) inFlight.add(`${tpKey(o.topic, o.partition)}@${o.offset}`);
    for (const o of (outcome.value as { offsets: Array<TopicPartition & { offset: number }> }).offsets) {
      if (o.offset === -1) continue;
      const k = tpKey(o.topic, o.partition);
      if (g.commits.get(k)?.has(o.offset) || inFlight.has(`${k}@${o.offset}`)) continue;
      // Without reported invocations a concurrent commit may be in flight: allow it only then.
      if (!this.invocationsReported && g.members.size > 0) continue;
      return reject(
        `fetchOffsets ${op.groupId} returned offset ${o.offset} for ${o.topic}-${o.partition}, which was never committed`,
      );
    }
    return OK;
  }

  /* White-box ------------------------------------------------------------------------------------ */

  adopt(obs: Observation): Verdict {
    this.skewMs = Math.max(this.skewMs, obs.time - this.time);
    if (obs.controller.epoch < this.controllerEpoch)
      return reject(`controller epoch went back from ${this.controllerEpoch} to ${obs.controller.epoch}`);
    this.controllerEpoch = obs.controller.epoch;
    for (const p of obs.partitions) {
      const where = `${p.topic}-${p.partition}`;
      if (p.leader !== null && !p.isr.includes(p.leader) && !p.uncleanLeaderElection)
        return reject(
          `leader ${p.leader} of ${where} is not in its ISR [${p.isr.join(",")}] and unclean election is off`,
        );
      const pk = this.partition(p.topic, p.partition);
      if (p.leaderEpoch < pk.leaderEpoch)
        return reject(`leader epoch of ${where} went back from ${pk.leaderEpoch} to ${p.leaderEpoch}`);
      if (pk.leaderEpoch >= 0 && p.leader !== pk.leader && p.leaderEpoch === pk.leaderEpoch)
        return reject(
          `leader of ${where} changed from ${pk.leader} to ${p.leader} without a new leader epoch`,
        );
      pk.leader = p.leader;
      pk.leaderEpoch = p.leaderEpoch;
      pk.replicas = [...p.replicas];
      const t = this.topics.get(p.topic);
      if (t !== undefined) {
        t.minIsr = p.minInsyncReplicas;
        t.unclean = p.uncleanLeaderElection;
      }
    }
    return OK;
  }
}
