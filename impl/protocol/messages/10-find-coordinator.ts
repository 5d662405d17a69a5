/**
 * FindCoordinator (key 10): which broker coordinates a group or a transactional id. Defined v0-4.
 *
 * v0: a group id only (GroupCoordinator). v1: keyType (group or transaction), throttle time and an error
 * message. v2: unchanged. v3: first flexible version. v4: batched keys (coordinatorKeys in, a
 * coordinators list out; KIP-699), and the single-key fields are gone.
 *
 * Errors:
 * COORDINATOR_NOT_AVAILABLE: the coordinator's partition of __consumer_offsets has no leader yet.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const FindCoordinatorRequest = {
  apiKey: 10,
  name: "FindCoordinatorRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "3+",
  fields: [
    /** The group id, or the transactional id when keyType is 1. */
    { name: "key", type: "string", versions: "0-3" },
    /** What the key identifies: 0 a group, 1 a transactional id. */
    { name: "keyType", type: "int8", versions: "1+", default: 0 },
    /** The keys (group ids or transactional ids) whose coordinators are wanted. */
    { name: "coordinatorKeys", type: { array: "string" }, versions: "4+" },
  ],
} as const satisfies MessageSpec;

export const FindCoordinatorResponse = {
  apiKey: 10,
  name: "FindCoordinatorResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "3+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0-3" },
    /** A human-readable explanation of the error, or null. */
    { name: "errorMessage", type: "string", versions: "1-3", nullableVersions: "1-3" },
    /** The coordinator's broker id, or -1. */
    { name: "nodeId", type: "int32", versions: "0-3" },
    /** The coordinator's host. */
    { name: "host", type: "string", versions: "0-3" },
    /** The coordinator's port. */
    { name: "port", type: "int32", versions: "0-3" },
    /** One coordinator per requested key. */
    {
      name: "coordinators",
      type: {
        array: {
          name: "Coordinator",
          fields: [
            /** The key (a group id or transactional id) this coordinator answers for. */
            { name: "key", type: "string", versions: "4+" },
            /** The coordinator's broker id, or -1. */
            { name: "nodeId", type: "int32", versions: "4+" },
            /** The coordinator's host. */
            { name: "host", type: "string", versions: "4+" },
            /** The coordinator's port. */
            { name: "port", type: "int32", versions: "4+" },
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "4+" },
            /** A human-readable explanation of the error, or null. */
            { name: "errorMessage", type: "string", versions: "4+", nullableVersions: "4+" },
          ],
        },
      },
      versions: "4+",
    },
  ],
} as const satisfies MessageSpec;

export const FindCoordinator = {
  apiKey: 10,
  name: "FindCoordinator",
  request: FindCoordinatorRequest,
  response: FindCoordinatorResponse,
} as const satisfies ApiSpec;

export type FindCoordinatorRequest = Message<typeof FindCoordinatorRequest>;
export type FindCoordinatorResponse = Message<typeof FindCoordinatorResponse>;
export type FindCoordinatorRequestInput = MessageInput<typeof FindCoordinatorRequest>;
export type FindCoordinatorResponseInput = MessageInput<typeof FindCoordinatorResponse>;
