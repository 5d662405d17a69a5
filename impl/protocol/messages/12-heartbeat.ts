/**
 * Heartbeat (key 12): a member tells the coordinator it is alive; the answer says if a rebalance is on. Defined v0-4.
 *
 * v0: group, generation and member. v1: throttle time. v2: unchanged. v3: groupInstanceId.
 * v4: first flexible version.
 *
 * Errors:
 * REBALANCE_IN_PROGRESS: rejoin. ILLEGAL_GENERATION: the member's generation is over; UNKNOWN_MEMBER_ID:
 * it was removed (session timeout). NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const HeartbeatRequest = {
  apiKey: 12,
  name: "HeartbeatRequest",
  kind: "request",
  validVersions: "0-4",
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
  ],
} as const satisfies MessageSpec;

export const HeartbeatResponse = {
  apiKey: 12,
  name: "HeartbeatResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
  ],
} as const satisfies MessageSpec;

export const Heartbeat = {
  apiKey: 12,
  name: "Heartbeat",
  request: HeartbeatRequest,
  response: HeartbeatResponse,
} as const satisfies ApiSpec;

export type HeartbeatRequest = Message<typeof HeartbeatRequest>;
export type HeartbeatResponse = Message<typeof HeartbeatResponse>;
export type HeartbeatRequestInput = MessageInput<typeof HeartbeatRequest>;
export type HeartbeatResponseInput = MessageInput<typeof HeartbeatResponse>;
