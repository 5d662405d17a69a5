/**
 * The cluster controller and the metadata it keeps in the store (ZooKeeper's /controller,
 * /controller_epoch, /brokers/ids, /brokers/topics/T/partitions/P/state), as one machine.
 *
 * - Election: whoever creates the ephemeral /controller wins; controller_epoch grows by one each time.
 * - Liveness: a broker is live while its ephemeral registration exists (session expiry removes it).
 * - Placement: Kafka's AdminUtils.assignReplicasToBrokers (rack unaware), start index and shift given.
 * - Leader election: from the live ISR (clean); outside the ISR only when the topic allows unclean
 *   election. Which ISR member wins is a choice (`choice` in the event): Kafka takes the first in
 *   assignment order, the specification allows any live ISR member.
 * - Fencing: a write from a controller whose epoch is not the current one, or while nobody holds the seat,
 *   is refused (STALE_CONTROLLER_EPOCH); an ISR change from a leader must match the partition state's version.
 */
import { assign, setup } from "xstate";
import type { KafkaErrorName } from "../spec/errors.ts";
import type { BrokerId, TopicConfig, TopicPartition } from "../spec/operations.ts";

export interface PartitionState {
  replicas: BrokerId[];
  leader: BrokerId | null;
  leaderEpoch: number;
  isr: BrokerId[];
  /** The state node's version: bumped by every write, checked by conditional ISR updates. */
  version: number;
}

export interface TopicState {
  config: TopicConfig;
  partitions: PartitionState[];
}

export interface Election extends TopicPartition {
  leader: BrokerId | null;
  candidates: BrokerId[];
  unclean: boolean;
}

export type ControllerReply = { ok: true } | { ok: false; error: KafkaErrorName } | null;

export interface ControllerContext {
  controller: BrokerId | null;
  epoch: number;
  /** Registered brokers and their broker epochs. */
  live: Record<number, number>;
  topics: Record<string, TopicState>;
  /** The answer to the last command event. */
  reply: ControllerReply;
  /** Partitions whose leader or ISR the last event changed: they need a LeaderAndIsr. */
  changed: TopicPartition[];
  /** Elections the last event made. */
  elections: Election[];
}

export type ControllerEvent =
  | { type: "CONTROLLER_ELECTED"; broker: BrokerId; choice: number }
  | { type: "CONTROLLER_GONE" }
  | { type: "BROKER_REGISTERED"; broker: BrokerId; brokerEpoch: number; choice: number }
  | { type: "BROKER_DEREGISTERED"; broker: BrokerId; choice: number }
  | {
      type: "CREATE_TOPIC";
      topic: string;
      partitions: number;
      replicationFactor: number;
      config: TopicConfig;
      /** Kafka draws these at random; the model passes its seeded choice in. */
      startIndex: number;
      shift: number;
    }
  | { type: "ADD_PARTITIONS"; topic: string; totalCount: number }
  | {
      type: "ISR_UPDATE";
      topic: string;
      partition: number;
      leaderEpoch: number;
      version: number;
      isr: BrokerId[];
    }
  | {
      type: "CONTROLLER_WRITE";
      /** The writing controller's epoch: refused unless current. */
      epoch: number;
      topic: string;
      partition: number;
      leader: BrokerId | null;
      isr: BrokerId[];
    };

/**
 * Kafka's AdminUtils.assignReplicasToBrokers, rack unaware: the first replica of partition p goes to
 * brokers[(p + startIndex) % n]; the others follow at a distance 1 + (shift + j) % (n - 1), and the
 * shift grows by one every n partitions so replicas spread.
 */
export function assignReplicas(
  brokers: readonly BrokerId[],
  partitions: number,
  replicationFactor: number,
  startIndex: number,
  shift: number,
  startPartition = 0,
): BrokerId[][] {
  const sorted = [...brokers].sort((a, b) => a - b);
  const n = sorted.length;
  const out: BrokerId[][] = [];
  let nextShift = shift;
  for (let i = 0; i < partitions; i++) {
    const p = startPartition + i;
    if (p > 0 && p % n === 0) nextShift++;
    const first = (p + startIndex) % n;
    const replicas = [sorted[first]];
    for (let j = 0; j < replicationFactor - 1; j++)
      replicas.push(sorted[(first + 1 + ((nextShift + j) % (n - 1))) % n]);
    out.push(replicas);
  }
  return out;
}

/**
 * Choose a leader for a partition whose leader is gone (or none): a live ISR member, else, if the topic
 * allows it, any live replica (unclean: the ISR becomes just that replica), else none.
 */
