/**
 * Produce (key 0): write record batches to partition leaders. Defined v0-9.
 *
 * v0-v2: the same request; responses gain throttle time (v1) and the log append time (v2).
 * v3: transactionalId; records must be RecordBatch v2 (magic 2) from here on.
 * v4: the client must handle KAFKA_STORAGE_ERROR. v5: the response adds logStartOffset. v6: unchanged.
 * v7: zstd-compressed batches allowed (KIP-110). v8: the response adds recordErrors and errorMessage (KIP-467).
 * v9: first flexible version. (v10-11 only add error codes and leader hints; not defined here.)
 * acks=0 has no response at all: the broker must not answer.
 *
 * Errors:
 * UNKNOWN_TOPIC_OR_PARTITION: no such partition here. NOT_LEADER_OR_FOLLOWER: this broker does not lead it.
 * NOT_ENOUGH_REPLICAS: acks=-1 and the ISR is below min.insync.replicas before the append;
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND: it shrank after. REQUEST_TIMED_OUT: the ISR did not catch up in time.
 * MESSAGE_TOO_LARGE: a batch over max.message.bytes. CORRUPT_MESSAGE: a batch CRC fails. INVALID_REQUIRED_ACKS.
 * OUT_OF_ORDER_SEQUENCE_NUMBER / DUPLICATE_SEQUENCE_NUMBER / INVALID_PRODUCER_EPOCH: idempotence checks.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const ProduceRequest = {
  apiKey: 0,
  name: "ProduceRequest",
  kind: "request",
  validVersions: "0-9",
  flexibleVersions: "9+",
  fields: [
    /** The transactional id, or null for a producer that is not transactional. */
    { name: "transactionalId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
    /** How many replicas must have the records before the broker answers: 0 none (no response at all), 1 the leader, -1 the whole ISR. */
    { name: "acks", type: "int16", versions: "0+" },
    /** How long the leader may wait for the ISR to acknowledge (acks=-1), in milliseconds. */
    { name: "timeoutMs", type: "int32", versions: "0+" },
    /** The data to write, per topic. */
    {
      name: "topicData",
      type: {
        array: {
          name: "TopicProduceData",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The records for each partition of this topic. */
            {
              name: "partitionData",
              type: {
                array: {
                  name: "PartitionProduceData",
                  fields: [
                    /** The partition index. */
                    { name: "index", type: "int32", versions: "0+" },
                    /** The records: RecordBatch bytes kept as received. */
                    { name: "records", type: "records", versions: "0+", nullableVersions: "0+" },
                  ],
                },
              },
              versions: "0+",
            },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const ProduceResponse = {
  apiKey: 0,
  name: "ProduceResponse",
  kind: "response",
  validVersions: "0-9",
  flexibleVersions: "9+",
  fields: [
    /** The result for each topic. */
    {
      name: "responses",
      type: {
        array: {
          name: "TopicProduceResponse",
          fields: [
            /** The topic name. */
            { name: "name", type: "string", versions: "0+" },
            /** The result for each partition. */
            {
              name: "partitionResponses",
              type: {
                array: {
                  name: "PartitionProduceResponse",
                  fields: [
                    /** The partition index. */
                    { name: "index", type: "int32", versions: "0+" },
                    /** The error code, or 0 for none. */
                    { name: "errorCode", type: "int16", versions: "0+" },
                    /** The offset given to the first record of the batch. */
                    { name: "baseOffset", type: "int64", versions: "0+" },
                    /** The timestamp the broker gave the batch if the topic uses LogAppendTime, otherwise -1. */
                    { name: "logAppendTimeMs", type: "int64", versions: "2+", default: -1n },
                    /** The log start offset: the first offset still in the log. */
                    { name: "logStartOffset", type: "int64", versions: "5+", default: -1n },
                    /** The records that caused the batch to be dropped (KIP-467). */
                    {
                      name: "recordErrors",
                      type: {
                        array: {
                          name: "BatchIndexAndErrorMessage",
                          fields: [
                            /** The index of the record in its batch that caused the batch to be dropped. */
                            { name: "batchIndex", type: "int32", versions: "8+" },
                            /** Why that record was rejected, or null. */
                            {
                              name: "batchIndexErrorMessage",
                              type: "string",
                              versions: "8+",
                              nullableVersions: "8+",
                              default: null,
                            },
                          ],
                        },
                      },
                      versions: "8+",
                    },
                    /** A human-readable explanation of the error, or null. */
                    {
                      name: "errorMessage",
                      type: "string",
                      versions: "8+",
                      nullableVersions: "8+",
                      default: null,
                    },
                  ],
                },
              },
              versions: "0+",
            },
          ],
        },
      },
      versions: "0+",
    },
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+", default: 0 },
  ],
} as const satisfies MessageSpec;

export const Produce = {
  apiKey: 0,
  name: "Produce",
  request: ProduceRequest,
  response: ProduceResponse,
} as const satisfies ApiSpec;

export type ProduceRequest = Message<typeof ProduceRequest>;
export type ProduceResponse = Message<typeof ProduceResponse>;
export type ProduceRequestInput = MessageInput<typeof ProduceRequest>;
export type ProduceResponseInput = MessageInput<typeof ProduceResponse>;
