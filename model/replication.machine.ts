/**
 * One partition's replication: every replica's log (entries {offset, epoch, value}), log end offset,
 * high watermark and leader-epoch cache; the leader's ISR; produce with acks 0/1/all.
 *
 * Rules (Kafka's, ZooKeeper era):
 * - The leader's high watermark is the minimum log end offset over its ISR, and never goes back.
 *   Kafka's default advances it whatever the ISR size; KIP-966's "only while ISR >= min.insync.replicas"
 *   is not the default and is not modelled.
 * - acks=all: refused with NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas before the
 *   append; once the high watermark passes the record it succeeds, or fails with
 *   NOT_ENOUGH_REPLICAS_AFTER_APPEND if the ISR shrank below min.insync.replicas meanwhile.
 * - A follower leaves the ISR after replica.lag.time.max.ms without catching up, and rejoins when its log
 *   end reaches the leader's high watermark. ISR changes need the leader to reach the metadata store.
 * - A follower that (re)starts following truncates by leader epoch (KIP-101 with KIP-279's rule: the
 *   leader answers the end offset of the largest epoch it has at or below the follower's), never to its
 *   high watermark alone.
 * - The follower learns the high watermark one fetch late, as in Kafka: a fetch first reports the
 *   follower's position to the leader, then returns records and the leader's high watermark.
 */
import { assign, setup } from "xstate";
import type { KafkaErrorName } from "../spec/errors.ts";
import type { Acks, BrokerId } from "../spec/operations.ts";
import { type LogEntry, ReplicaLog } from "./log.ts";

export type { LogEntry };

export interface ReplicaState {
  broker: BrokerId;
  /** The log from offset 0 (the model keeps no retention): entry i has offset i. */
  log: ReplicaLog;
  hw: number;
  /** [epoch, startOffset], ascending. */
  epochCache: Array<[number, number]>;
  online: boolean;
  /** Must reconcile with the leader by epoch before it fetches (became follower, or restarted). */
  needsTruncation: boolean;
  /** Entries below this survive a crash (log.flush.interval.messages; 0 = all, kill -9 keeps page cache). */
  flushed: number;
  /** The leader's view: the follower's log end as of its last fetch, and when it last caught up. */
  leoSeenByLeader: number;
  lastCaughtUpMs: number;
}

export type AppendResult =
  | { ok: true; offset: number }
  /** maybeApplied: the record may be (or become) part of the log, so the outcome is unknown. */
  | { ok: false; error: KafkaErrorName; maybeApplied: boolean };

export interface Truncation {
  broker: BrokerId;
  from: number;
  to: number;
}

export interface ReplicationContext {
  topic: string;
  partition: number;
  replicas: BrokerId[];
  leader: BrokerId | null;
  leaderEpoch: number;
  /** The highest controller epoch seen in a LeaderAndIsr: older ones are fenced. */
  controllerEpoch: number;
  /** The leader's own ISR. */
  isr: BrokerId[];
  minIsr: number;
  lagMaxMs: number;
  requestTimeoutMs: number;
  flushIntervalMessages: number;
  now: number;
  replicaStates: Record<number, ReplicaState>;
  waiting: Array<{ id: number; offset: number; deadline: number }>;
  /** Produce results completed by the last event. */
  outbox: Array<{ id: number; result: AppendResult }>;
  /** Whether the last event changed the leader's ISR (the shell writes it to the metadata store). */
  isrChanged: boolean;
  truncations: Truncation[];
}

export interface ReplicationInput {
  topic: string;
  partition: number;
  replicas: BrokerId[];
  minIsr: number;
  lagMaxMs: number;
  requestTimeoutMs: number;
  flushIntervalMessages: number;
  now: number;
}

export type ReplicationEvent =
  | {
      type: "LEADER_AND_ISR";
      leader: BrokerId | null;
      leaderEpoch: number;
      isr: BrokerId[];
      replicas: BrokerId[];
      controllerEpoch: number;
    }
  | {
      type: "APPEND";
      id: number;
      key: string | null;
      value: string;
      headers?: Record<string, string>;
      acks: Acks;
    }
  | {
      type: "REPLICA_FETCH";
      follower: BrokerId;
      canWriteIsr: boolean;
      /** The leader handled the request but the follower never got the response (it crashed, or the
       * connection broke): the leader's view advances, the follower's does not. */
      responseLost?: boolean;
    }
  | { type: "TICK"; now: number; canWriteIsr: boolean }
  /** The replica's process stops: a crash keeps only what was flushed; a clean stop (`clean`) flushes first. */
  | { type: "REPLICA_CRASH"; broker: BrokerId; clean?: boolean }
  | { type: "REPLICA_RESTART"; broker: BrokerId };

