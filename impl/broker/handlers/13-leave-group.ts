/**
 * LeaveGroup (key 13): v0-2 one member (its own error is the top-level one); v3+ a batch of members.
 */
import { groupBody } from "./group-response.ts";
import { code, type Handler } from "./types.ts";

export const leaveGroup: Handler<13> = async (ctx, body) => {
  const members = ctx.apiVersion <= 2 ? [{ memberId: body.memberId, groupInstanceId: null }] : body.members;
  const r = await ctx.runtime.call({ api: "leaveGroup", body: { groupId: body.groupId, members } });
  const b = groupBody(r, "LeaveGroup");
  if (typeof b === "string") return { throttleTimeMs: 0, errorCode: code(b), members: [] };
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
