/**
 * InitProducerId (key 22): get a producer id and epoch for idempotent or transactional producing. Defined v0-4.
 *
 * v0: transactional id (null for idempotence only) and transaction timeout. v1: unchanged.
 * v2: first flexible version. v3: the producer's current id and epoch, to resume after an epoch error.
 * v4: PRODUCER_FENCED may be returned. The Java client enables idempotence by default (KIP-679).
 *
 * Errors:
 * COORDINATOR_NOT_AVAILABLE / NOT_COORDINATOR for transactional ids; INVALID_PRODUCER_EPOCH when resuming
 * with a stale epoch; PRODUCER_FENCED (v4+) for a newer producer of the same transactional id.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const InitProducerIdRequest = {
  apiKey: 22,
  name: "InitProducerIdRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "2+",
  fields: [
    /** The transactional id, or null for a producer that is not transactional. */
    { name: "transactionalId", type: "string", versions: "0+", nullableVersions: "0+" },
    /** How long a transaction may stay open before the coordinator aborts it. */
    { name: "transactionTimeoutMs", type: "int32", versions: "0+" },
    /** The producer id, or -1. */
    { name: "producerId", type: "int64", versions: "3+", default: -1n },
    /** The producer epoch, or -1. */
    { name: "producerEpoch", type: "int16", versions: "3+", default: -1 },
  ],
} as const satisfies MessageSpec;

export const InitProducerIdResponse = {
  apiKey: 22,
  name: "InitProducerIdResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "2+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "0+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The producer id, or -1. */
    { name: "producerId", type: "int64", versions: "0+", default: -1n },
    /** The producer epoch, or -1. */
    { name: "producerEpoch", type: "int16", versions: "0+" },
  ],
} as const satisfies MessageSpec;

export const InitProducerId = {
  apiKey: 22,
  name: "InitProducerId",
  request: InitProducerIdRequest,
  response: InitProducerIdResponse,
} as const satisfies ApiSpec;

export type InitProducerIdRequest = Message<typeof InitProducerIdRequest>;
export type InitProducerIdResponse = Message<typeof InitProducerIdResponse>;
export type InitProducerIdRequestInput = MessageInput<typeof InitProducerIdRequest>;
export type InitProducerIdResponseInput = MessageInput<typeof InitProducerIdResponse>;
