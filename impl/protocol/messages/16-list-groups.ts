/**
 * ListGroups (key 16): the groups a broker coordinates. Defined v0-4.
 *
 * v0: the groups and their protocol types. v1: throttle time. v2: unchanged. v3: first flexible
 * version. v4: statesFilter in and groupState out (KIP-518).
 *
 * Errors:
 * NOT_COORDINATOR is not used; COORDINATOR_LOAD_IN_PROGRESS while offsets are being loaded.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const ListGroupsRequest = {
  apiKey: 16,
  name: "ListGroupsRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "3+",
  fields: [
    /** Only list groups in these states (KIP-518); empty for all. */
    { name: "statesFilter", type: { array: "string" }, versions: "4+" },
  ],
} as const satisfies MessageSpec;

export const ListGroupsResponse = {
  apiKey: 16,
  name: "ListGroupsResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "3+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The groups this broker coordinates. */
    {
      name: "groups",
      type: {
        array: {
          name: "ListedGroup",
          fields: [
            /** The group id. */
            { name: "groupId", type: "string", versions: "0+" },
            /** The group's protocol type, e.g. consumer, or null. */
            { name: "protocolType", type: "string", versions: "0+" },
            /** The group's state (Empty, PreparingRebalance, CompletingRebalance, Stable, Dead). */
            { name: "groupState", type: "string", versions: "4+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const ListGroups = {
  apiKey: 16,
  name: "ListGroups",
  request: ListGroupsRequest,
  response: ListGroupsResponse,
} as const satisfies ApiSpec;

export type ListGroupsRequest = Message<typeof ListGroupsRequest>;
export type ListGroupsResponse = Message<typeof ListGroupsResponse>;
export type ListGroupsRequestInput = MessageInput<typeof ListGroupsRequest>;
export type ListGroupsResponseInput = MessageInput<typeof ListGroupsResponse>;
