/**
 * SyncGroup (key 14): the leader sends every assignment, followers none; each gets its own.
 * v3 groupInstanceId; v5 protocolType and protocolName, checked by the coordinator.
 */
import { groupBody } from "./group-response.ts";
import { code, type Handler } from "./types.ts";

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
  if (typeof b === "string") return { errorCode: code(b), assignment: Buffer.alloc(0) };
  return {
    throttleTimeMs: 0,
    errorCode: code(b.error),
    protocolType: b.protocolType,
    protocolName: b.protocolName,
    assignment: b.assignment,
  };
};
