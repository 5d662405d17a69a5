/**
 * The vocabulary of the specification: what a client may ask of a Kafka cluster, what the test harness
 * may do to it (faults), and what can come back (outcomes).
 *
 * Every name here means the same thing in model/, impl/ and spec/. Operations are plain JSON data so a
 * history can be written to disk, replayed and diffed.
 */
import type { KafkaErrorName } from "./errors.ts";

export type BrokerId = number;
/** A logical client of the test (a producer or a consumer), e.g. "p1" or "c2". Not Kafka's member id. */
export type ClientName = string;

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** Topic-level settings the specification cares about, by Kafka's property names in camelCase. */
export interface TopicConfig {
  /** min.insync.replicas: acks=all needs at least this many in-sync replicas. */
  minInsyncReplicas: number;
  /** unclean.leader.election.enable: may a replica outside the ISR become leader? */
  uncleanLeaderElection: boolean;
}

export const DEFAULT_TOPIC_CONFIG: TopicConfig = { minInsyncReplicas: 1, uncleanLeaderElection: false };

/** acks: 0 = fire and forget, 1 = the leader has it, -1 = every in-sync replica has it ("all"). */
export type Acks = 0 | 1 | -1;

/**
 * How the producer picks a partition. Kafka runs the partitioner in the client; the specification
 * checks that the record landed where the partitioner allows.
 *   - explicit:   the producer names the partition.
 *   - murmur2:    Kafka's default for keyed records: toPositive(murmur2(keyBytes)) % numPartitions.
 *   - roundRobin: rotate over available partitions.
 *   - custom:     a named partitioner from model/partitioners, called as
 *                 (keyBytes, allPartitions, availablePartitions) => partition, as in kafka-python.
 */
export type Partitioner =
  | { kind: "explicit"; partition: number }
  | { kind: "murmur2" }
  | { kind: "roundRobin" }
  | { kind: "custom"; name: string };

export type Assignor = "range" | "roundrobin" | "sticky";

export interface CreateTopic {
  kind: "createTopic";
  topic: string;
  partitions: number;
  replicationFactor: number;
  config: Partial<TopicConfig>;
}

export interface AddPartitions {
  kind: "addPartitions";
  topic: string;
  /** The new total partition count (as CreatePartitions takes it). */
  totalCount: number;
}

export interface Produce {
  kind: "produce";
  producer: ClientName;
  topic: string;
  /** Key as a UTF-8 string, or null for no key. */
  key: string | null;
  /** Values are unique within a run, so a value identifies its record in the history. */
  value: string;
  headers?: Record<string, string>;
  partitioner: Partitioner;
  acks: Acks;
  /** enable.idempotence: the producer carries a producer id and sequence numbers; retries add no duplicates. */
  idempotent: boolean;
}

export interface Fetch {
  kind: "fetch";
  consumer: ClientName;
  topic: string;
  partition: number;
  offset: number;
  maxRecords: number;
}

export interface ListOffsets {
  kind: "listOffsets";
  topic: string;
  partition: number;
  at: "earliest" | "latest";
}

export interface JoinGroup {
  kind: "joinGroup";
  /** null: the consumer gave no group id, so it gets a generated one (and the outcome says which). */
  groupId: string | null;
  member: ClientName;
  topics: string[];
  assignor: Assignor;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
}

export interface SyncGroup {
  kind: "syncGroup";
  groupId: string;
  member: ClientName;
  generation: number;
  /** Only the group leader sends assignments: Kafka member id -> partitions. */
  assignments?: Record<string, TopicPartition[]>;
}

export interface Heartbeat {
  kind: "heartbeat";
  groupId: string;
  member: ClientName;
  generation: number;
}

export interface LeaveGroup {
  kind: "leaveGroup";
  groupId: string;
  member: ClientName;
}

export interface CommitOffsets {
  kind: "commitOffsets";
  groupId: string;
  member: ClientName;
  /** -1 with an empty member: a "simple" commit outside any generation (allowed only for an Empty group). */
  generation: number;
  offsets: Array<TopicPartition & { offset: number }>;
}

export interface FetchOffsets {
  kind: "fetchOffsets";
  groupId: string;
  partitions: TopicPartition[];
}

export type ClientOp =
  | CreateTopic
  | AddPartitions
  | Produce
  | Fetch
  | ListOffsets
  | JoinGroup
  | SyncGroup
  | Heartbeat
  | LeaveGroup
  | CommitOffsets
  | FetchOffsets;

