/**
 * The classic group protocol: JoinGroup (11), SyncGroup (14), Heartbeat (12), LeaveGroup (13),
 * OffsetCommit (8), OffsetFetch (9), DescribeGroups (15), ListGroups (16). The coordinator in
 * impl/group speaks Kafka's field names, so these handlers mostly copy fields and fill in what a
 * version lacks (JoinGroup v0 has no rebalance timeout: the session timeout stands in, as in Kafka).
 */
import type { GroupResponse } from "../../group/api.ts";
import type { ClientResponse } from "../../node/requests.ts";
import { code, type Handler } from "./types.ts";

function groupBody<A extends GroupResponse["api"]>(
  r: ClientResponse,
  api: A,
): Extract<GroupResponse, { api: A }>["body"] | string {
  if (r.api === "group" && r.response.api === api) return r.response.body as never;
  return r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR";
}

export const joinGroup: Handler<11> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const rebalanceTimeoutMs = ctx.apiVersion === 0 ? body.sessionTimeoutMs : body.rebalanceTimeoutMs;
  const r = await rt.call(
    {
      api: "joinGroup",
      body: {
        groupId: body.groupId,
        memberId: body.memberId,
        groupInstanceId: body.groupInstanceId,
        protocolType: body.protocolType,
        protocols: body.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
        sessionTimeoutMs: body.sessionTimeoutMs,
        rebalanceTimeoutMs,
        clientId: ctx.header.clientId ?? "",
        clientHost: ctx.clientHost,
        requireKnownMemberId: ctx.apiVersion >= 4,
      },
    },
    rebalanceTimeoutMs + 30_000,
  );
  const b = groupBody(r, "JoinGroup");
  if (typeof b === "string")
    return {
      errorCode: code(b as never),
      generationId: -1,
      protocolName: "",
      leader: "",
      memberId: body.memberId,
      members: [],
      protocolType: null,
    };
  return {
    throttleTimeMs: 0,
    errorCode: code(b.error),
    generationId: b.generationId,
    protocolType: b.protocolType,
    protocolName: b.protocolName ?? (ctx.apiVersion >= 7 ? null : ""),
    leader: b.leader,
    memberId: b.memberId,
    members: b.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      metadata: m.metadata,
    })),
  };
};

export const syncGroup: Handler<14> = async (ctx, body) => {
  const rt = ctx.runtime;
  const r = await rt.call(
    {
      api: "syncGroup",
      body: {
        groupId: body.groupId,
        generationId: body.generationId,
        memberId: body.memberId,
        groupInstanceId: body.groupInstanceId,
        protocolType: body.protocolType,
        protocolName: body.protocolName,
        assignments: body.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
      },
    },
    600_000,
  );
  const b = groupBody(r, "SyncGroup");
  if (typeof b === "string") return { errorCode: code(b as never), assignment: Buffer.alloc(0) };
  return {
    throttleTimeMs: 0,
    errorCode: code(b.error),
    protocolType: b.protocolType,
    protocolName: b.protocolName,
    assignment: b.assignment,
  };
};

export const heartbeat: Handler<12> = async (ctx, body) => {
  const r = await ctx.runtime.call({
    api: "heartbeat",
    body: {
      groupId: body.groupId,
      generationId: body.generationId,
      memberId: body.memberId,
      groupInstanceId: body.groupInstanceId,
    },
  });
  const b = groupBody(r, "Heartbeat");
  return { throttleTimeMs: 0, errorCode: code(typeof b === "string" ? (b as never) : b.error) };
};

export const leaveGroup: Handler<13> = async (ctx, body) => {
  const members = ctx.apiVersion <= 2 ? [{ memberId: body.memberId, groupInstanceId: null }] : body.members;
  const r = await ctx.runtime.call({ api: "leaveGroup", body: { groupId: body.groupId, members } });
  const b = groupBody(r, "LeaveGroup");
  if (typeof b === "string") return { throttleTimeMs: 0, errorCode: code(b as never), members: [] };
  const own = b.members[0]?.error ?? "NONE";
  return {
    throttleTimeMs: 0,
    errorCode: ctx.apiVersion <= 2 && b.error === "NONE" ? code(own) : code(b.error),
    members: b.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: code(m.error),
    })),
  };
};

export const offsetCommit: Handler<8> = async (ctx, body) => {
  const r = await ctx.runtime.call({
    api: "offsetCommit",
    body: {
      groupId: body.groupId,
      generationId: body.generationIdOrMemberEpoch,
      memberId: body.memberId,
      groupInstanceId: body.groupInstanceId,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: Number(p.committedOffset),
          committedLeaderEpoch: p.committedLeaderEpoch,
          committedMetadata: p.committedMetadata,
        })),
      })),
    },
  });
  const b = groupBody(r, "OffsetCommit");
  if (typeof b === "string") {
    const errorCode = code(b as never);
    return {
      throttleTimeMs: 0,
      topics: body.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })),
      })),
    };
  }
  return {
    throttleTimeMs: 0,
    topics: b.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(p.error) })),
    })),
  };
};

export const offsetFetch: Handler<9> = async (ctx, body) => {
  const topics =
    body.topics === null
      ? null
      : body.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitionIndexes }));
  const r = await ctx.runtime.call({ api: "offsetFetch", body: { groupId: body.groupId, topics } });
  const old = ctx.apiVersion < 2;
  if (r.api !== "offsetFetch") {
    const errorCode = code(r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR");
    return {
      throttleTimeMs: 0,
      errorCode,
      topics: (body.topics ?? []).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => ({
          partitionIndex: p,
          committedOffset: -1n,
          committedLeaderEpoch: -1,
          metadata: "",
          errorCode: old ? errorCode : 0,
        })),
      })),
    };
  }
  const top = r.body.error;
  return {
    throttleTimeMs: 0,
    errorCode: code(top),
    topics: r.body.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({
        partitionIndex: p.partitionIndex,
        committedOffset: BigInt(p.committedOffset),
        committedLeaderEpoch: p.committedLeaderEpoch,
        metadata: p.metadata ?? "",
        errorCode: code(old && top !== "NONE" ? top : p.error),
      })),
    })),
  };
};

export const describeGroups: Handler<15> = (ctx, body) => {
  const res = ctx.runtime.node.coordinator.describeGroups({ groups: body.groups });
  return {
    throttleTimeMs: 0,
    groups: res.groups.map((g) => ({
      errorCode: code(g.error),
      groupId: g.groupId,
      groupState: g.groupState,
      protocolType: g.protocolType,
      protocolData: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.memberMetadata,
        memberAssignment: m.memberAssignment,
      })),
      authorizedOperations: -2147483648,
    })),
  };
};

export const listGroups: Handler<16> = (ctx, body) => {
  const res = ctx.runtime.node.coordinator.listGroups({ statesFilter: body.statesFilter });
  return {
    throttleTimeMs: 0,
    errorCode: code(res.error),
    groups: res.groups.map((g) => ({
      groupId: g.groupId,
      protocolType: g.protocolType,
      groupState: g.groupState,
    })),
  };
};
