/**
 * Spec operations carried out with the thin client against a real Kafka-protocol cluster, and the
 * answers mapped to outcomes. The rule throughout: `failed` only when the request definitely was not
 * applied (nothing sent, or an error Kafka returns before acting); `unknown` when it may have been
 * (sent and no answer, or an error Kafka also returns after acting). Reads that get no answer are
 * `failed`: they change nothing.
 */

import { choosePartition, type PartitionerState } from "../../model/partitioners.ts";
import type { KafkaErrorName } from "../../spec/errors.ts";
import {
  type Assignor,
  type ClientOp,
  type FetchedRecord,
  failed,
  type Outcome,
  ok,
  type TopicPartition,
  unknown,
} from "../../spec/operations.ts";
import type { KafkaClient } from "../client/client.ts";
import type { Reply } from "../client/types.ts";
import {
  assignedTopicPartitions,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  groupByTopic,
} from "../group/consumer-protocol.ts";
import type { Namespace } from "./naming.ts";

/** Produce errors Kafka returns before appending anything: the record definitely is not in the log. */
const PRODUCE_DEFINITE: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "NOT_ENOUGH_REPLICAS",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "INVALID_REQUIRED_ACKS",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "CORRUPT_MESSAGE",
  "INVALID_RECORD",
  "INVALID_TIMESTAMP",
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "INVALID_PRODUCER_EPOCH",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_ID_MAPPING",
  "UNSUPPORTED_FOR_MESSAGE_FORMAT",
  "TOPIC_AUTHORIZATION_FAILED",
]);

/** Errors after which an idempotent producer's sequence state is unknown: it starts over with a new id. */
const PRODUCER_RESET: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
  "INVALID_PRODUCER_EPOCH",
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_ID_MAPPING",
]);

/**
 * OffsetCommit errors Kafka may return after the commit record was appended to __consumer_offsets: its
 * append errors are renamed (NOT_ENOUGH_REPLICAS_AFTER_APPEND becomes COORDINATOR_NOT_AVAILABLE,
 * NOT_LEADER_OR_FOLLOWER becomes NOT_COORDINATOR; GroupMetadataManager.storeOffsets), and a timed-out
 * append may still be replicated.
 */
const COMMIT_MAYBE_APPLIED: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "COORDINATOR_NOT_AVAILABLE",
  "NOT_COORDINATOR",
  "REQUEST_TIMED_OUT",
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "UNKNOWN_SERVER_ERROR",
]);

interface IdempotentProducer {
  producerId: number;
  producerEpoch: number;
  /** Next sequence number per wire topic-partition. */
  sequences: Map<string, number>;
}

/** Everything one run's clients remember between operations. */
export interface RunContext {
  ns: Namespace;
  /** The client of one logical client (p1, c2), created on first use; "admin" for operations of none. */
  client(name: string): KafkaClient;
  partitioner: PartitionerState;
  /** Seeded choice in [0, n) for the sticky partitioner. */
  pick(n: number): number;
  /** Kafka member id per (group, client). */
  memberIds: Map<string, string>;
  /** Rebalance timeout of each (group, client)'s last join: a SyncGroup may be held as long. */
  rebalanceTimeouts: Map<string, number>;
  producers: Map<string, IdempotentProducer>;
  generatedGroups: number;
}

export const ADMIN = "admin";

const memberKey = (groupId: string, client: string) => `${groupId}\u0000${client}`;

/** A Reply's failure as the outcome of an operation that writes. */
function writeFailure(r: Extract<Reply<unknown>, { ok: false }>, maybeApplied: boolean): Outcome {
  if (r.delivery === "not-sent") return failed(r.error, r.message);
  if (r.delivery === "lost" || maybeApplied) return unknown(r.error, r.message);
  return failed(r.error, r.message);
}

/** A Reply's failure as the outcome of a read (nothing to apply: never unknown). */
function readFailure(r: Extract<Reply<unknown>, { ok: false }>): Outcome {
  return failed(r.error, r.message);
}

