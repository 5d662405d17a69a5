/**
 * JoinGroup (key 11): join a consumer group and, for the leader, receive every member's metadata. Defined v0-7.
 *
 * v0: session timeout only. v1: rebalanceTimeoutMs. v2: throttle time. v3: unchanged.
 * v4: a new member first gets MEMBER_ID_REQUIRED with its id and must join again (KIP-394).
 * v5: groupInstanceId (static membership, KIP-345). v6: first flexible version.
 * v7: protocolType in the response, and a nullable protocolName (KIP-559).
 *
 * Errors:
 * MEMBER_ID_REQUIRED (v4+): join again with the id given. UNKNOWN_MEMBER_ID, INCONSISTENT_GROUP_PROTOCOL:
 * no protocol in common with the group. INVALID_SESSION_TIMEOUT: outside the broker's bounds.
 * NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, REBALANCE_IN_PROGRESS for a member still joining elsewhere.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const JoinGroupRequest = {
  apiKey: 11,
  name: "JoinGroupRequest",
  kind: "request",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    /** The group id. */
    { name: "groupId", type: "string", versions: "0+" },
    /** How long the coordinator waits for a heartbeat before removing the member. */
    { name: "sessionTimeoutMs", type: "int32", versions: "0+" },
    /** How long the coordinator waits for every member to rejoin during a rebalance. */
    { name: "rebalanceTimeoutMs", type: "int32", versions: "1+", default: -1 },
    /** The member id the coordinator assigned, or empty when joining for the first time. */
    { name: "memberId", type: "string", versions: "0+" },
    /** The static member id (KIP-345), or null for a dynamic member. */
    { name: "groupInstanceId", type: "string", versions: "5+", nullableVersions: "5+", default: null },
    /** The group's protocol type, e.g. consumer, or null. */
    { name: "protocolType", type: "string", versions: "0+" },
    /** The assignment protocols the member supports, in order of preference. */
    {
      name: "protocols",
      type: {
        array: {
          name: "JoinGroupRequestProtocol",
          fields: [
            /** The protocol name, e.g. range or roundrobin. */
            { name: "name", type: "string", versions: "0+" },
            /** The member's subscription for this protocol (ConsumerProtocolSubscription bytes for consumers). */
            { name: "metadata", type: "bytes", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const JoinGroupResponse = {
  apiKey: 11,
  name: "JoinGroupResponse",
  kind: "response",
  validVersions: "0-7",
  flexibleVersions: "6+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "2+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The group generation the member belongs to; -1 outside any generation. */
    { name: "generationId", type: "int32", versions: "0+", default: -1 },
    /** The group's protocol type, e.g. consumer, or null. */
    { name: "protocolType", type: "string", versions: "7+", nullableVersions: "7+", default: null },
    /** The chosen assignment protocol's name, e.g. range, or null. */
    { name: "protocolName", type: "string", versions: "0+", nullableVersions: "7+" },
    /** The leader of the group, a member id. */
    { name: "leader", type: "string", versions: "0+" },
    /** The member id the coordinator assigned, or empty when joining for the first time. */
    { name: "memberId", type: "string", versions: "0+" },
    /** Every member with its subscription, for the leader to assign; empty for the other members. */
    {
      name: "members",
      type: {
        array: {
          name: "JoinGroupResponseMember",
          fields: [
            /** The member id the coordinator assigned, or empty when joining for the first time. */
            { name: "memberId", type: "string", versions: "0+" },
            /** The static member id (KIP-345), or null for a dynamic member. */
            {
              name: "groupInstanceId",
              type: "string",
              versions: "5+",
              nullableVersions: "5+",
              default: null,
            },
            /** The member's subscription for the chosen protocol; only the leader receives members. */
            { name: "metadata", type: "bytes", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const JoinGroup = {
  apiKey: 11,
  name: "JoinGroup",
  request: JoinGroupRequest,
  response: JoinGroupResponse,
} as const satisfies ApiSpec;

export type JoinGroupRequest = Message<typeof JoinGroupRequest>;
export type JoinGroupResponse = Message<typeof JoinGroupResponse>;
export type JoinGroupRequestInput = MessageInput<typeof JoinGroupRequest>;
export type JoinGroupResponseInput = MessageInput<typeof JoinGroupResponse>;
