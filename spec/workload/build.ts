/**
 * From an intent and what the clients know to a concrete operation, or null when the intent does not
 * apply now (no topic yet, the consumer is in no group, no broker to restart). Pure: the same intent
 * and state give the same operation, so a replayed run issues the same operations.
 */
import type { Assignor, Operation, Partitioner, TopicPartition } from "../operations.ts";
import type { FaultTarget, Intent } from "./intents.ts";
import { positionOf, type TopicState, type WorkloadState } from "./state.ts";

/**
 * The group leader's assignment: member id -> partitions. Implemented by model/assignors.ts; the runner
 * passes it in so the workload does not depend on the model's module layout.
 */
export type AssignFn = (
  protocol: Assignor,
  members: Array<{ memberId: string; topics: string[] }>,
  partitionsPerTopic: Record<string, number>,
) => Record<string, TopicPartition[]>;

export interface BuildContext {
  assign: AssignFn;
  /** Upper bound for addPartitions' total count. */
  maxPartitions: number;
  /** How many brokers addBroker may add in one run. */
  maxAddedBrokers: number;
  initialBrokers: number;
}

function fromKey(key: string): TopicPartition {
  const slash = key.lastIndexOf("/");
  return { topic: key.slice(0, slash), partition: Number(key.slice(slash + 1)) };
}

const pick = <T>(items: readonly T[], index: number): T | undefined =>
  items.length === 0 ? undefined : items[Math.abs(index) % items.length];

function topicAt(state: WorkloadState, index: number): TopicState | undefined {
  return pick(state.topics, index);
}

/**
 * The brokers in `role` as last observed: the controller, the leader of the partition `index` picks, or
 * that partition's followers. Empty when nothing was observed.
 */
function byRole(state: WorkloadState, role: FaultTarget, index: number): number[] {
  const roles = state.roles;
  if (roles === null) return [];
  if (role === "controller") return roles.controller === null ? [] : [roles.controller];
  const p = pick(roles.partitions, index);
  if (p === undefined) return [];
  if (role === "leader") return p.leader === null ? [] : [p.leader];
  return p.replicas.filter((r) => r !== p.leader);
}