export async function runOperation(ctx: RunContext, op: ClientOp): Promise<Outcome> {
  switch (op.kind) {
    case "createTopic":
      return createTopic(ctx, op);
    case "addPartitions": {
      const r = await ctx.client(ADMIN).createPartitions(ctx.ns.wire(op.topic), op.totalCount);
      return r.ok ? ok({ partitions: op.totalCount }) : writeFailure(r, r.error === "REQUEST_TIMED_OUT");
    }
    case "produce":
      return produce(ctx, op);
    case "fetch":
      return fetch(ctx, op);
    case "listOffsets": {
      const r = await ctx.client(ADMIN).listOffsets(ctx.ns.wire(op.topic), op.partition, op.at);
      return r.ok ? ok({ offset: r.value.offset }) : readFailure(r);
    }
    case "joinGroup":
      return joinGroup(ctx, op);
    case "syncGroup":
      return syncGroup(ctx, op);
    case "heartbeat": {
      const memberId = ctx.memberIds.get(memberKey(op.groupId, op.member)) ?? "";
      const r = await ctx.client(op.member).heartbeat(ctx.ns.wire(op.groupId), op.generation, memberId);
      return r.ok ? ok({}) : readFailure(r);
    }
    case "leaveGroup": {
      const key = memberKey(op.groupId, op.member);
      const r = await ctx.client(op.member).leaveGroup(ctx.ns.wire(op.groupId), ctx.memberIds.get(key) ?? "");
      if (r.ok) ctx.memberIds.delete(key);
      return r.ok ? ok({}) : writeFailure(r, false);
    }
    case "commitOffsets": {
      const simple = op.generation === -1 && op.member === "";
      const memberId = simple ? "" : (ctx.memberIds.get(memberKey(op.groupId, op.member)) ?? "");
      const r = await ctx.client(simple ? ADMIN : op.member).commitOffsets(
        ctx.ns.wire(op.groupId),
        op.generation,
        memberId,
        op.offsets.map((o) => ({ topic: ctx.ns.wire(o.topic), partition: o.partition, offset: o.offset })),
      );
      // A commit refused for some partitions only (UNKNOWN_TOPIC_OR_PARTITION) stored the others.
      return r.ok ? ok({}) : writeFailure(r, COMMIT_MAYBE_APPLIED.has(r.error) || r.partial === true);
    }
    case "fetchOffsets": {
      const r = await ctx.client(ADMIN).fetchOffsets(
        ctx.ns.wire(op.groupId),
        op.partitions.map((p) => ({ topic: ctx.ns.wire(p.topic), partition: p.partition })),
      );
      if (!r.ok) return readFailure(r);
      return ok({
        offsets: r.value.offsets.map((o) => ({
          topic: ctx.ns.local(o.topic),
          partition: o.partition,
          offset: o.offset,
        })),
      });
    }
  }
}

async function createTopic(
  ctx: RunContext,
  op: Extract<ClientOp, { kind: "createTopic" }>,
): Promise<Outcome> {
  const configs: Record<string, string> = {};
  if (op.config.minInsyncReplicas !== undefined)
    configs["min.insync.replicas"] = String(op.config.minInsyncReplicas);
  if (op.config.uncleanLeaderElection !== undefined)
    configs["unclean.leader.election.enable"] = String(op.config.uncleanLeaderElection);
  const r = await ctx.client(ADMIN).createTopic({
    name: ctx.ns.wire(op.topic),
    partitions: op.partitions,
    replicationFactor: op.replicationFactor,
    configs,
  });
  // A CreateTopics that timed out waiting for leaders has still created the topic in ZooKeeper.
  return r.ok ? ok({ partitions: op.partitions }) : writeFailure(r, r.error === "REQUEST_TIMED_OUT");
}

async function producerFor(ctx: RunContext, name: string): Promise<IdempotentProducer | Outcome> {
  const known = ctx.producers.get(name);
  if (known !== undefined) return known;
  const r = await ctx.client(name).initProducerId();
  if (!r.ok) return failed(r.error, r.message);
  const p: IdempotentProducer = { ...r.value, sequences: new Map() };
  ctx.producers.set(name, p);
  return p;
}

