/**
 * One consumer group at its coordinator (Kafka's classic group protocol, GroupCoordinator's states
 * Empty, PreparingRebalance, CompletingRebalance, Stable, Dead).
 *
 * - Join: a join opens a rebalance; pending joins complete together when every known member has rejoined,
 *   or when the rebalance timeout passes (members that did not rejoin are dropped). Each completed join
 *   phase hands out the next generation to all its members; the first joiner leads unless the old leader
 *   rejoined. (group.initial.rebalance.delay.ms is not modelled: the join phase ends as soon as it can.)
 * - Sync: the leader's assignment is stored and sent to every member; a follower's sync waits for it.
 * - Heartbeat: REBALANCE_IN_PROGRESS during PreparingRebalance; ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID
 *   when fenced; a member silent for its session timeout is removed.
 * - Commit: fenced by generation; a commit with generation -1 and no member id ("simple" commit) is
 *   accepted only while the group is Empty.
 * - Dead: the coordinator unloaded the group, or an Empty group's offsets expired. Final: the shell starts
 *   a new group of the same id on the next request.
 */
import { assign, setup } from "xstate";
import type { KafkaErrorName } from "../spec/errors.ts";
import type { Assignor, OkValues, Outcome, TopicPartition } from "../spec/operations.ts";

export interface GroupMember {
  memberId: string;
  client: string;
  topics: string[];
  assignor: Assignor;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  lastHeartbeatMs: number;
  assignment: TopicPartition[];
}

export interface GroupContext {
  groupId: string;
  generation: number;
  protocol: Assignor | null;
  leader: string | null;
  members: Record<string, GroupMember>;
  /** Members that joined in the current join phase -> their pending JoinGroup request. */
  pendingJoins: Record<string, number>;
  /** Followers waiting for the leader's SyncGroup -> their pending request. */
  pendingSyncs: Record<string, number>;
  rebalanceDeadlineMs: number;
  now: number;
  offsets: Record<string, number>;
  lastCommitMs: number;
  /** When the group last became Empty: KIP-211 counts offset retention from there (or the last commit). */
  emptySinceMs: number;
  offsetsRetentionMs: number;
  nextMemberSeq: number;
  /** Responses completed by the last event, by request id. */
  outbox: Array<{ id: number; outcome: Outcome }>;
}

export interface GroupInput {
  groupId: string;
  now: number;
  offsetsRetentionMs: number;
  /** A group loaded by a new coordinator keeps its generation and offsets. */
  generation?: number;
  offsets?: Record<string, number>;
}

export type GroupEvent =
  | {
      type: "JOIN";
      id: number;
      client: string;
      topics: string[];
      assignor: Assignor;
      sessionTimeoutMs: number;
      rebalanceTimeoutMs: number;
    }
  | {
      type: "SYNC";
      id: number;
      client: string;
      generation: number;
      assignments?: Record<string, TopicPartition[]>;
    }
  | { type: "HEARTBEAT"; id: number; client: string; generation: number }
  | { type: "LEAVE"; id: number; client: string }
  | {
      type: "COMMIT";
      id: number;
      client: string;
      generation: number;
      offsets: Array<TopicPartition & { offset: number }>;
    }
  | { type: "TICK"; now: number }
  | { type: "UNLOAD" };

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

const okOutcome = <K extends keyof OkValues>(value: OkValues[K]): Outcome => ({ status: "ok", value });
const failOutcome = (error: KafkaErrorName): Outcome => ({ status: "failed", error });

export function memberOf(ctx: GroupContext, client: string): GroupMember | undefined {
  for (const m of Object.values(ctx.members)) if (m.client === client) return m;
  return undefined;
}

type Ev<T extends GroupEvent["type"]> = Extract<GroupEvent, { type: T }>;

/** Members still present after session expiry at `now` (members waiting in a join are not expired). */
function unexpired(ctx: GroupContext, now: number): Record<string, GroupMember> {
  const out: Record<string, GroupMember> = {};
  for (const [id, m] of Object.entries(ctx.members))
    if (ctx.pendingJoins[id] !== undefined || now - m.lastHeartbeatMs < m.sessionTimeoutMs) out[id] = m;
  return out;
}