export function buildOp(intent: Intent, state: WorkloadState, ctx: BuildContext): Operation | null {
  switch (intent.kind) {
    case "createTopic":
      return {
        kind: "createTopic",
        topic: `t${intent.name}`,
        partitions: intent.partitions,
        replicationFactor: intent.replicationFactor,
        config: {
          minInsyncReplicas: intent.minInsyncReplicas,
          uncleanLeaderElection: intent.uncleanLeaderElection,
        },
      };
    case "addPartitions": {
      const t = topicAt(state, intent.topic);
      if (t === undefined || t.partitions >= ctx.maxPartitions) return null;
      return {
        kind: "addPartitions",
        topic: t.name,
        totalCount: Math.min(ctx.maxPartitions, t.partitions + intent.extra),
      };
    }
    case "produce": {
      const t = topicAt(state, intent.topic);
      if (t === undefined) return null;
      const key = intent.key === null ? null : `k${intent.key}`;
      let partitioner: Partitioner = intent.partitioner;
      if (partitioner.kind === "explicit")
        partitioner = { kind: "explicit", partition: partitioner.partition % t.partitions };
      // murmur2 hashes key bytes; a record without a key goes round-robin, as Kafka's clients do.
      else if (partitioner.kind === "murmur2" && key === null) partitioner = { kind: "roundRobin" };
      return {
        kind: "produce",
        producer: intent.producer,
        topic: t.name,
        key,
        value: `v${state.nextValue}`,
        partitioner,
        acks: intent.acks,
        idempotent: intent.idempotent,
      };
    }
    case "fetch": {
      const m = state.members.get(intent.consumer);
      // A consumer with an assignment reads its own partitions; one without reads any (assign mode).
      let tp: TopicPartition | undefined =
        m !== undefined && m.assignment.length > 0 ? pick(m.assignment, intent.partition) : undefined;
      if (tp === undefined) {
        const t = topicAt(state, intent.topic);
        if (t === undefined) return null;
        tp = { topic: t.name, partition: intent.partition % t.partitions };
      }
      return {
        kind: "fetch",
        consumer: intent.consumer,
        topic: tp.topic,
        partition: tp.partition,
        offset: positionOf(state, intent.consumer, tp.topic, tp.partition),
        maxRecords: intent.maxRecords,
      };
    }
    case "listOffsets": {
      const t = topicAt(state, intent.topic);
      if (t === undefined) return null;
      return {
        kind: "listOffsets",
        topic: t.name,
        partition: intent.partition % t.partitions,
        at: intent.at,
      };
    }
    case "join": {
      const topics = [...new Set(intent.topics.map((i) => topicAt(state, i)?.name))].filter(
        (n): n is string => n !== undefined,
      );
      if (topics.length === 0) return null;
      const current = state.members.get(intent.consumer);
      // A member joins again only when its coordinator asked it to, as Kafka's consumers do; it rejoins
      // its own group (a consumer belongs to one group at a time).
      if (current !== undefined && !current.rejoin) return null;
      const groupId =
        current !== undefined ? current.groupId : intent.group === null ? null : `g${intent.group}`;
      return {
        kind: "joinGroup",
        groupId,
        member: intent.consumer,
        topics: current !== undefined ? current.topics : topics,
        assignor: ((groupId !== null ? state.groupProtocols.get(groupId) : undefined) ??
          intent.assignor) as Assignor,
        sessionTimeoutMs: intent.sessionTimeoutMs,
        rebalanceTimeoutMs: intent.rebalanceTimeoutMs,
      };
    }
    case "poll": {
      const m = state.members.get(intent.consumer);
      if (m === undefined) return null;
      if (m.rejoin) return { ...m.joined, groupId: m.groupId };
      if (!m.synced) return buildOp({ kind: "sync", consumer: intent.consumer }, state, ctx);
      return buildOp({ kind: "heartbeat", consumer: intent.consumer }, state, ctx);
    }
    case "sync": {
      const m = state.members.get(intent.consumer);
      if (m === undefined || m.synced || m.rejoin) return null;
      const op: Operation = {
        kind: "syncGroup",
        groupId: m.groupId,
        member: intent.consumer,
        generation: m.generation,
      };
      if (m.memberId === m.leader) {
        const partitionsPerTopic: Record<string, number> = {};
        for (const t of state.topics) partitionsPerTopic[t.name] = t.partitions;
        op.assignments = ctx.assign(m.protocol as Assignor, m.members, partitionsPerTopic);
      }
      return op;
    }
    case "heartbeat": {
      const m = state.members.get(intent.consumer);
      if (m === undefined) return null;
      return { kind: "heartbeat", groupId: m.groupId, member: intent.consumer, generation: m.generation };
    }
    case "leave": {
      const m = state.members.get(intent.consumer);
      if (m === undefined) return null;
      return { kind: "leaveGroup", groupId: m.groupId, member: intent.consumer };
    }
    case "commit": {
      const m = state.members.get(intent.consumer);
      if (intent.simple || m === undefined) {
        // A simple commit (no generation) of whatever this consumer has read, as a standalone consumer does.
        const byTp = state.positions.get(intent.consumer);
        if (byTp === undefined || byTp.size === 0 || m !== undefined) return null;
        const offsets = [...byTp.entries()].map(([key, offset]) => ({ ...fromKey(key), offset }));
        return { kind: "commitOffsets", groupId: `g${intent.group}`, member: "", generation: -1, offsets };
      }
      if (m.assignment.length === 0) return null;
      return {
        kind: "commitOffsets",
        groupId: m.groupId,
        member: intent.consumer,
        generation: m.generation,
        offsets: m.assignment.map((tp) => ({
          ...tp,
          offset: positionOf(state, intent.consumer, tp.topic, tp.partition),
        })),
      };
    }
    case "zombie": {
      const m = state.members.get(intent.consumer);
      // The latest generation before the current one in which this member held an assignment.
      const generation = Math.max(-1, ...(m?.syncedGenerations.filter((g) => g < m.generation) ?? []));
      if (m === undefined || generation < 0) return null;
      if (intent.request === "sync") {
        const op = buildOp(
          { kind: "sync", consumer: intent.consumer },
          {
            ...state,
            members: new Map(state.members).set(intent.consumer, { ...m, synced: false, rejoin: false }),
          },
          ctx,
        );
        return op === null ? null : ({ ...op, generation } as Operation);
      }
      const tps =
        m.assignment.length > 0
          ? m.assignment
          : [...(state.positions.get(intent.consumer)?.keys() ?? [])].map(fromKey);
      if (tps.length === 0) return null;
      return {
        kind: "commitOffsets",
        groupId: m.groupId,
        member: intent.consumer,
        generation,
        offsets: tps.map((tp) => ({
          ...tp,
          offset: positionOf(state, intent.consumer, tp.topic, tp.partition),
        })),
      };
    }
    case "fetchCommitted": {
      const m = state.members.get(intent.consumer);
      const partitions = state.topics.flatMap((t) =>
        Array.from({ length: t.partitions }, (_, partition) => ({ topic: t.name, partition })),
      );
      if (partitions.length === 0) return null;
      return { kind: "fetchOffsets", groupId: m?.groupId ?? `g${intent.group}`, partitions };
    }
    case "crash":
    case "pause":
    case "expireSession": {
      const up = state.brokers.filter(
        (b) => !state.down.has(b) && !(intent.kind === "pause" && state.paused.has(b)),
      );
      const aimed = intent.target === undefined ? [] : byRole(state, intent.target, intent.broker);
      const broker = pick(
        aimed.filter((b) => up.includes(b)),
        intent.broker,
      );
      const any = broker ?? pick(up, intent.broker);
      return any === undefined ? null : { kind: intent.kind, broker: any };
    }
    case "restart": {
      const broker = pick(
        [...state.down].sort((a, b) => a - b),
        intent.broker,
      );
      return broker === undefined ? null : { kind: "restart", broker };
    }
    case "resume": {
      const broker = pick(
        [...state.paused].sort((a, b) => a - b),
        intent.broker,
      );
      return broker === undefined ? null : { kind: "resume", broker };
    }
    case "isolate": {
      if (state.isolated || state.brokers.length < 2) return null;
      const aimed = intent.target === undefined ? [] : byRole(state, intent.target, intent.seed);
      const alone = pick(aimed, intent.seed);
      if (alone !== undefined)
        return { kind: "isolate", sides: [state.brokers.filter((b) => b !== alone), [alone]] };
      // The seed's bits choose each broker's side; the first broker anchors side 0 so both sides are used.
      const [first, ...rest] = state.brokers;
      const left = [first];
      const right: number[] = [];
      for (const [i, b] of rest.entries()) ((intent.seed >> i) & 1 ? right : left).push(b);
      if (right.length === 0) right.push(left.pop()!);
      return { kind: "isolate", sides: [left, right] };
    }
    case "heal":
      return state.isolated ? { kind: "heal" } : null;
    case "advanceTime":
      return { kind: "advanceTime", ms: intent.ms };
    case "addBroker": {
      if (state.brokers.length >= ctx.initialBrokers + ctx.maxAddedBrokers) return null;
      return { kind: "addBroker", broker: Math.max(0, ...state.brokers) + 1 };
    }
  }
}
