/**
 * DescribeGroups (key 15): read from the coordinator state of this broker; NOT_COORDINATOR for groups it
 * does not coordinate. v3 authorizedOperations (not computed: the "unknown" sentinel).
 */
import { code, type Handler } from "./types.ts";

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