function electLeader(
  live: Record<number, number>,
  ps: PartitionState,
  unclean: boolean,
  choice: number,
): { state: PartitionState; election: Omit<Election, "topic" | "partition"> } {
  const clean = ps.replicas.filter((r) => live[r] !== undefined && ps.isr.includes(r));
  if (clean.length > 0) {
    const leader = clean[choice % clean.length];
    const isr = ps.isr.filter((r) => live[r] !== undefined);
    return {
      state: { ...ps, leader, isr, leaderEpoch: ps.leaderEpoch + 1, version: ps.version + 1 },
      election: { leader, candidates: clean, unclean: false },
    };
  }
  if (unclean) {
    const dirty = ps.replicas.filter((r) => live[r] !== undefined);
    if (dirty.length > 0) {
      const leader = dirty[choice % dirty.length];
      return {
        state: { ...ps, leader, isr: [leader], leaderEpoch: ps.leaderEpoch + 1, version: ps.version + 1 },
        election: { leader, candidates: dirty, unclean: true },
      };
    }
  }
  // No leader: Kafka keeps the last ISR member in the ISR so a clean election stays possible later.
  const isr = ps.isr.filter((r) => live[r] !== undefined);
  const changed = ps.leader !== null;
  return {
    state: changed
      ? {
          ...ps,
          leader: null,
          isr: isr.length > 0 ? isr : ps.isr.slice(-1),
          leaderEpoch: ps.leaderEpoch + 1,
          version: ps.version + 1,
        }
      : ps,
    election: { leader: null, candidates: [], unclean: false },
  };
}

/**
 * Bring every partition in line with the live set: elect where the leader is gone, drop dead followers
 * from the ISR (a controller-made ISR change bumps the leader epoch, as Kafka's does).
 */
function reconcile(ctx: ControllerContext, live: Record<number, number>, choice: number) {
  const topics: Record<string, TopicState> = {};
  const changed: TopicPartition[] = [];
  const elections: Election[] = [];
  let k = 0;
  for (const [topic, ts] of Object.entries(ctx.topics)) {
    let parts: PartitionState[] | null = null;
    ts.partitions.forEach((ps, partition) => {
      let next = ps;
      if (ps.leader === null || live[ps.leader] === undefined) {
        const r = electLeader(live, ps, ts.config.uncleanLeaderElection, choice + k++);
        next = r.state;
        if (next !== ps) elections.push({ topic, partition, ...r.election });
      } else if (ps.isr.some((b) => live[b] === undefined)) {
        const isr = ps.isr.filter((b) => live[b] !== undefined);
        next = { ...ps, isr, leaderEpoch: ps.leaderEpoch + 1, version: ps.version + 1 };
      }
      if (next !== ps) {
        parts ??= [...ts.partitions];
        parts[partition] = next;
        changed.push({ topic, partition });
      }
    });
    topics[topic] = parts === null ? ts : { ...ts, partitions: parts };
  }
  return { topics, changed, elections };
}