/* ------------------------------------------------------------------------------------------------ */
/* Faults                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

/** A crash loses what the broker had not flushed (kill -9 in a real cluster). */
export interface CrashBroker {
  kind: "crash";
  broker: BrokerId;
}
/** Start a crashed (or stopped) broker again from what its disk kept. */
export interface RestartBroker {
  kind: "restart";
  broker: BrokerId;
}
/** Stop a broker's process without losing anything (SIGSTOP); `resume` continues it (SIGCONT). */
export interface PauseBroker {
  kind: "pause";
  broker: BrokerId;
}
export interface ResumeBroker {
  kind: "resume";
  broker: BrokerId;
}
/**
 * Cut the network between two sides: no broker of `sides[0]` reaches one of `sides[1]` and back.
 * The metadata store (ZooKeeper) is reachable from the side that holds `metadataSide` (default 0).
 */
export interface Isolate {
  kind: "isolate";
  sides: [BrokerId[], BrokerId[]];
}
export interface Heal {
  kind: "heal";
}
/** Expire the broker's metadata-store session (ZooKeeper session expiry): its ephemeral nodes vanish. */
export interface ExpireSession {
  kind: "expireSession";
  broker: BrokerId;
}
export interface AddBroker {
  kind: "addBroker";
  broker: BrokerId;
}
/** Let time pass: session timeouts, replica lag and rebalance timeouts fire. */
export interface AdvanceTime {
  kind: "advanceTime";
  ms: number;
}

export type Fault =
  | CrashBroker
  | RestartBroker
  | PauseBroker
  | ResumeBroker
  | Isolate
  | Heal
  | ExpireSession
  | AddBroker
  | AdvanceTime;

export type FaultKind = Fault["kind"];

/**
 * Fault families as the CLI names them (`--faults crash,restart,isolate,session,time`).
 * `kill` and `partition` are the real-cluster spellings of `crash` and `isolate`.
 */
export const FAULT_FAMILIES = {
  crash: ["crash"],
  kill: ["crash"],
  restart: ["restart"],
  pause: ["pause", "resume"],
  isolate: ["isolate", "heal"],
  partition: ["isolate", "heal"],
  session: ["expireSession"],
  time: ["advanceTime"],
  membership: ["addBroker"],
} as const satisfies Record<string, readonly FaultKind[]>;

export type FaultFamily = keyof typeof FAULT_FAMILIES;

export type Operation = ClientOp | Fault;

export function isFault(op: Operation): op is Fault {
  return (
    op.kind === "crash" ||
    op.kind === "restart" ||
    op.kind === "pause" ||
    op.kind === "resume" ||
    op.kind === "isolate" ||
    op.kind === "heal" ||
    op.kind === "expireSession" ||
    op.kind === "addBroker" ||
    op.kind === "advanceTime"
  );
}

/* ------------------------------------------------------------------------------------------------ */
/* Outcomes                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

export interface FetchedRecord {
  offset: number;
  key: string | null;
  value: string;
  headers?: Record<string, string>;
}

/** What a successful operation returns, per kind. */
export interface OkValues {
  createTopic: { partitions: number };
  addPartitions: { partitions: number };
  /** acks=0 never completes ok: it is always `unknown` (nothing comes back). */
  produce: { partition: number; offset: number };
  fetch: { records: FetchedRecord[]; highWatermark: number; logStartOffset: number };
  listOffsets: { offset: number };
  joinGroup: {
    groupId: string;
    memberId: string;
    generation: number;
    leader: string;
    protocol: Assignor;
    /** Filled for the leader only: every member and the topics it subscribes to. */
    members: Array<{ memberId: string; topics: string[] }>;
  };
  syncGroup: { assignment: TopicPartition[] };
  heartbeat: Record<string, never>;
  leaveGroup: Record<string, never>;
  commitOffsets: Record<string, never>;
  /** offset -1: nothing committed for that partition. */
  fetchOffsets: { offsets: Array<TopicPartition & { offset: number }> };
  crash: Record<string, never>;
  restart: Record<string, never>;
  pause: Record<string, never>;
  resume: Record<string, never>;
  isolate: Record<string, never>;
  heal: Record<string, never>;
  expireSession: Record<string, never>;
  addBroker: Record<string, never>;
  advanceTime: Record<string, never>;
}