const allJoined = (members: Record<string, GroupMember>, pending: Record<string, number>) =>
  Object.keys(members).every((id) => pending[id] !== undefined);

/** Close the join phase: next generation, leader, and a response for every pending joiner. */
function completeJoin(ctx: GroupContext): Partial<GroupContext> {
  const members: Record<string, GroupMember> = {};
  for (const [id, m] of Object.entries(ctx.members)) if (ctx.pendingJoins[id] !== undefined) members[id] = m;
  const ids = Object.keys(members);
  const generation = ctx.generation + 1;
  const outbox = [...ctx.outbox];
  if (ids.length === 0)
    return {
      members,
      generation,
      leader: null,
      protocol: null,
      pendingJoins: {},
      pendingSyncs: {},
      outbox,
      emptySinceMs: ctx.now,
    };
  const leader = ctx.leader !== null && members[ctx.leader] !== undefined ? ctx.leader : ids[0];
  const protocol = members[leader].assignor;
  const list = ids.map((id) => ({ memberId: id, topics: [...members[id].topics] }));
  for (const id of ids)
    outbox.push({
      id: ctx.pendingJoins[id],
      outcome: okOutcome<"joinGroup">({
        groupId: ctx.groupId,
        memberId: id,
        generation,
        leader,
        protocol,
        members: id === leader ? list : [],
      }),
    });
  for (const id of ids) members[id] = { ...members[id], assignment: [], lastHeartbeatMs: ctx.now };
  return { members, generation, leader, protocol, pendingJoins: {}, pendingSyncs: {}, outbox };
}

/** Start (or continue) a rebalance: pending syncs are told, the deadline is set if new. */
function toPreparing(ctx: GroupContext, wasPreparing: boolean): Partial<GroupContext> {
  const outbox = [...ctx.outbox];
  for (const id of Object.values(ctx.pendingSyncs))
    outbox.push({ id, outcome: failOutcome("REBALANCE_IN_PROGRESS") });
  const timeout = Math.max(0, ...Object.values(ctx.members).map((m) => m.rebalanceTimeoutMs));
  return {
    pendingSyncs: {},
    outbox,
    rebalanceDeadlineMs: wasPreparing ? ctx.rebalanceDeadlineMs : ctx.now + timeout,
  };
}

/** The context after a JOIN is recorded (before deciding whether the join phase completes). */
function withJoin(ctx: GroupContext, e: Ev<"JOIN">): GroupContext {
  const existing = memberOf(ctx, e.client);
  const memberId = existing?.memberId ?? `${e.client}-${ctx.nextMemberSeq}`;
  const member: GroupMember = {
    memberId,
    client: e.client,
    topics: [...e.topics],
    assignor: e.assignor,
    sessionTimeoutMs: e.sessionTimeoutMs,
    rebalanceTimeoutMs: e.rebalanceTimeoutMs,
    lastHeartbeatMs: ctx.now,
    assignment: existing?.assignment ?? [],
  };
  const outbox = [...ctx.outbox];
  // A member that joins again while its previous join is pending replaces it (the old one is answered).
  const previous = ctx.pendingJoins[memberId];
  if (previous !== undefined) outbox.push({ id: previous, outcome: failOutcome("UNKNOWN_MEMBER_ID") });
  return {
    ...ctx,
    members: { ...ctx.members, [memberId]: member },
    pendingJoins: { ...ctx.pendingJoins, [memberId]: e.id },
    nextMemberSeq: existing === undefined ? ctx.nextMemberSeq + 1 : ctx.nextMemberSeq,
    outbox,
  };
}