export const controllerMachine = setup({
  types: {
    context: {} as ControllerContext,
    events: {} as ControllerEvent,
  },
  guards: {
    topicExists: ({ context, event }) =>
      (event.type === "CREATE_TOPIC" || event.type === "ADD_PARTITIONS") &&
      context.topics[event.topic] !== undefined,
    invalidPartitions: ({ context, event }) =>
      (event.type === "CREATE_TOPIC" && event.partitions < 1) ||
      (event.type === "ADD_PARTITIONS" &&
        context.topics[event.topic] !== undefined &&
        event.totalCount <= context.topics[event.topic].partitions.length),
    invalidReplicationFactor: ({ context, event }) => {
      const live = Object.keys(context.live).length;
      if (event.type === "CREATE_TOPIC") return event.replicationFactor < 1 || event.replicationFactor > live;
      // New partitions get the topic's replication factor, which needs as many live brokers.
      if (event.type === "ADD_PARTITIONS") {
        const ts = context.topics[event.topic];
        return ts !== undefined && ts.partitions[0].replicas.length > live;
      }
      return false;
    },
    isrVersionMatches: ({ context, event }) => {
      if (event.type !== "ISR_UPDATE") return false;
      const ps = context.topics[event.topic]?.partitions[event.partition];
      return ps !== undefined && ps.version === event.version && ps.leaderEpoch === event.leaderEpoch;
    },
    epochCurrent: ({ context, event }) =>
      event.type === "CONTROLLER_WRITE" &&
      event.epoch === context.epoch &&
      context.topics[event.topic]?.partitions[event.partition] !== undefined,
  },
  actions: {
    clearOutputs: assign({ reply: null, changed: [], elections: [] }),
    becomeController: assign(({ context, event }) => {
      if (event.type !== "CONTROLLER_ELECTED") return {};
      // Failover: the new controller reads the whole state and repairs what changed while nobody watched.
      // It then sends LeaderAndIsr for every partition; brokers ignore the ones whose epoch they already have.
      const r = reconcile(context, context.live, event.choice);
      const changed = Object.entries(r.topics).flatMap(([topic, ts]) =>
        ts.partitions.map((_, partition) => ({ topic, partition })),
      );
      return {
        controller: event.broker,
        epoch: context.epoch + 1,
        ...r,
        changed,
        reply: { ok: true } as const,
      };
    }),
    loseController: assign({ controller: null }),
    recordRegistration: assign(({ context, event }) =>
      event.type === "BROKER_REGISTERED"
        ? { live: { ...context.live, [event.broker]: event.brokerEpoch } }
        : {},
    ),
    recordDeregistration: assign(({ context, event }) => {
      if (event.type !== "BROKER_DEREGISTERED") return {};
      const live = { ...context.live };
      delete live[event.broker];
      return { live };
    }),
    reconcileLiveness: assign(({ context, event }) => {
      const choice = "choice" in event ? event.choice : 0;
      const r = reconcile(context, context.live, choice);
      if (event.type !== "BROKER_REGISTERED") return r;
      // A (re)started broker is told the state of every partition it holds a replica of.
      const changed = [...r.changed];
      for (const [topic, ts] of Object.entries(r.topics))
        ts.partitions.forEach((ps, partition) => {
          if (
            ps.replicas.includes(event.broker) &&
            !changed.some((c) => c.topic === topic && c.partition === partition)
          )
            changed.push({ topic, partition });
        });
      return { ...r, changed };
    }),
    createTopic: assign(({ context, event }) => {
      if (event.type !== "CREATE_TOPIC") return {};
      const brokers = Object.keys(context.live).map(Number);
      const placement = assignReplicas(
        brokers,
        event.partitions,
        event.replicationFactor,
        event.startIndex % brokers.length,
        event.shift % brokers.length,
      );
      const partitions = placement.map((replicas) => ({
        replicas,
        leader: replicas[0],
        leaderEpoch: 0,
        isr: [...replicas],
        version: 0,
      }));
      return {
        topics: { ...context.topics, [event.topic]: { config: event.config, partitions } },
        changed: partitions.map((_, partition) => ({ topic: event.topic, partition })),
        reply: { ok: true } as const,
      };
    }),
    addPartitions: assign(({ context, event }) => {
      if (event.type !== "ADD_PARTITIONS") return {};
      const ts = context.topics[event.topic];
      const brokers = Object.keys(context.live)
        .map(Number)
        .sort((a, b) => a - b);
      // Kafka continues the layout from the broker holding partition 0's first replica.
      const startIndex = Math.max(
        0,
        brokers.findIndex((b) => b >= ts.partitions[0].replicas[0]),
      );
      const rf = ts.partitions[0].replicas.length;
      const existing = ts.partitions.length;
      const placement = assignReplicas(
        brokers,
        event.totalCount - existing,
        rf,
        startIndex,
        startIndex,
        existing,
      );
      const added = placement.map((replicas) => ({
        replicas,
        leader: replicas[0],
        leaderEpoch: 0,
        isr: [...replicas],
        version: 0,
      }));
      return {
        topics: { ...context.topics, [event.topic]: { ...ts, partitions: [...ts.partitions, ...added] } },
        changed: added.map((_, i) => ({ topic: event.topic, partition: existing + i })),
        reply: { ok: true } as const,
      };
    }),
    applyIsrUpdate: assign(({ context, event }) => {
      if (event.type !== "ISR_UPDATE") return {};
      const ts = context.topics[event.topic];
      const partitions = [...ts.partitions];
      const ps = partitions[event.partition];
      partitions[event.partition] = { ...ps, isr: [...event.isr], version: ps.version + 1 };
      return {
        topics: { ...context.topics, [event.topic]: { ...ts, partitions } },
        reply: { ok: true } as const,
      };
    }),
    applyControllerWrite: assign(({ context, event }) => {
      if (event.type !== "CONTROLLER_WRITE") return {};
      const ts = context.topics[event.topic];
      const partitions = [...ts.partitions];
      const ps = partitions[event.partition];
      partitions[event.partition] = {
        ...ps,
        leader: event.leader,
        isr: [...event.isr],
        leaderEpoch: ps.leaderEpoch + 1,
        version: ps.version + 1,
      };
      return {
        topics: { ...context.topics, [event.topic]: { ...ts, partitions } },
        changed: [{ topic: event.topic, partition: event.partition }],
        reply: { ok: true } as const,
      };
    }),
    replyTopicExists: assign({ reply: { ok: false, error: "TOPIC_ALREADY_EXISTS" } as const }),
    replyUnknownTopic: assign({ reply: { ok: false, error: "UNKNOWN_TOPIC_OR_PARTITION" } as const }),
    replyInvalidPartitions: assign({ reply: { ok: false, error: "INVALID_PARTITIONS" } as const }),
    replyInvalidReplicationFactor: assign({
      reply: { ok: false, error: "INVALID_REPLICATION_FACTOR" } as const,
    }),
    replyNotController: assign({ reply: { ok: false, error: "NOT_CONTROLLER" } as const }),
    replyFencedLeaderEpoch: assign({ reply: { ok: false, error: "FENCED_LEADER_EPOCH" } as const }),
    replyStaleControllerEpoch: assign({ reply: { ok: false, error: "STALE_CONTROLLER_EPOCH" } as const }),
  },
}).createMachine({
  id: "controller",
  context: { controller: null, epoch: 0, live: {}, topics: {}, reply: null, changed: [], elections: [] },
  initial: "noController",
  states: {
    noController: {
      on: {
        CONTROLLER_ELECTED: { target: "active", actions: ["clearOutputs", "becomeController"] },
        BROKER_REGISTERED: { target: "noController", actions: ["clearOutputs", "recordRegistration"] },
        BROKER_DEREGISTERED: { target: "noController", actions: ["clearOutputs", "recordDeregistration"] },
        CREATE_TOPIC: { target: "noController", actions: ["clearOutputs", "replyNotController"] },
        ADD_PARTITIONS: { target: "noController", actions: ["clearOutputs", "replyNotController"] },
        ISR_UPDATE: [
          { guard: "isrVersionMatches", target: "noController", actions: ["clearOutputs", "applyIsrUpdate"] },
          { target: "noController", actions: ["clearOutputs", "replyFencedLeaderEpoch"] },
        ],
        // Nobody holds /controller: a write claiming to be a controller's is refused whatever its epoch (the
        // last controller resigned when its session expired).
        CONTROLLER_WRITE: { target: "noController", actions: ["clearOutputs", "replyStaleControllerEpoch"] },
      },
    },
    active: {
      on: {
        CONTROLLER_GONE: { target: "noController", actions: ["clearOutputs", "loseController"] },
        BROKER_REGISTERED: {
          target: "active",
          actions: ["clearOutputs", "recordRegistration", "reconcileLiveness"],
        },
        BROKER_DEREGISTERED: {
          target: "active",
          actions: ["clearOutputs", "recordDeregistration", "reconcileLiveness"],
        },
        CREATE_TOPIC: [
          { guard: "topicExists", target: "active", actions: ["clearOutputs", "replyTopicExists"] },
          {
            guard: "invalidPartitions",
            target: "active",
            actions: ["clearOutputs", "replyInvalidPartitions"],
          },
          {
            guard: "invalidReplicationFactor",
            target: "active",
            actions: ["clearOutputs", "replyInvalidReplicationFactor"],
          },
          { target: "active", actions: ["clearOutputs", "createTopic"] },
        ],
        ADD_PARTITIONS: [
          {
            guard: "invalidPartitions",
            target: "active",
            actions: ["clearOutputs", "replyInvalidPartitions"],
          },
          {
            guard: "invalidReplicationFactor",
            target: "active",
            actions: ["clearOutputs", "replyInvalidReplicationFactor"],
          },
          { guard: "topicExists", target: "active", actions: ["clearOutputs", "addPartitions"] },
          { target: "active", actions: ["clearOutputs", "replyUnknownTopic"] },
        ],
        ISR_UPDATE: [
          { guard: "isrVersionMatches", target: "active", actions: ["clearOutputs", "applyIsrUpdate"] },
          { target: "active", actions: ["clearOutputs", "replyFencedLeaderEpoch"] },
        ],
        CONTROLLER_WRITE: [
          { guard: "epochCurrent", target: "active", actions: ["clearOutputs", "applyControllerWrite"] },
          { target: "active", actions: ["clearOutputs", "replyStaleControllerEpoch"] },
        ],
      },
    },
  },
});

export type ControllerMachine = typeof controllerMachine;