export function logEndOffset(r: ReplicaState): number {
  return r.log.length;
}

/** The epoch cache after appending entries of `epoch` at `start` (later empty epochs are replaced). */
function assignEpoch(cache: Array<[number, number]>, epoch: number, start: number): Array<[number, number]> {
  const last = cache[cache.length - 1];
  if (last !== undefined && last[0] >= epoch) return cache;
  const kept = cache.filter(([, s]) => s < start);
  kept.push([epoch, start]);
  return kept;
}

/**
 * The leader's OffsetsForLeaderEpoch answer: the largest epoch it has at or below `epoch`, and where that
 * epoch ends in its log (the next epoch's start, or its log end). When it has none, its first epoch's start.
 */
export function endOffsetForEpoch(
  cache: ReadonlyArray<[number, number]>,
  logEnd: number,
  epoch: number,
): { epoch: number; endOffset: number } {
  let i = cache.length - 1;
  while (i >= 0 && cache[i][0] > epoch) i--;
  if (i < 0) return { epoch: -1, endOffset: cache.length > 0 ? cache[0][1] : logEnd };
  return { epoch: cache[i][0], endOffset: i + 1 < cache.length ? cache[i + 1][1] : logEnd };
}

/**
 * Where a follower must truncate to, by epoch (KIP-101/KIP-279): never decided by its high watermark. As Kafka's
 * AbstractFetcherThread.getOffsetTruncationState: when the leader answers an epoch the follower does not have,
 * the follower truncates to the end of its own largest epoch below that one and asks again with its new latest
 * epoch, until both sides name the same epoch (one round is not enough when the two logs diverged more than one
 * epoch back: model target, seed 8, pause and membership faults).
 */
export function truncationOffset(follower: ReplicaState, leader: ReplicaState): number {
  const leaderEnd = logEndOffset(leader);
  let end = logEndOffset(follower);
  let cache: ReadonlyArray<[number, number]> = follower.epochCache;
  for (;;) {
    const last = cache[cache.length - 1];
    if (last === undefined) return 0;
    const answer = endOffsetForEpoch(leader.epochCache, leaderEnd, last[0]);
    if (answer.epoch === last[0] || answer.epoch === -1) return Math.min(answer.endOffset, end);
    const own = endOffsetForEpoch(cache, end, answer.epoch);
    if (own.epoch === answer.epoch) return Math.min(answer.endOffset, own.endOffset, end);
    // The leader lacks our latest epoch and we lack its: drop our epochs above the one we share, ask again.
    end = Math.min(own.endOffset, end);
    const to = end;
    cache = cache.filter(([, start]) => start < to);
  }
}

function truncate(r: ReplicaState, to: number): ReplicaState {
  if (to >= r.log.length) return r.needsTruncation ? { ...r, needsTruncation: false } : r;
  return {
    ...r,
    log: r.log.truncate(to),
    epochCache: r.epochCache.filter(([, start]) => start < to),
    hw: Math.min(r.hw, to),
    flushed: Math.min(r.flushed, to),
    needsTruncation: false,
  };
}

function flushedAfter(ctx: ReplicationContext, r: ReplicaState, newEnd: number): number {
  const n = ctx.flushIntervalMessages;
  if (n <= 0) return newEnd;
  return Math.max(newEnd - (newEnd % n), r.flushed);
}

/** min LEO over the leader's ISR as the leader knows it; monotone. */
function leaderHighWatermark(ctx: ReplicationContext, states: Record<number, ReplicaState>): number {
  const leader = ctx.leader;
  if (leader === null) return 0;
  const l = states[leader];
  let hw = logEndOffset(l);
  for (const b of ctx.isr) if (b !== leader) hw = Math.min(hw, states[b]?.leoSeenByLeader ?? 0);
  return Math.max(l.hw, hw);
}