function withoutMember(ctx: GroupContext, memberId: string, answer: KafkaErrorName): GroupContext {
  const members = { ...ctx.members };
  delete members[memberId];
  const pendingJoins = { ...ctx.pendingJoins };
  const pendingSyncs = { ...ctx.pendingSyncs };
  const outbox = [...ctx.outbox];
  if (pendingJoins[memberId] !== undefined)
    outbox.push({ id: pendingJoins[memberId], outcome: failOutcome(answer) });
  if (pendingSyncs[memberId] !== undefined)
    outbox.push({ id: pendingSyncs[memberId], outcome: failOutcome(answer) });
  delete pendingJoins[memberId];
  delete pendingSyncs[memberId];
  return { ...ctx, members, pendingJoins, pendingSyncs, outbox };
}

/** The context after TICK's session expiries. */
function withExpiries(ctx: GroupContext, now: number): GroupContext {
  let next: GroupContext = { ...ctx, now };
  const kept = unexpired(next, now);
  for (const id of Object.keys(ctx.members))
    if (kept[id] === undefined) next = withoutMember(next, id, "UNKNOWN_MEMBER_ID");
  return next;
}

function rebalanceTimedOut(ctx: GroupContext, now: number): GroupContext {
  let next = withExpiries(ctx, now);
  if (now >= ctx.rebalanceDeadlineMs)
    for (const id of Object.keys(next.members))
      if (next.pendingJoins[id] === undefined) next = withoutMember(next, id, "UNKNOWN_MEMBER_ID");
  return next;
}

const reply = (ctx: GroupContext, id: number, outcome: Outcome) => ({
  outbox: [...ctx.outbox, { id, outcome }],
});

function protocolMismatch(ctx: GroupContext, e: GroupEvent): boolean {
  if (e.type !== "JOIN") return false;
  const others = Object.values(ctx.members).filter((m) => m.client !== e.client);
  return others.length > 0 && others.some((m) => m.assignor !== e.assignor);
}

const NO_INPUT: GroupInput = { groupId: "", now: 0, offsetsRetentionMs: 0 };

