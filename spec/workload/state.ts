/**
 * What the runner's clients know, built only from the outcomes they saw: the topics that exist and
 * their partition counts, each consumer's position per partition, each consumer's group membership
 * (its last JoinGroup answer and its assignment), which brokers the nemesis took down. Intents become
 * operations from this state (build.ts); outcomes update it (`applyOutcome`). No I/O here.
 */
import type { Observation } from "../adapter.ts";
import type { Fault, JoinGroup, OkValues, Operation, Outcome, TopicPartition } from "../operations.ts";

export interface TopicState {
  name: string;
  partitions: number;
}

type JoinAnswer = OkValues["joinGroup"];

/** A consumer's last JoinGroup answer (members filled for the leader only), and what followed it. */
export interface Membership extends JoinAnswer {
  topics: string[];
  /** The JoinGroup that made it a member, to join again with the same settings. */
  joined: JoinGroup;
  /** From the last successful SyncGroup; empty until then and after a rebalance is signalled. */
  assignment: TopicPartition[];
  synced: boolean;
  /** Generations in which this member id got an assignment from SyncGroup (a zombie replays one). */
  syncedGenerations: number[];
  /** The coordinator signalled a rebalance (REBALANCE_IN_PROGRESS): the member must join again. */
  rejoin: boolean;
}

export interface WorkloadState {
  /** Broker ids the cluster has (1..brokers at start, plus any added). */
  brokers: number[];
  down: Set<number>;
  paused: Set<number>;
  isolated: boolean;
  topics: TopicState[];
  /** consumer -> "topic/partition" -> next offset to fetch. Positions only move forward. */
  positions: Map<string, Map<string, number>>;
  members: Map<string, Membership>;
  /** group id -> the assignor its members agreed on: later joiners use it (else INCONSISTENT_GROUP_PROTOCOL). */
  groupProtocols: Map<string, string>;
  /** Processes with an operation in flight (at most one each). */
  busy: Set<string>;
  /** The number of the next produced value ("v1", "v2", ...): values are unique within a run. */
  nextValue: number;
  /** Virtual milliseconds the nemesis has advanced (virtual-time targets). */
  virtualTimeMs: number;
  /** Who leads what, from the target's last observation; null when the target is not observed. */
  roles: Roles | null;
}

/** The roles a targeted fault aims at (intents.ts' FaultTarget). */
export interface Roles {
  controller: number | null;
  /** The workload's partitions (not the offsets topic), in the observation's order. */
  partitions: Array<{ leader: number | null; replicas: number[] }>;
}

export function rolesOf(o: Observation): Roles {
  return {
    controller: o.controller.broker,
    partitions: o.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas })),
  };
}

export function initialState(brokers: number): WorkloadState {
  return {
    brokers: Array.from({ length: brokers }, (_, i) => i + 1),
    down: new Set(),
    paused: new Set(),
    isolated: false,
    topics: [],
    positions: new Map(),
    members: new Map(),
    groupProtocols: new Map(),
    busy: new Set(),
    nextValue: 1,
    virtualTimeMs: 0,
    roles: null,
  };
}

export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

export function positionOf(state: WorkloadState, consumer: string, topic: string, partition: number): number {
  return state.positions.get(consumer)?.get(tpKey(topic, partition)) ?? 0;
}

function advancePosition(
  state: WorkloadState,
  consumer: string,
  topic: string,
  partition: number,
  next: number,
) {
  let byTp = state.positions.get(consumer);
  if (byTp === undefined) {
    byTp = new Map();
    state.positions.set(consumer, byTp);
  }
  const key = tpKey(topic, partition);
  if (next > (byTp.get(key) ?? 0)) byTp.set(key, next);
}

/** Errors after which a Kafka consumer forgets its member id or generation and must join again. */
const FENCED = new Set([
  "UNKNOWN_MEMBER_ID",
  "ILLEGAL_GENERATION",
  "FENCED_INSTANCE_ID",
  "COORDINATOR_NOT_AVAILABLE",
]);

