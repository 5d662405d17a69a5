/**
 * SyncGroup (key 14): the leader hands in the assignment; every member receives its part. Defined v0-5.
 *
 * v0: assignments from the leader, empty from the others. v1: throttle time. v2: unchanged.
 * v3: groupInstanceId. v4: first flexible version. v5: protocolType and protocolName in both
 * directions, checked by the coordinator (KIP-559).
 *
 * Errors:
 * REBALANCE_IN_PROGRESS: a new rebalance began; rejoin. ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
 * INCONSISTENT_GROUP_PROTOCOL (v5: type or name mismatch), NOT_COORDINATOR.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const SyncGroupRequest = {
  apiKey: 14,
  name: "SyncGroupRequest",
  kind: "request",
  validVersions: "0-5",
  flexibleVersions: "4+",
  fields: [
    /** The group id. */
    { name: "groupId", type: "string", versions: "0+" },
    /** The group generation the member belongs to; -1 outside any generation. */
    { name: "generationId", type: "int32", versions: "0+" },
    /** The member id the coordinator assigned, or empty when joining for the first time. */
    { name: "memberId", type: "string", versions: "0+" },
    /** The static member id (KIP-345), or null for a dynamic member. */
    { name: "groupInstanceId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
    /** The group's protocol type, e.g. consumer, or null. */
    { name: "protocolType", type: "string", versions: "5+", nullableVersions: "5+", default: null },
    /** The chosen assignment protocol's name, e.g. range, or null. */
    { name: "protocolName", type: "string", versions: "5+", nullableVersions: "5+", default: null },
    /** The replica brokers of each new partition, or null to let the controller place them. */
    {
      name: "assignments",
      type: {
        array: {
          name: "SyncGroupRequestAssignment",
          fields: [
            /** The member id the coordinator assigned, or empty when joining for the first time. */
            { name: "memberId", type: "string", versions: "0+" },
            /** The assignment bytes, opaque to the broker (ConsumerProtocolAssignment for consumer groups). */
            { name: "assignment", type: "bytes", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const SyncGroupResponse = {
  apiKey: 14,
  name: "SyncGroupResponse",
  kind: "response",
  validVersions: "0-5",
  flexibleVersions: "4+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The group's protocol type, e.g. consumer, or null. */
    { name: "protocolType", type: "string", versions: "5+", nullableVersions: "5+", default: null },
    /** The chosen assignment protocol's name, e.g. range, or null. */
    { name: "protocolName", type: "string", versions: "5+", nullableVersions: "5+", default: null },
    /** The assignment bytes, opaque to the broker (ConsumerProtocolAssignment for consumer groups). */
    { name: "assignment", type: "bytes", versions: "0+" },
  ],
} as const satisfies MessageSpec;

export const SyncGroup = {
  apiKey: 14,
  name: "SyncGroup",
  request: SyncGroupRequest,
  response: SyncGroupResponse,
} as const satisfies ApiSpec;

export type SyncGroupRequest = Message<typeof SyncGroupRequest>;
export type SyncGroupResponse = Message<typeof SyncGroupResponse>;
export type SyncGroupRequestInput = MessageInput<typeof SyncGroupRequest>;
export type SyncGroupResponseInput = MessageInput<typeof SyncGroupResponse>;
