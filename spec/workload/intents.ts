/**
 * Client intentions: what a generated workload step wants to do, before the runner knows the cluster's
 * answers. "c2 syncs" becomes a concrete SyncGroup only at run time, from c2's last JoinGroup outcome, so
 * a shrunk workload (steps removed) still builds valid operations. Intents are plain JSON, like operations.
 *
 * Picks (`topic`, `partition`, `broker`) are indices resolved modulo what exists when the step runs: a
 * shrinker that drops a createTopic leaves the later steps pointing at topics that still exist.
 */
import type { Acks, Assignor, ClientName } from "../operations.ts";

export type ProducePartitioner =
  | { kind: "explicit"; partition: number }
  | { kind: "murmur2" }
  | { kind: "roundRobin" }
  | { kind: "custom"; name: string };

export type Intent =
  | {
      kind: "createTopic";
      /** Topic name index: t0, t1, ... A small pool, so a name is sometimes taken (TOPIC_ALREADY_EXISTS). */
      name: number;
      partitions: number;
      replicationFactor: number;
      minInsyncReplicas: number;
      uncleanLeaderElection: boolean;
    }
  | { kind: "addPartitions"; topic: number; extra: number }
  | {
      kind: "produce";
      producer: ClientName;
      topic: number;
      /** Key index (k0, k1, ...) or null for no key. */
      key: number | null;
      partitioner: ProducePartitioner;
      acks: Acks;
      idempotent: boolean;
    }
  | { kind: "fetch"; consumer: ClientName; topic: number; partition: number; maxRecords: number }
  | { kind: "listOffsets"; topic: number; partition: number; at: "earliest" | "latest" }
  | {
      kind: "join";
      consumer: ClientName;
      /** Group index (g0, g1) or null: the consumer gives no group id. */
      group: number | null;
      /** Topic picks to subscribe to (resolved, deduplicated). */
      topics: number[];
      assignor: Assignor;
      sessionTimeoutMs: number;
      rebalanceTimeoutMs: number;
    }
  /**
   * What a Kafka consumer's poll() does for its group: join again when the coordinator asked, sync
   * after a join, heartbeat when stable. Drives the group protocol forward without luck.
   */
  | { kind: "poll"; consumer: ClientName }
  | { kind: "sync"; consumer: ClientName }
  | { kind: "heartbeat"; consumer: ClientName }
  | { kind: "leave"; consumer: ClientName }
  | {
      kind: "commit";
      consumer: ClientName;
      /** true: a simple commit outside any generation (generation -1) to a group the consumer is not in. */
      simple: boolean;
      group: number;
    }
  | { kind: "fetchCommitted"; consumer: ClientName; group: number }
  /**
   * A zombie: the consumer sends a SyncGroup or an OffsetCommit with the generation before its current
   * one, as a consumer that missed a rebalance does (KAFKA-13419). The coordinator must fence it.
   */
  | { kind: "zombie"; consumer: ClientName; request: "sync" | "commit" }
  | { kind: "crash"; broker: number; target?: FaultTarget }
  | { kind: "restart"; broker: number }
  | { kind: "pause"; broker: number; target?: FaultTarget }
  | { kind: "resume"; broker: number }
  /** With a target: that broker alone on the side without the metadata store. */
  | { kind: "isolate"; seed: number; target?: FaultTarget }
  | { kind: "heal" }
  | { kind: "expireSession"; broker: number; target?: FaultTarget }
  | { kind: "advanceTime"; ms: number }
  | { kind: "addBroker" };

export type IntentKind = Intent["kind"];

/**
 * Whom a fault aims at, as a Jepsen nemesis aims at a primary: a partition's leader, one of its
 * followers, or the controller, as the target's last observation showed them (the `broker` index then
 * picks among candidates). Without an observation, or with no candidate up, the index picks any broker.
 */
export type FaultTarget = "leader" | "follower" | "controller";

/** The process that carries out an intent: a client name, or the nemesis for faults and admin steps. */
export function intentProcess(intent: Intent): string {
  switch (intent.kind) {
    case "produce":
      return intent.producer;
    case "fetch":
    case "join":
    case "poll":
    case "sync":
    case "heartbeat":
    case "leave":
    case "commit":
    case "zombie":
    case "fetchCommitted":
      return intent.consumer;
    case "createTopic":
    case "addPartitions":
    case "listOffsets":
      return "admin";
    default:
      return "nemesis";
  }
}

/** One line for fast-check's counterexample output (the runner prints concrete operations too). */
export function describeIntent(intent: Intent): string {
  const { kind, ...rest } = intent;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" ");
  return fields.length > 0 ? `${kind} ${fields}` : kind;
}