async function produce(ctx: RunContext, op: Extract<ClientOp, { kind: "produce" }>): Promise<Outcome> {
  const client = ctx.client(op.producer);
  const topic = ctx.ns.wire(op.topic);
  const md = await client.metadata([topic]);
  if (!md.ok) return failed(md.error, md.message);
  const t = md.value.topics.find((x) => x.name === topic);
  if (t === undefined || t.partitions.length === 0) return failed(t?.error ?? "UNKNOWN_TOPIC_OR_PARTITION");
  const available = t.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
  const { partition } = choosePartition(
    ctx.partitioner,
    op.producer,
    op.topic,
    op.partitioner,
    op.key,
    t.partitions.length,
    available,
    ctx.pick,
  );
  const meta = t.partitions.find((p) => p.partition === partition);
  if (meta === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
  if (meta.leader < 0) return failed("LEADER_NOT_AVAILABLE");
  let producer: IdempotentProducer | undefined;
  if (op.idempotent) {
    const p = await producerFor(ctx, op.producer);
    if ("status" in p) return p;
    producer = p;
  }
  const tpKey = `${topic}/${partition}`;
  const sequence = producer?.sequences.get(tpKey) ?? 0;
  const headers =
    op.headers === undefined
      ? undefined
      : Object.entries(op.headers).map(([k, v]) => ({ key: k, value: Buffer.from(v, "utf8") }));
  const r = await client.produce({
    topic,
    partition,
    acks: op.acks,
    leader: meta.leader,
    records: [
      {
        key: op.key === null ? null : Buffer.from(op.key, "utf8"),
        value: Buffer.from(op.value, "utf8"),
        ...(headers !== undefined ? { headers } : {}),
      },
    ],
    ...(producer !== undefined
      ? {
          idempotence: {
            producerId: producer.producerId,
            producerEpoch: producer.producerEpoch,
            baseSequence: sequence,
          },
        }
      : {}),
  });
  if (r.ok) {
    if (producer !== undefined) producer.sequences.set(tpKey, (sequence + 1) & 0x7fffffff);
    // acks=0: the request was written; nothing says whether it was appended.
    if (r.value.baseOffset === null) return { status: "unknown", partition };
    return ok({ partition, offset: r.value.baseOffset });
  }
  if (r.delivery === "not-sent") return failed(r.error, r.message);
  const definite = r.delivery === "answered" && PRODUCE_DEFINITE.has(r.error);
  // Unless the broker refused the batch outright, the producer no longer knows its next sequence number:
  // it starts over with a new producer id, as Kafka's producer bumps its epoch (KIP-360).
  if (producer !== undefined && (!definite || PRODUCER_RESET.has(r.error))) ctx.producers.delete(op.producer);
  if (definite) return failed(r.error, r.message);
  const o: Outcome = { status: "unknown", error: r.error, partition };
  if (r.message !== undefined) o.message = r.message;
  return o;
}

async function fetch(ctx: RunContext, op: Extract<ClientOp, { kind: "fetch" }>): Promise<Outcome> {
  const r = await ctx.client(op.consumer).fetch({
    topic: ctx.ns.wire(op.topic),
    partition: op.partition,
    offset: op.offset,
    maxRecords: op.maxRecords,
  });
  if (!r.ok) return readFailure(r);
  const records = r.value.records.map((x): FetchedRecord => {
    const rec: FetchedRecord = {
      offset: x.offset,
      key: x.key === null ? null : x.key.toString("utf8"),
      value: x.value === null ? "" : x.value.toString("utf8"),
    };
    if (x.headers.length > 0)
      rec.headers = Object.fromEntries(
        x.headers.map((h) => [h.key, h.value === null ? "" : h.value.toString("utf8")]),
      );
    return rec;
  });
  return ok({ records, highWatermark: r.value.highWatermark, logStartOffset: r.value.logStartOffset });
}

async function joinGroup(ctx: RunContext, op: Extract<ClientOp, { kind: "joinGroup" }>): Promise<Outcome> {
  // A consumer without a group id gets a generated one, as the model does; the outcome names it.
  const groupId = op.groupId ?? `generated-group-${++ctx.generatedGroups}`;
  const key = memberKey(groupId, op.member);
  ctx.rebalanceTimeouts.set(key, op.rebalanceTimeoutMs);
  const r = await ctx.client(op.member).joinGroup({
    groupId: ctx.ns.wire(groupId),
    memberId: ctx.memberIds.get(key) ?? "",
    sessionTimeoutMs: op.sessionTimeoutMs,
    rebalanceTimeoutMs: op.rebalanceTimeoutMs,
    protocolType: CONSUMER_PROTOCOL_TYPE,
    protocols: [
      { name: op.assignor, metadata: encodeSubscription({ topics: op.topics.map((t) => ctx.ns.wire(t)) }) },
    ],
  });
  if (!r.ok) {
    if (r.error === "UNKNOWN_MEMBER_ID") ctx.memberIds.delete(key);
    return writeFailure(r, false);
  }
  ctx.memberIds.set(key, r.value.memberId);
  return ok({
    groupId,
    memberId: r.value.memberId,
    generation: r.value.generation,
    leader: r.value.leader,
    protocol: (r.value.protocolName ?? op.assignor) as Assignor,
    members: r.value.members.map((m) => ({
      memberId: m.memberId,
      topics: decodeSubscription(m.metadata).topics.map((t) => ctx.ns.local(t)),
    })),
  });
}

async function syncGroup(ctx: RunContext, op: Extract<ClientOp, { kind: "syncGroup" }>): Promise<Outcome> {
  const key = memberKey(op.groupId, op.member);
  const assignments = Object.entries(op.assignments ?? {}).map(([memberId, tps]) => ({
    memberId,
    assignment: encodeAssignment({
      partitions: groupByTopic(tps.map((tp) => ({ topic: ctx.ns.wire(tp.topic), partition: tp.partition }))),
    }),
  }));
  const rebalanceTimeoutMs = ctx.rebalanceTimeouts.get(key);
  const r = await ctx.client(op.member).syncGroup({
    groupId: ctx.ns.wire(op.groupId),
    generation: op.generation,
    memberId: ctx.memberIds.get(key) ?? "",
    assignments,
    ...(rebalanceTimeoutMs !== undefined ? { rebalanceTimeoutMs } : {}),
  });
  if (!r.ok) return writeFailure(r, false);
  const assignment: TopicPartition[] = assignedTopicPartitions(decodeAssignment(r.value.assignment)).map(
    (tp) => ({
      topic: ctx.ns.local(tp.topic),
      partition: tp.partition,
    }),
  );
  return ok({ assignment });
}