/** Complete the waiting acks=all produces that can complete. */
function settleWaiting(ctx: ReplicationContext, states: Record<number, ReplicaState>, now: number) {
  const leader = ctx.leader === null ? undefined : states[ctx.leader];
  const hw = leader?.hw ?? 0;
  const outbox = [...ctx.outbox];
  const waiting: ReplicationContext["waiting"] = [];
  for (const w of ctx.waiting) {
    if (hw > w.offset) {
      outbox.push({
        id: w.id,
        result:
          ctx.isr.length < ctx.minIsr
            ? { ok: false, error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", maybeApplied: true }
            : { ok: true, offset: w.offset },
      });
    } else if (now >= w.deadline) {
      outbox.push({ id: w.id, result: { ok: false, error: "REQUEST_TIMED_OUT", maybeApplied: true } });
    } else waiting.push(w);
  }
  return { outbox, waiting };
}

const initialReplica = (broker: BrokerId): ReplicaState => ({
  broker,
  log: ReplicaLog.EMPTY,
  hw: 0,
  epochCache: [],
  online: true,
  needsTruncation: false,
  flushed: 0,
  leoSeenByLeader: 0,
  lastCaughtUpMs: 0,
});

const NO_INPUT: ReplicationInput = {
  topic: "",
  partition: 0,
  replicas: [],
  minIsr: 1,
  lagMaxMs: 0,
  requestTimeoutMs: 0,
  flushIntervalMessages: 0,
  now: 0,
};

export const replicationMachine = setup({
  types: {
    context: {} as ReplicationContext,
    events: {} as ReplicationEvent,
    input: {} as ReplicationInput,
  },
  guards: {
    // A LeaderAndIsr from a controller older than one this partition has heard from (STALE_CONTROLLER_EPOCH).
    staleController: ({ context, event }) =>
      event.type === "LEADER_AND_ISR" && event.controllerEpoch < context.controllerEpoch,
    // Nothing new for this partition (a controller re-sending state on failover or broker startup).
    staleLeaderEpoch: ({ context, event }) =>
      event.type === "LEADER_AND_ISR" && event.leaderEpoch <= context.leaderEpoch,
    noLeader: ({ event }) => event.type === "LEADER_AND_ISR" && event.leader === null,
    hasLeader: ({ event }) => event.type === "LEADER_AND_ISR" && event.leader !== null,
    notEnoughReplicas: ({ context, event }) =>
      event.type === "APPEND" && event.acks === -1 && context.isr.length < context.minIsr,
    canFetch: ({ context, event }) => {
      if (event.type !== "REPLICA_FETCH" || context.leader === null || event.follower === context.leader)
        return false;
      const f = context.replicaStates[event.follower];
      const l = context.replicaStates[context.leader];
      if (f === undefined || l === undefined || !f.online || !l.online) return false;
      // A fetch that would change nothing is not taken, so a quiet partition is a fixed point.
      const fEnd = logEndOffset(f);
      return (
        f.needsTruncation ||
        fEnd !== logEndOffset(l) ||
        f.hw < l.hw ||
        f.leoSeenByLeader !== fEnd ||
        f.lastCaughtUpMs < context.now ||
        (!context.isr.includes(f.broker) && event.canWriteIsr)
      );
    },
  },
  actions: {
    clearOutputs: assign({ outbox: [], isrChanged: false, truncations: [] }),
    noteControllerEpoch: assign(({ context, event }) =>
      event.type === "LEADER_AND_ISR"
        ? { controllerEpoch: Math.max(context.controllerEpoch, event.controllerEpoch) }
        : {},
    ),
    becomeLeaderAndIsr: assign(({ context, event }) => {
      if (event.type !== "LEADER_AND_ISR") return {};
      const states: Record<number, ReplicaState> = { ...context.replicaStates };
      for (const b of event.replicas) states[b] ??= initialReplica(b);
      for (const key of Object.keys(states)) {
        const b = Number(key);
        const r = states[b];
        if (b === event.leader) {
          states[b] = {
            ...r,
            needsTruncation: false,
            epochCache: assignEpoch(r.epochCache, event.leaderEpoch, logEndOffset(r)),
            leoSeenByLeader: logEndOffset(r),
          };
        } else {
          // Every follower of a new epoch reconciles by epoch before fetching again (KIP-101).
          states[b] = {
            ...r,
            needsTruncation: event.leader !== null,
            leoSeenByLeader: 0,
            lastCaughtUpMs: context.now,
          };
        }
      }
      const leaderChanged = event.leader !== context.leader;
      const outbox = leaderChanged
        ? context.waiting.map((w) => ({
            id: w.id,
            result: { ok: false, error: "NOT_LEADER_OR_FOLLOWER", maybeApplied: true } as AppendResult,
          }))
        : [];
      return {
        leader: event.leader,
        leaderEpoch: event.leaderEpoch,
        controllerEpoch: event.controllerEpoch,
        isr: [...event.isr],
        replicas: [...event.replicas],
        replicaStates: states,
        waiting: leaderChanged ? [] : context.waiting,
        outbox,
      };
    }),
    replyLeaderNotAvailable: assign(({ event }) => ({
      outbox:
        event.type === "APPEND"
          ? [
              {
                id: event.id,
                result: { ok: false, error: "LEADER_NOT_AVAILABLE", maybeApplied: false } as AppendResult,
              },
            ]
          : [],
    })),
    replyNotEnoughReplicas: assign(({ event }) => ({
      outbox:
        event.type === "APPEND"
          ? [
              {
                id: event.id,
                result: { ok: false, error: "NOT_ENOUGH_REPLICAS", maybeApplied: false } as AppendResult,
              },
            ]
          : [],
    })),
    append: assign(({ context, event }) => {
      if (event.type !== "APPEND" || context.leader === null) return {};
      const l = context.replicaStates[context.leader];
      if (l === undefined)
        throw new Error(`leader ${context.leader} of ${context.topic}-${context.partition} has no replica`);
      const offset = logEndOffset(l);
      const entry: LogEntry = { offset, epoch: context.leaderEpoch, value: event.value, key: event.key };
      if (event.headers !== undefined) entry.headers = event.headers;
      const leader: ReplicaState = {
        ...l,
        log: l.log.append(entry),
        epochCache: assignEpoch(l.epochCache, context.leaderEpoch, offset),
      };
      leader.flushed = flushedAfter(context, l, offset + 1);
      leader.leoSeenByLeader = offset + 1;
      const states = { ...context.replicaStates, [context.leader]: leader };
      leader.hw = leaderHighWatermark(context, states);
      const waiting =
        event.acks === -1
          ? [...context.waiting, { id: event.id, offset, deadline: context.now + context.requestTimeoutMs }]
          : context.waiting;
      const base = {
        ...context,
        waiting,
        outbox: event.acks === -1 ? [] : [{ id: event.id, result: { ok: true, offset } as AppendResult }],
      };
      return { replicaStates: states, ...settleWaiting(base, states, context.now) };
    }),
    fetch: assign(({ context, event }) => {
      if (event.type !== "REPLICA_FETCH" || context.leader === null) return {};
      const states = { ...context.replicaStates };
      let f = states[event.follower];
      let l = states[context.leader];
      const truncations: Truncation[] = [];
      if (f.needsTruncation) {
        const to = truncationOffset(f, l);
        if (to < logEndOffset(f)) truncations.push({ broker: f.broker, from: logEndOffset(f), to });
        f = truncate(f, to);
      }
      // 1. The leader learns the follower's position.
      const pos = logEndOffset(f);
      const leaderEnd = logEndOffset(l);
      f = { ...f, leoSeenByLeader: pos, lastCaughtUpMs: pos >= leaderEnd ? context.now : f.lastCaughtUpMs };
      states[f.broker] = f;
      let isr = context.isr;
      let isrChanged = false;
      const epochStart = l.epochCache[l.epochCache.length - 1]?.[1] ?? 0;
      if (!isr.includes(f.broker) && event.canWriteIsr && pos >= l.hw && pos >= epochStart) {
        isr = [...isr, f.broker];
        isrChanged = true;
      }
      l = { ...l, hw: leaderHighWatermark({ ...context, isr }, states) };
      states[l.broker] = l;
      // 2. The response: records past the follower's end, and the leader's high watermark.
      if (event.responseLost === true) {
        const next = { ...context, isr };
        return {
          replicaStates: states,
          isr,
          isrChanged,
          truncations,
          ...settleWaiting(next, states, context.now),
        };
      }
      if (pos < leaderEnd) {
        let cache = f.epochCache;
        for (let o = pos; o < leaderEnd; o++) cache = assignEpoch(cache, l.log.at(o).epoch, o);
        f = { ...f, log: f.log.appendAll(l.log.slice(pos)), epochCache: cache };
        f.flushed = flushedAfter(context, states[f.broker], leaderEnd);
      }
      f = { ...f, hw: Math.max(f.hw, Math.min(l.hw, logEndOffset(f))) };
      states[f.broker] = f;
      const next = { ...context, isr };
      return {
        replicaStates: states,
        isr,
        isrChanged,
        truncations,
        ...settleWaiting(next, states, context.now),
      };
    }),
    tick: assign(({ context, event }) => {
      if (event.type !== "TICK") return {};
      const now = Math.max(context.now, event.now);
      let isr = context.isr;
      let states = context.replicaStates;
      let isrChanged = false;
      const leader = context.leader === null ? undefined : states[context.leader];
      if (leader?.online && event.canWriteIsr) {
        const kept = isr.filter(
          (b) => b === leader.broker || now - (states[b]?.lastCaughtUpMs ?? 0) <= context.lagMaxMs,
        );
        if (kept.length !== isr.length) {
          isr = kept;
          isrChanged = true;
          states = {
            ...states,
            [leader.broker]: { ...leader, hw: leaderHighWatermark({ ...context, isr }, states) },
          };
        }
      }
      return {
        now,
        isr,
        isrChanged,
        replicaStates: states,
        ...settleWaiting({ ...context, isr }, states, now),
      };
    }),
    crash: assign(({ context, event }) => {
      if (event.type !== "REPLICA_CRASH") return {};
      const r = context.replicaStates[event.broker];
      if (r === undefined) return {};
      const kept = event.clean === true ? r : truncate(r, r.flushed);
      const states = {
        ...context.replicaStates,
        [event.broker]: { ...kept, online: false, needsTruncation: true },
      };
      // The leader's pending produces lose their connection: the client cannot know what happened.
      const lost = event.broker === context.leader;
      return {
        replicaStates: states,
        waiting: lost ? [] : context.waiting,
        outbox: lost
          ? context.waiting.map((w) => ({
              id: w.id,
              result: { ok: false, error: "NETWORK_EXCEPTION", maybeApplied: true } as AppendResult,
            }))
          : [],
      };
    }),
    restart: assign(({ context, event }) => {
      if (event.type !== "REPLICA_RESTART") return {};
      const r = context.replicaStates[event.broker];
      if (r === undefined) return {};
      return {
        replicaStates: {
          ...context.replicaStates,
          [event.broker]: { ...r, online: true, needsTruncation: true },
        },
      };
    }),
  },
}).createMachine({
  id: "replication",
  // xstate's pure transition() builds a throwaway actor without input on every step: give it a cheap context.
  context: ({ input = NO_INPUT }) => {
    const replicaStates: Record<number, ReplicaState> = {};
    for (const b of input.replicas) replicaStates[b] = initialReplica(b);
    return {
      topic: input.topic,
      partition: input.partition,
      replicas: [...input.replicas],
      leader: null,
      leaderEpoch: -1,
      controllerEpoch: 0,
      isr: [],
      minIsr: input.minIsr,
      lagMaxMs: input.lagMaxMs,
      requestTimeoutMs: input.requestTimeoutMs,
      flushIntervalMessages: input.flushIntervalMessages,
      now: input.now,
      replicaStates,
      waiting: [],
      outbox: [],
      isrChanged: false,
      truncations: [],
    };
  },
  initial: "offline",
  states: {
    offline: {
      on: {
        // A leaderless update while already leaderless is not acted on: the next election carries a newer epoch.
        LEADER_AND_ISR: [
          { guard: "staleController", target: "offline", actions: "clearOutputs" },
          { guard: "staleLeaderEpoch", target: "offline", actions: ["clearOutputs", "noteControllerEpoch"] },
          { guard: "hasLeader", target: "online", actions: ["clearOutputs", "becomeLeaderAndIsr"] },
        ],
        APPEND: { target: "offline", actions: ["clearOutputs", "replyLeaderNotAvailable"] },
        TICK: { target: "offline", actions: ["clearOutputs", "tick"] },
        REPLICA_CRASH: { target: "offline", actions: ["clearOutputs", "crash"] },
        REPLICA_RESTART: { target: "offline", actions: ["clearOutputs", "restart"] },
      },
    },
    online: {
      on: {
        LEADER_AND_ISR: [
          { guard: "staleController", target: "online", actions: "clearOutputs" },
          { guard: "staleLeaderEpoch", target: "online", actions: ["clearOutputs", "noteControllerEpoch"] },
          { guard: "noLeader", target: "offline", actions: ["clearOutputs", "becomeLeaderAndIsr"] },
          { target: "online", actions: ["clearOutputs", "becomeLeaderAndIsr"] },
        ],
        APPEND: [
          {
            guard: "notEnoughReplicas",
            target: "online",
            actions: ["clearOutputs", "replyNotEnoughReplicas"],
          },
          { target: "online", actions: ["clearOutputs", "append"] },
        ],
        REPLICA_FETCH: { guard: "canFetch", target: "online", actions: ["clearOutputs", "fetch"] },
        TICK: { target: "online", actions: ["clearOutputs", "tick"] },
        REPLICA_CRASH: { target: "online", actions: ["clearOutputs", "crash"] },
        REPLICA_RESTART: { target: "online", actions: ["clearOutputs", "restart"] },
      },
    },
  },
});

export type ReplicationMachine = typeof replicationMachine;
