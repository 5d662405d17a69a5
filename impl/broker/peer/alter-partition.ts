/**
 * AlterPartition (key 56, KIP-497): a partition leader asks the controller to change the ISR. Kafka 3.x
 * uses it in ZooKeeper mode too. It is an inter-broker API only, so it lives here rather than in the
 * client-facing registry (impl/protocol/messages), and we never advertise it in ApiVersions.
 * Defined v0 (flexible), as Kafka's AlterPartitionRequest/Response v0.
 */
import { decodeMessage, encodeMessage } from "../../protocol/codec.ts";
import type { Message, MessageSpec } from "../../protocol/types.ts";

export const ALTER_PARTITION_KEY = 56;
export const ALTER_PARTITION_VERSION = 0;

export const AlterPartitionRequest = {
  apiKey: 56,
  name: "AlterPartitionRequest",
  kind: "request",
  validVersions: "0",
  flexibleVersions: "0+",
  fields: [
    /** The leader asking. */
    { name: "brokerId", type: "int32", versions: "0+" },
    /** The leader's broker epoch (its registration's czxid); -1 when unknown. */
    { name: "brokerEpoch", type: "int64", versions: "0+", default: -1n },
    {
      name: "topics",
      type: {
        array: {
          name: "TopicData",
          fields: [
            { name: "topicName", type: "string", versions: "0+" },
            {
              name: "partitions",
              type: {
                array: {
                  name: "PartitionData",
                  fields: [
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    { name: "leaderEpoch", type: "int32", versions: "0+" },
                    { name: "newIsr", type: { array: "int32" }, versions: "0+" },
                    { name: "partitionEpoch", type: "int32", versions: "0+" },
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

export const AlterPartitionResponse = {
  apiKey: 56,
  name: "AlterPartitionResponse",
  kind: "response",
  validVersions: "0",
  flexibleVersions: "0+",
  fields: [
    { name: "throttleTimeMs", type: "int32", versions: "0+" },
    { name: "errorCode", type: "int16", versions: "0+" },
    {
      name: "topics",
      type: {
        array: {
          name: "TopicData",
          fields: [
            { name: "topicName", type: "string", versions: "0+" },
            {
              name: "partitions",
              type: {
                array: {
                  name: "PartitionData",
                  fields: [
                    { name: "partitionIndex", type: "int32", versions: "0+" },
                    { name: "errorCode", type: "int16", versions: "0+" },
                    { name: "leaderId", type: "int32", versions: "0+" },
                    { name: "leaderEpoch", type: "int32", versions: "0+" },
                    { name: "isr", type: { array: "int32" }, versions: "0+" },
                    { name: "partitionEpoch", type: "int32", versions: "0+" },
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

export type AlterPartitionRequestBody = Message<typeof AlterPartitionRequest>;
export type AlterPartitionResponseBody = Message<typeof AlterPartitionResponse>;

/** The whole request frame: size, header v2 (flexible), body. */
export function encodeAlterPartitionRequest(
  correlationId: number,
  clientId: string,
  body: AlterPartitionRequestBody,
): Buffer[] {
  const id = Buffer.from(clientId, "utf8");
  const head = Buffer.alloc(2 + 2 + 4 + 2 + id.length + 1);
  head.writeInt16BE(ALTER_PARTITION_KEY, 0);
  head.writeInt16BE(ALTER_PARTITION_VERSION, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(id.length, 8);
  id.copy(head, 10);
  head.writeUInt8(0, 10 + id.length); // no tagged fields in the header
  return sized([head, ...encodeMessage(AlterPartitionRequest, 0, body)]);
}

/** Decodes a request frame (without the size prefix) whose api key is 56. */
export function decodeAlterPartitionRequest(
  frame: Buffer,
): { ok: true; correlationId: number; body: AlterPartitionRequestBody } | { ok: false; reason: string } {
  if (frame.length < 11) return { ok: false, reason: "short AlterPartition frame" };
  if (frame.readInt16BE(2) !== ALTER_PARTITION_VERSION) return { ok: false, reason: "unsupported version" };
  const correlationId = frame.readInt32BE(4);
  const n = frame.readInt16BE(8);
  let pos = 10 + Math.max(0, n);
  const tags = frame[pos++];
  if (tags !== 0) return { ok: false, reason: "tagged header fields not expected" };
  const body = decodeMessage(AlterPartitionRequest, 0, frame.subarray(pos));
  if (!body.ok) return { ok: false, reason: "malformed AlterPartition body" };
  return { ok: true, correlationId, body: body.value as unknown as AlterPartitionRequestBody };
}

export function encodeAlterPartitionResponse(
  correlationId: number,
  body: AlterPartitionResponseBody,
): Buffer[] {
  const head = Buffer.alloc(5);
  head.writeInt32BE(correlationId, 0);
  head.writeUInt8(0, 4);
  return sized([head, ...encodeMessage(AlterPartitionResponse, 0, body)]);
}

export function decodeAlterPartitionResponse(frame: Buffer): AlterPartitionResponseBody {
  const r = decodeMessage(AlterPartitionResponse, 0, frame.subarray(5));
  if (!r.ok) throw new Error("malformed AlterPartition response");
  return r.value as unknown as AlterPartitionResponseBody;
}

function sized(chunks: Buffer[]): Buffer[] {
  const size = Buffer.alloc(4);
  size.writeInt32BE(
    chunks.reduce((n, c) => n + c.length, 0),
    0,
  );
  return [size, ...chunks];
}
