/**
 * The group's own records in the protocol's schema language, so one codec (impl/protocol's
 * message-codec) reads and writes them as it does every request. Kafka defines each of these as a JSON
 * message spec too (ConsumerProtocolSubscription/Assignment, OffsetCommitKey/Value,
 * GroupMetadataKey/Value); field names are the camelCase forms of Kafka's. Each is stored behind an
 * int16 version prefix (Kafka's MessageUtil.toVersionPrefixedBytes), which `encodeVersioned` and
 * `decodeVersioned` add and read.
 */
import { compileStruct, decodeStruct, encodeStruct } from "../protocol/message-codec.ts";
import type { AnyStruct, FieldSpec, StructSpec } from "../protocol/types.ts";
import { Reader, WireError, Writer } from "../protocol/wire.ts";

export { WireError };

const topicPartitions = (name: string, versions: string): FieldSpec => ({
  name,
  versions,
  type: {
    array: {
      name: "TopicPartition",
      fields: [
        { name: "topic", type: "string", versions: "0+" },
        { name: "partitions", type: { array: "int32" }, versions: "0+" },
      ],
    },
  },
});

/** v0: topics, userData. v1: + ownedPartitions. v2: + generationId. v3: + rackId (KIP-881). Never flexible. */
export const ConsumerProtocolSubscription: StructSpec = {
  name: "ConsumerProtocolSubscription",
  fields: [
    { name: "topics", type: { array: "string" }, versions: "0+" },
    { name: "userData", type: "bytes", versions: "0+", nullableVersions: "0+", default: null },
    topicPartitions("ownedPartitions", "1+"),
    { name: "generationId", type: "int32", versions: "2+", default: -1 },
    { name: "rackId", type: "string", versions: "3+", nullableVersions: "3+", default: null },
  ],
};

/** The partitions of an assignment: read on their own so that an assignment cut before userData reads. */
export const ConsumerProtocolAssignmentPartitions: StructSpec = {
  name: "ConsumerProtocolAssignment",
  fields: [topicPartitions("assignedPartitions", "0+")],
};

export const ConsumerProtocolAssignmentUserData: StructSpec = {
  name: "ConsumerProtocolAssignment",
  fields: [{ name: "userData", type: "bytes", versions: "0+", nullableVersions: "0+", default: null }],
};

/** v0+: assignedPartitions, userData. Never flexible. */
export const ConsumerProtocolAssignment: StructSpec = {
  name: "ConsumerProtocolAssignment",
  fields: [...ConsumerProtocolAssignmentPartitions.fields, ...ConsumerProtocolAssignmentUserData.fields],
};

/** Key versions 0 and 1 (Kafka now calls the version the record type). */
export const OffsetCommitKey: StructSpec = {
  name: "OffsetCommitKey",
  fields: [
    { name: "group", type: "string", versions: "0+" },
    { name: "topic", type: "string", versions: "0+" },
    { name: "partition", type: "int32", versions: "0+" },
  ],
};

/** Key version 2. */
export const GroupMetadataKey: StructSpec = {
  name: "GroupMetadataKey",
  fields: [{ name: "group", type: "string", versions: "0+" }],
};

/** v0 and v2: offset, metadata, commitTimestamp. v1: + expireTimestamp. v3: + leaderEpoch. v4: flexible. */
export const OffsetCommitValue: StructSpec = {
  name: "OffsetCommitValue",
  fields: [
    { name: "offset", type: "int64", versions: "0+" },
    { name: "leaderEpoch", type: "int32", versions: "3+", default: -1 },
    { name: "metadata", type: "string", versions: "0+" },
    { name: "commitTimestamp", type: "int64", versions: "0+" },
    { name: "expireTimestamp", type: "int64", versions: "1", default: -1 },
  ],
};
export const OFFSET_COMMIT_VALUE_FLEXIBLE = 4;

/**
 * v0: protocolType, generation, protocol, leader, members. v1: member + rebalanceTimeout. v2: +
 * currentStateTimestamp. v3: member + groupInstanceId. v4: flexible.
 */
export const GroupMetadataValue: StructSpec = {
  name: "GroupMetadataValue",
  fields: [
    { name: "protocolType", type: "string", versions: "0+" },
    { name: "generation", type: "int32", versions: "0+" },
    { name: "protocol", type: "string", versions: "0+", nullableVersions: "0+" },
    { name: "leader", type: "string", versions: "0+", nullableVersions: "0+" },
    { name: "currentStateTimestamp", type: "int64", versions: "2+", default: -1 },
    {
      name: "members",
      versions: "0+",
      type: {
        array: {
          name: "MemberMetadata",
          fields: [
            { name: "memberId", type: "string", versions: "0+" },
            {
              name: "groupInstanceId",
              type: "string",
              versions: "3+",
              nullableVersions: "3+",
              default: null,
            },
            { name: "clientId", type: "string", versions: "0+" },
            { name: "clientHost", type: "string", versions: "0+" },
            { name: "rebalanceTimeout", type: "int32", versions: "1+", default: -1 },
            { name: "sessionTimeout", type: "int32", versions: "0+" },
            { name: "subscription", type: "bytes", versions: "0+" },
            { name: "assignment", type: "bytes", versions: "0+" },
          ],
        },
      },
    },
  ],
};
export const GROUP_METADATA_VALUE_FLEXIBLE = 4;

/** The int16 version, then the struct at that version. */
export function encodeVersioned(
  spec: StructSpec,
  version: number,
  value: AnyStruct,
  flexible = false,
): Buffer {
  const w = new Writer(64);
  w.int16(version);
  encodeStruct(w, compileStruct(spec, version, flexible), value);
  return Buffer.concat(w.finish());
}

/** A reader past the int16 version prefix, and that version. */
export function readVersion(buf: Buffer): { version: number; reader: Reader } {
  const reader = new Reader(buf);
  return { version: reader.int16(), reader };
}

export function decodeAt(reader: Reader, spec: StructSpec, version: number, flexible = false): AnyStruct {
  return decodeStruct(reader, compileStruct(spec, version, flexible));
}

/** Offsets and timestamps fit in 2^53; anything larger is corrupt data for our purposes. */
export function safeNumber(v: unknown): number {
  const n = v as bigint;
  if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
    throw new WireError(`int64 ${n} outside the safe integer range`, -1);
  return Number(n);
}

/** Bytes the codec returns are views into the input; what the group keeps is copied out of it. */
export function ownBytes(v: unknown): Buffer | null {
  return v === null ? null : Buffer.from(v as Buffer);
}
