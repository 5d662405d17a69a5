/**
 * LeaveGroup (key 13): a member leaves its group, triggering a rebalance. Defined v0-4.
 *
 * v0: one member id. v1: throttle time. v2: unchanged. v3: a batch of members, each with its
 * groupInstanceId and its own result (KIP-345). v4: first flexible version.
 *
 * Errors:
 * UNKNOWN_MEMBER_ID (per member from v3), NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const LeaveGroupRequest = {
  apiKey: 13,
  name: "LeaveGroupRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** The group id. */
    { name: "groupId", type: "string", versions: "0+" },
    /** The member id the coordinator assigned, or empty when joining for the first time. */
    { name: "memberId", type: "string", versions: "0-2" },
    /** The members leaving (v3+). */
    {
      name: "members",
      type: {
        array: {
          name: "MemberIdentity",
          fields: [
            /** The member id the coordinator assigned, or empty when joining for the first time. */
            { name: "memberId", type: "string", versions: "3+" },
            /** The static member id (KIP-345), or null for a dynamic member. */
            {
              name: "groupInstanceId",
              type: "string",
              versions: "3+",
              nullableVersions: "3+",
              default: null,
            },
          ],
        },
      },
      versions: "3+",
    },
  ],
} as const satisfies MessageSpec;

export const LeaveGroupResponse = {
  apiKey: 13,
  name: "LeaveGroupResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The result for each member that asked to leave (v3+). */
    {
      name: "members",
      type: {
        array: {
          name: "MemberResponse",
          fields: [
            /** The member id the coordinator assigned, or empty when joining for the first time. */
            { name: "memberId", type: "string", versions: "3+" },
            /** The static member id (KIP-345), or null for a dynamic member. */
            { name: "groupInstanceId", type: "string", versions: "3+", nullableVersions: "3+" },
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "3+" },
          ],
        },
      },
      versions: "3+",
    },
  ],
} as const satisfies MessageSpec;

export const LeaveGroup = {
  apiKey: 13,
  name: "LeaveGroup",
  request: LeaveGroupRequest,
  response: LeaveGroupResponse,
} as const satisfies ApiSpec;

export type LeaveGroupRequest = Message<typeof LeaveGroupRequest>;
export type LeaveGroupResponse = Message<typeof LeaveGroupResponse>;
export type LeaveGroupRequestInput = MessageInput<typeof LeaveGroupRequest>;
export type LeaveGroupResponseInput = MessageInput<typeof LeaveGroupResponse>;