export const groupMachine = setup({
  types: {
    context: {} as GroupContext,
    events: {} as GroupEvent,
    input: {} as GroupInput,
  },
  guards: {
    protocolMismatch: ({ context, event }) => protocolMismatch(context, event),
    unknownMember: ({ context, event }) =>
      (event.type === "SYNC" ||
        event.type === "HEARTBEAT" ||
        event.type === "LEAVE" ||
        event.type === "COMMIT") &&
      memberOf(context, event.client) === undefined,
    simpleCommit: ({ event }) => event.type === "COMMIT" && event.generation === -1 && event.client === "",
    wrongGeneration: ({ context, event }) =>
      (event.type === "SYNC" || event.type === "HEARTBEAT" || event.type === "COMMIT") &&
      event.generation !== context.generation,
    joinCompletes: ({ context, event }) => {
      if (event.type !== "JOIN") return false;
      const next = withJoin(context, event);
      return allJoined(next.members, next.pendingJoins);
    },
    knownFollowerUnchanged: ({ context, event }) => {
      if (event.type !== "JOIN") return false;
      const m = memberOf(context, event.client);
      return (
        m !== undefined &&
        m.memberId !== context.leader &&
        m.topics.length === event.topics.length &&
        m.topics.every((t) => event.topics.includes(t))
      );
    },
    lastMemberLeaves: ({ context, event }) =>
      event.type === "LEAVE" && Object.keys(context.members).length === 1,
    leaveCompletesJoin: ({ context, event }) => {
      if (event.type !== "LEAVE") return false;
      const m = memberOf(context, event.client);
      if (m === undefined) return false;
      const next = withoutMember(context, m.memberId, "UNKNOWN_MEMBER_ID");
      return allJoined(next.members, next.pendingJoins);
    },
    isLeaderSync: ({ context, event }) =>
      event.type === "SYNC" &&
      event.assignments !== undefined &&
      memberOf(context, event.client)?.memberId === context.leader,
    expiryEmpties: ({ context, event }) =>
      event.type === "TICK" && Object.keys(withExpiries(context, event.now).members).length === 0,
    expiryRebalances: ({ context, event }) =>
      event.type === "TICK" &&
      Object.keys(withExpiries(context, event.now).members).length < Object.keys(context.members).length,
    joinPhaseEndsEmpty: ({ context, event }) => {
      if (event.type !== "TICK") return false;
      const next = rebalanceTimedOut(context, event.now);
      return allJoined(next.members, next.pendingJoins) && Object.keys(next.members).length === 0;
    },
    joinPhaseEnds: ({ context, event }) => {
      if (event.type !== "TICK") return false;
      const next = rebalanceTimedOut(context, event.now);
      return allJoined(next.members, next.pendingJoins);
    },
    offsetsExpired: ({ context, event }) =>
      event.type === "TICK" &&
      event.now - Math.max(context.lastCommitMs, context.emptySinceMs) >= context.offsetsRetentionMs,
  },
  actions: {
    clearOutbox: assign({ outbox: [] }),
    replyInconsistentProtocol: assign(({ context, event }) =>
      event.type === "JOIN" ? reply(context, event.id, failOutcome("INCONSISTENT_GROUP_PROTOCOL")) : {},
    ),
    replyUnknownMember: assign(({ context, event }) =>
      "id" in event ? reply(context, event.id, failOutcome("UNKNOWN_MEMBER_ID")) : {},
    ),
    replyIllegalGeneration: assign(({ context, event }) =>
      "id" in event ? reply(context, event.id, failOutcome("ILLEGAL_GENERATION")) : {},
    ),
    replyRebalanceInProgress: assign(({ context, event }) =>
      "id" in event ? reply(context, event.id, failOutcome("REBALANCE_IN_PROGRESS")) : {},
    ),
    // A heartbeat keeps the member's session alive even when the answer is an error about the rebalance.
    touch: assign(({ context, event }) => {
      const m = "client" in event ? memberOf(context, event.client) : undefined;
      return m === undefined
        ? {}
        : { members: { ...context.members, [m.memberId]: { ...m, lastHeartbeatMs: context.now } } };
    }),
    replyOk: assign(({ context, event }) => {
      if (!("id" in event)) return {};
      const m = "client" in event ? memberOf(context, event.client) : undefined;
      const members =
        m === undefined
          ? context.members
          : { ...context.members, [m.memberId]: { ...m, lastHeartbeatMs: context.now } };
      return { members, ...reply(context, event.id, okOutcome<"heartbeat">({})) };
    }),
    replyCurrentGeneration: assign(({ context, event }) => {
      if (event.type !== "JOIN") return {};
      const m = memberOf(context, event.client)!;
      return reply(
        context,
        event.id,
        okOutcome<"joinGroup">({
          groupId: context.groupId,
          memberId: m.memberId,
          generation: context.generation,
          leader: context.leader ?? "",
          protocol: context.protocol ?? event.assignor,
          members: [],
        }),
      );
    }),
    joinAndComplete: assign(({ context, event }) => {
      if (event.type !== "JOIN") return {};
      const joined = withJoin(context, event);
      const preparing = { ...joined, ...toPreparing(joined, false) };
      return { ...preparing, ...completeJoin(preparing) };
    }),
    joinAndWait: assign(({ context, event }) => {
      if (event.type !== "JOIN") return {};
      const joined = withJoin(context, event);
      return { ...joined, ...toPreparing(joined, false) };
    }),
    joinWhilePreparing: assign(({ context, event }) =>
      event.type === "JOIN" ? withJoin(context, event) : {},
    ),
    joinCompleteWhilePreparing: assign(({ context, event }) => {
      if (event.type !== "JOIN") return {};
      const joined = withJoin(context, event);
      return { ...joined, ...completeJoin(joined) };
    }),
    leave: assign(({ context, event }) => {
      if (event.type !== "LEAVE") return {};
      const m = memberOf(context, event.client)!;
      const next = withoutMember(context, m.memberId, "UNKNOWN_MEMBER_ID");
      return { ...next, ...reply(next, event.id, okOutcome<"leaveGroup">({})) };
    }),
    leaveAndRebalance: assign(({ context, event }) => {
      if (event.type !== "LEAVE") return {};
      const m = memberOf(context, event.client)!;
      const next = withoutMember(context, m.memberId, "UNKNOWN_MEMBER_ID");
      const answered = { ...next, ...reply(next, event.id, okOutcome<"leaveGroup">({})) };
      return { ...answered, ...toPreparing(answered, false) };
    }),
    leaveAndComplete: assign(({ context, event }) => {
      if (event.type !== "LEAVE") return {};
      const m = memberOf(context, event.client)!;
      const next = withoutMember(context, m.memberId, "UNKNOWN_MEMBER_ID");
      const answered = { ...next, ...reply(next, event.id, okOutcome<"leaveGroup">({})) };
      return { ...answered, ...completeJoin(answered) };
    }),
    leaderSync: assign(({ context, event }) => {
      if (event.type !== "SYNC" || event.assignments === undefined) return {};
      const members = { ...context.members };
      for (const id of Object.keys(members))
        members[id] = {
          ...members[id],
          assignment: [...(event.assignments[id] ?? [])],
          lastHeartbeatMs: context.now,
        };
      const outbox = [...context.outbox];
      for (const [id, req] of Object.entries(context.pendingSyncs))
        outbox.push({
          id: req,
          outcome: okOutcome<"syncGroup">({ assignment: members[id]?.assignment ?? [] }),
        });
      const leader = memberOf(context, event.client)!;
      outbox.push({
        id: event.id,
        outcome: okOutcome<"syncGroup">({ assignment: members[leader.memberId].assignment }),
      });
      return { members, pendingSyncs: {}, outbox };
    }),
    followerSyncWaits: assign(({ context, event }) => {
      if (event.type !== "SYNC") return {};
      const m = memberOf(context, event.client)!;
      const outbox = [...context.outbox];
      const previous = context.pendingSyncs[m.memberId];
      if (previous !== undefined)
        outbox.push({ id: previous, outcome: failOutcome("REBALANCE_IN_PROGRESS") });
      return {
        pendingSyncs: { ...context.pendingSyncs, [m.memberId]: event.id },
        members: { ...context.members, [m.memberId]: { ...m, lastHeartbeatMs: context.now } },
        outbox,
      };
    }),
    syncStable: assign(({ context, event }) => {
      if (event.type !== "SYNC") return {};
      const m = memberOf(context, event.client)!;
      return reply(context, event.id, okOutcome<"syncGroup">({ assignment: m.assignment }));
    }),
    storeOffsets: assign(({ context, event }) => {
      if (event.type !== "COMMIT") return {};
      const offsets = { ...context.offsets };
      for (const o of event.offsets) offsets[tpKey(o.topic, o.partition)] = o.offset;
      const m = memberOf(context, event.client);
      const members =
        m === undefined
          ? context.members
          : { ...context.members, [m.memberId]: { ...m, lastHeartbeatMs: context.now } };
      return {
        offsets,
        members,
        lastCommitMs: context.now,
        ...reply(context, event.id, okOutcome<"commitOffsets">({})),
      };
    }),
    expire: assign(({ context, event }) => (event.type === "TICK" ? withExpiries(context, event.now) : {})),
    expireAndEmpty: assign(({ context, event }) => {
      if (event.type !== "TICK") return {};
      const next = withExpiries(context, event.now);
      return { ...next, ...completeJoin(next) };
    }),
    expireAndRebalance: assign(({ context, event }) => {
      if (event.type !== "TICK") return {};
      const next = withExpiries(context, event.now);
      return { ...next, ...toPreparing(next, false) };
    }),
    endJoinPhase: assign(({ context, event }) => {
      if (event.type !== "TICK") return {};
      const next = rebalanceTimedOut(context, event.now);
      return { ...next, ...completeJoin(next) };
    }),
    tickPreparing: assign(({ context, event }) =>
      event.type === "TICK" ? withExpiries(context, event.now) : {},
    ),
    tickEmpty: assign(({ event }) => (event.type === "TICK" ? { now: event.now } : {})),
    dropOffsets: assign(({ event }) => ({
      offsets: {},
      ...(event.type === "TICK" ? { now: event.now } : {}),
    })),
    unload: assign(({ context }) => {
      const outbox = [...context.outbox];
      for (const id of [...Object.values(context.pendingJoins), ...Object.values(context.pendingSyncs)])
        outbox.push({ id, outcome: failOutcome("NOT_COORDINATOR") });
      return { outbox, pendingJoins: {}, pendingSyncs: {} };
    }),
  },
}).createMachine({
  id: "group",
  // xstate's pure transition() builds a throwaway actor without input on every step: give it a cheap context.
  context: ({ input = NO_INPUT }) => ({
    groupId: input.groupId,
    generation: input.generation ?? 0,
    protocol: null,
    leader: null,
    members: {},
    pendingJoins: {},
    pendingSyncs: {},
    rebalanceDeadlineMs: 0,
    now: input.now,
    offsets: { ...(input.offsets ?? {}) },
    lastCommitMs: input.now,
    emptySinceMs: input.now,
    offsetsRetentionMs: input.offsetsRetentionMs,
    nextMemberSeq: 1,
    outbox: [],
  }),
  initial: "Empty",
  states: {
    Empty: {
      on: {
        JOIN: { target: "CompletingRebalance", actions: ["clearOutbox", "joinAndComplete"] },
        SYNC: { target: "Empty", actions: ["clearOutbox", "replyUnknownMember"] },
        HEARTBEAT: { target: "Empty", actions: ["clearOutbox", "replyUnknownMember"] },
        LEAVE: { target: "Empty", actions: ["clearOutbox", "replyUnknownMember"] },
        COMMIT: [
          { guard: "simpleCommit", target: "Empty", actions: ["clearOutbox", "storeOffsets"] },
          { target: "Empty", actions: ["clearOutbox", "replyUnknownMember"] },
        ],
        TICK: [
          { guard: "offsetsExpired", target: "Dead", actions: ["clearOutbox", "dropOffsets"] },
          { target: "Empty", actions: ["clearOutbox", "tickEmpty"] },
        ],
        UNLOAD: { target: "Dead", actions: ["clearOutbox", "unload"] },
      },
    },
    PreparingRebalance: {
      on: {
        JOIN: [
          {
            guard: "protocolMismatch",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyInconsistentProtocol"],
          },
          {
            guard: "joinCompletes",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "joinCompleteWhilePreparing"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "joinWhilePreparing"] },
        ],
        SYNC: [
          {
            guard: "unknownMember",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "replyRebalanceInProgress"] },
        ],
        HEARTBEAT: [
          {
            guard: "unknownMember",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          {
            guard: "wrongGeneration",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyIllegalGeneration"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "touch", "replyRebalanceInProgress"] },
        ],
        LEAVE: [
          {
            guard: "unknownMember",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          { guard: "lastMemberLeaves", target: "Empty", actions: ["clearOutbox", "leaveAndComplete"] },
          {
            guard: "leaveCompletesJoin",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "leaveAndComplete"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "leave"] },
        ],
        COMMIT: [
          {
            guard: "unknownMember",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          {
            guard: "wrongGeneration",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "replyIllegalGeneration"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "replyRebalanceInProgress"] },
        ],
        TICK: [
          { guard: "joinPhaseEndsEmpty", target: "Empty", actions: ["clearOutbox", "endJoinPhase"] },
          { guard: "joinPhaseEnds", target: "CompletingRebalance", actions: ["clearOutbox", "endJoinPhase"] },
          { target: "PreparingRebalance", actions: ["clearOutbox", "tickPreparing"] },
        ],
        UNLOAD: { target: "Dead", actions: ["clearOutbox", "unload"] },
      },
    },
    CompletingRebalance: {
      on: {
        JOIN: [
          {
            guard: "protocolMismatch",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyInconsistentProtocol"],
          },
          {
            guard: "joinCompletes",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "joinAndComplete"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "joinAndWait"] },
        ],
        SYNC: [
          {
            guard: "unknownMember",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          {
            guard: "wrongGeneration",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyIllegalGeneration"],
          },
          { guard: "isLeaderSync", target: "Stable", actions: ["clearOutbox", "leaderSync"] },
          { target: "CompletingRebalance", actions: ["clearOutbox", "followerSyncWaits"] },
        ],
        HEARTBEAT: [
          {
            guard: "unknownMember",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          {
            guard: "wrongGeneration",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyIllegalGeneration"],
          },
          { target: "CompletingRebalance", actions: ["clearOutbox", "replyOk"] },
        ],
        LEAVE: [
          {
            guard: "unknownMember",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          { guard: "lastMemberLeaves", target: "Empty", actions: ["clearOutbox", "leaveAndComplete"] },
          { target: "PreparingRebalance", actions: ["clearOutbox", "leaveAndRebalance"] },
        ],
        COMMIT: [
          {
            guard: "unknownMember",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyUnknownMember"],
          },
          {
            guard: "wrongGeneration",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "replyIllegalGeneration"],
          },
          { target: "CompletingRebalance", actions: ["clearOutbox", "replyRebalanceInProgress"] },
        ],
        TICK: [
          { guard: "expiryEmpties", target: "Empty", actions: ["clearOutbox", "expireAndEmpty"] },
          {
            guard: "expiryRebalances",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "expireAndRebalance"],
          },
          { target: "CompletingRebalance", actions: ["clearOutbox", "expire"] },
        ],
        UNLOAD: { target: "Dead", actions: ["clearOutbox", "unload"] },
      },
    },
    Stable: {
      on: {
        JOIN: [
          {
            guard: "protocolMismatch",
            target: "Stable",
            actions: ["clearOutbox", "replyInconsistentProtocol"],
          },
          {
            guard: "knownFollowerUnchanged",
            target: "Stable",
            actions: ["clearOutbox", "replyCurrentGeneration"],
          },
          {
            guard: "joinCompletes",
            target: "CompletingRebalance",
            actions: ["clearOutbox", "joinAndComplete"],
          },
          { target: "PreparingRebalance", actions: ["clearOutbox", "joinAndWait"] },
        ],
        SYNC: [
          { guard: "unknownMember", target: "Stable", actions: ["clearOutbox", "replyUnknownMember"] },
          { guard: "wrongGeneration", target: "Stable", actions: ["clearOutbox", "replyIllegalGeneration"] },
          { target: "Stable", actions: ["clearOutbox", "syncStable"] },
        ],
        HEARTBEAT: [
          { guard: "unknownMember", target: "Stable", actions: ["clearOutbox", "replyUnknownMember"] },
          { guard: "wrongGeneration", target: "Stable", actions: ["clearOutbox", "replyIllegalGeneration"] },
          { target: "Stable", actions: ["clearOutbox", "replyOk"] },
        ],
        LEAVE: [
          { guard: "unknownMember", target: "Stable", actions: ["clearOutbox", "replyUnknownMember"] },
          { guard: "lastMemberLeaves", target: "Empty", actions: ["clearOutbox", "leaveAndComplete"] },
          { target: "PreparingRebalance", actions: ["clearOutbox", "leaveAndRebalance"] },
        ],
        COMMIT: [
          { guard: "unknownMember", target: "Stable", actions: ["clearOutbox", "replyUnknownMember"] },
          { guard: "wrongGeneration", target: "Stable", actions: ["clearOutbox", "replyIllegalGeneration"] },
          { target: "Stable", actions: ["clearOutbox", "storeOffsets"] },
        ],
        TICK: [
          { guard: "expiryEmpties", target: "Empty", actions: ["clearOutbox", "expireAndEmpty"] },
          {
            guard: "expiryRebalances",
            target: "PreparingRebalance",
            actions: ["clearOutbox", "expireAndRebalance"],
          },
          { target: "Stable", actions: ["clearOutbox", "expire"] },
        ],
        UNLOAD: { target: "Dead", actions: ["clearOutbox", "unload"] },
      },
    },
    Dead: { type: "final" },
  },
});

export type GroupMachine = typeof groupMachine;