/**
 * Every operation ends one of three ways (Jepsen's :ok, :fail, :info):
 *   ok      - applied, with its result;
 *   failed  - definitely not applied, with Kafka's error name;
 *   unknown - may or may not have been applied (timeout, connection lost, acks=0).
 * A `partial` on produce carries what is known even when the outcome is unknown (e.g. the partition).
 */
export type Outcome<K extends Operation["kind"] = Operation["kind"]> =
  | { status: "ok"; value: OkValues[K] }
  | { status: "failed"; error: KafkaErrorName; message?: string }
  | { status: "unknown"; error?: KafkaErrorName; message?: string; partition?: number };

export type OutcomeOf<O extends Operation> = Outcome<O["kind"]>;

export function ok<K extends Operation["kind"]>(value: OkValues[K]): Outcome<K> {
  return { status: "ok", value };
}
export function failed(error: KafkaErrorName, message?: string): Outcome<never> {
  return message === undefined ? { status: "failed", error } : { status: "failed", error, message };
}
export function unknown(error?: KafkaErrorName, message?: string): Outcome<never> {
  const o: { status: "unknown"; error?: KafkaErrorName; message?: string } = { status: "unknown" };
  if (error !== undefined) o.error = error;
  if (message !== undefined) o.message = message;
  return o;
}

/** One line, as a failure report shows it: `produce p1 t0 key=k3 value=v17 acks=all -> p0@4`. */
export function describeOperation(op: Operation): string {
  switch (op.kind) {
    case "createTopic":
      return `createTopic ${op.topic} partitions=${op.partitions} rf=${op.replicationFactor}${
        op.config.minInsyncReplicas !== undefined ? ` min.isr=${op.config.minInsyncReplicas}` : ""
      }${op.config.uncleanLeaderElection ? " unclean" : ""}`;
    case "addPartitions":
      return `addPartitions ${op.topic} total=${op.totalCount}`;
    case "produce": {
      const p =
        op.partitioner.kind === "explicit"
          ? `p${op.partitioner.partition}`
          : op.partitioner.kind === "custom"
            ? `custom:${op.partitioner.name}`
            : op.partitioner.kind;
      const acks = op.acks === -1 ? "all" : String(op.acks);
      return `produce ${op.producer} ${op.topic} key=${op.key ?? "null"} value=${op.value} ${p} acks=${acks}${
        op.idempotent ? " idempotent" : ""
      }`;
    }
    case "fetch":
      return `fetch ${op.consumer} ${op.topic}-${op.partition} from=${op.offset} max=${op.maxRecords}`;
    case "listOffsets":
      return `listOffsets ${op.topic}-${op.partition} ${op.at}`;
    case "joinGroup":
      return `joinGroup ${op.member} group=${op.groupId ?? "(none)"} topics=${op.topics.join(",")} ${op.assignor}`;
    case "syncGroup":
      return `syncGroup ${op.member} group=${op.groupId} gen=${op.generation}${op.assignments ? " (leader)" : ""}`;
    case "heartbeat":
      return `heartbeat ${op.member} group=${op.groupId} gen=${op.generation}`;
    case "leaveGroup":
      return `leaveGroup ${op.member} group=${op.groupId}`;
    case "commitOffsets":
      // A simple commit (outside any generation) has no member: say so rather than print nothing.
      return `commitOffsets ${op.member === "" ? "(simple)" : op.member} group=${op.groupId} gen=${op.generation} ${op.offsets
        .map((o) => `${o.topic}-${o.partition}@${o.offset}`)
        .join(",")}`;
    case "fetchOffsets":
      return `fetchOffsets group=${op.groupId}`;
    case "crash":
    case "restart":
    case "pause":
    case "resume":
    case "expireSession":
    case "addBroker":
      return `${op.kind} broker ${op.broker}`;
    case "isolate":
      return `isolate [${op.sides[0].join(",")}] | [${op.sides[1].join(",")}]`;
    case "heal":
      return "heal";
    case "advanceTime":
      return `advanceTime ${op.ms}ms`;
  }
}

export function describeOutcome(outcome: Outcome): string {
  if (outcome.status === "failed") return `failed ${outcome.error}`;
  if (outcome.status === "unknown") return `unknown${outcome.error ? ` ${outcome.error}` : ""}`;
  return `ok ${JSON.stringify(outcome.value)}`;
}
