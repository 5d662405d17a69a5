/**
 * Heartbeat (key 12): REBALANCE_IN_PROGRESS tells a member to rejoin.
 */
import { groupBody } from "./group-response.ts";
import { code, type Handler } from "./types.ts";

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
  return { throttleTimeMs: 0, errorCode: code(typeof b === "string" ? b : b.error) };
};