function onGroupError(state: WorkloadState, consumer: string, error: string) {
  const m = state.members.get(consumer);
  if (m === undefined) return;
  if (FENCED.has(error)) state.members.delete(consumer);
  else if (error === "REBALANCE_IN_PROGRESS") {
    // The partitions are revoked until the member joins the new generation.
    m.assignment = [];
    m.synced = false;
    m.rejoin = true;
  }
}

/** Fold one completion into what the clients know. */
export function applyOutcome(state: WorkloadState, op: Operation, outcome: Outcome): void {
  switch (op.kind) {
    case "createTopic": {
      const known = state.topics.find((t) => t.name === op.topic);
      if (outcome.status === "ok") {
        // The cluster's last word wins: an earlier createTopic whose outcome was unknown only guessed.
        const v = outcome.value as OkValues["createTopic"];
        if (known !== undefined) known.partitions = v.partitions;
        else state.topics.push({ name: op.topic, partitions: v.partitions });
      } else if (outcome.status === "unknown" && known === undefined) {
        // It may exist: keep using it; the cluster answers UNKNOWN_TOPIC_OR_PARTITION if it does not.
        state.topics.push({ name: op.topic, partitions: op.partitions });
      }
      return;
    }
    case "addPartitions": {
      const t = state.topics.find((x) => x.name === op.topic);
      if (t === undefined) return;
      if (outcome.status === "ok") t.partitions = (outcome.value as OkValues["addPartitions"]).partitions;
      return;
    }
    case "fetch": {
      if (outcome.status !== "ok") return;
      const v = outcome.value as OkValues["fetch"];
      const last = v.records[v.records.length - 1];
      if (last !== undefined) advancePosition(state, op.consumer, op.topic, op.partition, last.offset + 1);
      return;
    }
    case "joinGroup": {
      if (outcome.status === "ok") {
        const v = outcome.value as OkValues["joinGroup"];
        state.groupProtocols.set(v.groupId, v.protocol);
        const before = state.members.get(op.member);
        const sameMember =
          before !== undefined && before.groupId === v.groupId && before.memberId === v.memberId;
        state.members.set(op.member, {
          syncedGenerations: sameMember ? before.syncedGenerations : [],
          groupId: v.groupId,
          memberId: v.memberId,
          generation: v.generation,
          leader: v.leader,
          protocol: v.protocol,
          members: v.members,
          topics: op.topics,
          joined: op,
          assignment: [],
          synced: false,
          rejoin: false,
        });
      } else state.members.delete(op.member);
      return;
    }
    case "syncGroup": {
      const m = state.members.get(op.member);
      if (m === undefined || m.generation !== op.generation) return;
      if (outcome.status === "ok") {
        m.assignment = (outcome.value as OkValues["syncGroup"]).assignment;
        m.synced = true;
        if (!m.syncedGenerations.includes(op.generation)) m.syncedGenerations.push(op.generation);
      } else if (outcome.status === "failed") onGroupError(state, op.member, outcome.error);
      return;
    }
    case "heartbeat":
    case "commitOffsets": {
      if (outcome.status === "failed" && op.generation >= 0) onGroupError(state, op.member, outcome.error);
      return;
    }
    case "leaveGroup":
      state.members.delete(op.member);
      return;
    case "produce":
    case "listOffsets":
    case "fetchOffsets":
      return;
    default:
      applyFault(state, op, outcome);
  }
}

function applyFault(state: WorkloadState, fault: Fault, outcome: Outcome): void {
  // A fault whose outcome is unknown may have happened: assume it did, so the nemesis can undo it.
  if (outcome.status === "failed") return;
  switch (fault.kind) {
    case "crash":
      state.down.add(fault.broker);
      state.paused.delete(fault.broker);
      return;
    case "restart":
      state.down.delete(fault.broker);
      return;
    case "pause":
      state.paused.add(fault.broker);
      return;
    case "resume":
      state.paused.delete(fault.broker);
      return;
    case "isolate":
      state.isolated = true;
      return;
    case "heal":
      state.isolated = false;
      return;
    case "addBroker":
      if (!state.brokers.includes(fault.broker)) state.brokers.push(fault.broker);
      return;
    case "advanceTime":
      state.virtualTimeMs += fault.ms;
      return;
    case "expireSession":
      return;
  }
}
