/**
 * DeleteTopics (key 20): delete topics. Defined v0-6.
 *
 * v0: topic names and a timeout. v1: throttle time. v2-v3: unchanged. v4: first flexible version.
 * v5: error messages in the response. v6: topics given as name or id (KIP-516).
 *
 * Errors:
 * UNKNOWN_TOPIC_OR_PARTITION, TOPIC_DELETION_DISABLED, NOT_CONTROLLER, REQUEST_TIMED_OUT.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const DeleteTopicsRequest = {
  apiKey: 20,
  name: "DeleteTopicsRequest",
  kind: "request",
  validVersions: "0-6",
  flexibleVersions: "4+",
  fields: [
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "DeleteTopicState",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "6+", nullableVersions: "6+", default: null },
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "6+" },
          ],
        },
      },
      versions: "6+",
    },
    /** The topic names. */
    { name: "topicNames", type: { array: "string" }, versions: "0-5" },
    /** How long to wait for the operation to complete on the controller, in milliseconds. */
    { name: "timeoutMs", type: "int32", versions: "0+" },
  ],
} as const satisfies MessageSpec;

export const DeleteTopicsResponse = {
  apiKey: 20,
  name: "DeleteTopicsResponse",
  kind: "response",
  validVersions: "0-6",
  flexibleVersions: "4+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** The result for each topic. */
    {
      name: "responses",
      type: {
        array: {
          name: "DeletableTopicResult",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+", nullableVersions: "6+" },
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "6+" },
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
            /** A human-readable explanation of the error, or null. */
            { name: "errorMessage", type: "string", versions: "5+", nullableVersions: "5+", default: null },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const DeleteTopics = {
  apiKey: 20,
  name: "DeleteTopics",
  request: DeleteTopicsRequest,
  response: DeleteTopicsResponse,
} as const satisfies ApiSpec;

export type DeleteTopicsRequest = Message<typeof DeleteTopicsRequest>;
export type DeleteTopicsResponse = Message<typeof DeleteTopicsResponse>;
export type DeleteTopicsRequestInput = MessageInput<typeof DeleteTopicsRequest>;
export type DeleteTopicsResponseInput = MessageInput<typeof DeleteTopicsResponse>;
