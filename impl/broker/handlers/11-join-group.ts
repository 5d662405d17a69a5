/**
 * JoinGroup (key 11): v0 has no rebalance timeout (the session timeout stands in, as in Kafka); v4+ clients
 * understand MEMBER_ID_REQUIRED; v5 groupInstanceId (static members are treated as dynamic); v7 protocolType.
 */

import { clampTimerMs } from "../timer-limit.ts";
import { groupBody } from "./group-response.ts";
import { code, type Handler } from "./types.ts";

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
    clampTimerMs(rebalanceTimeoutMs + 30_000),
  );
  const b = groupBody(r, "JoinGroup");
  if (typeof b === "string")
    return {
      errorCode: code(b),
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
