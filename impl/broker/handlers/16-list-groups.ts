/**
 * ListGroups (key 16): the groups this broker coordinates; v4 filters by state.
 */
import { code, type Handler } from "./types.ts";

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
