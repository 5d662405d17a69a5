/**
 * DescribeGroups (key 15): the state, protocol and members of groups. Defined v0-5.
 *
 * v0: the groups. v1: throttle time. v2: unchanged. v3: authorized operations on request.
 * v4: each member's groupInstanceId. v5: first flexible version.
 *
 * Errors:
 * Per group: NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE; an unknown group is described as Dead.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const DescribeGroupsRequest = {
  apiKey: 15,
  name: "DescribeGroupsRequest",
  kind: "request",
  validVersions: "0-5",
  flexibleVersions: "5+",
  fields: [
    /** The group ids to describe. */
    { name: "groups", type: { array: "string" }, versions: "0+" },
    /** Whether to return the caller's authorized operations on each group. */
    { name: "includeAuthorizedOperations", type: "bool", versions: "3+" },
  ],
} as const satisfies MessageSpec;

export const DescribeGroupsResponse = {
  apiKey: 15,
  name: "DescribeGroupsResponse",
  kind: "response",
  validVersions: "0-5",
  flexibleVersions: "5+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** One entry per group asked for. */
    {
      name: "groups",
      type: {
        array: {
          name: "DescribedGroup",
          fields: [
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
            /** The group id. */
            { name: "groupId", type: "string", versions: "0+" },
            /** The group's state (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead). */
            { name: "groupState", type: "string", versions: "0+" },
            /** The group's protocol type, e.g. consumer, or null. */
            { name: "protocolType", type: "string", versions: "0+" },
            /** The assignment protocol's name (v0 of DescribeGroups' member data naming; see ProtocolType). */
            { name: "protocolData", type: "string", versions: "0+" },
            /** The group members. */
            {
              name: "members",
              type: {
                array: {
                  name: "DescribedGroupMember",
                  fields: [
                    /** The member id the coordinator assigned, or empty when joining for the first time. */
                    { name: "memberId", type: "string", versions: "0+" },
                    /** The static member id (KIP-345), or null for a dynamic member. */
                    {
                      name: "groupInstanceId",
                      type: "string",
                      versions: "4+",
                      nullableVersions: "4+",
                      default: null,
                    },
                    /** The client id the member's connection sent. */
                    { name: "clientId", type: "string", versions: "0+" },
                    /** The host the member connected from. */
                    { name: "clientHost", type: "string", versions: "0+" },
                    /** The member's protocol metadata bytes (ConsumerProtocolSubscription for consumer groups). */
                    { name: "memberMetadata", type: "bytes", versions: "0+" },
                    /** The member's current assignment bytes. */
                    { name: "memberAssignment", type: "bytes", versions: "0+" },
                  ],
                },
              },
              versions: "0+",
            },
            /** A bit field of the ACL operations the caller may perform on this resource; -2147483648 when not asked for. */
            { name: "authorizedOperations", type: "int32", versions: "3+", default: -2147483648 },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const DescribeGroups = {
  apiKey: 15,
  name: "DescribeGroups",
  request: DescribeGroupsRequest,
  response: DescribeGroupsResponse,
} as const satisfies ApiSpec;

export type DescribeGroupsRequest = Message<typeof DescribeGroupsRequest>;
export type DescribeGroupsResponse = Message<typeof DescribeGroupsResponse>;
export type DescribeGroupsRequestInput = MessageInput<typeof DescribeGroupsRequest>;
export type DescribeGroupsResponseInput = MessageInput<typeof DescribeGroupsResponse>;
