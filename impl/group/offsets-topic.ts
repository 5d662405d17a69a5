/**
 * The records of `__consumer_offsets`, encoded as Kafka encodes them, so a log written by us can be
 * read by Kafka's tools and the other way round.
 *
 * Key: an int16 version (Kafka now calls it the record type) and then
 *   0 or 1 -> OffsetCommitKey   { group string, topic string, partition int32 }
 *   2      -> GroupMetadataKey  { group string }
 * Value: an int16 version and then (a null value is a tombstone: the offset or group was deleted)
 *   OffsetCommitValue  v0: offset int64, metadata string, commitTimestamp int64
 *                      v1: offset, metadata, commitTimestamp, expireTimestamp int64
 *                      v2: offset, metadata, commitTimestamp
 *                      v3: offset, leaderEpoch int32, metadata, commitTimestamp
 *                      v4: as v3, flexible (compact strings, tagged fields)
 *   GroupMetadataValue v0: protocolType string, generation int32, protocol nullable string,
 *                          leader nullable string, members [memberId, clientId, clientHost,
 *                          sessionTimeout int32, subscription bytes, assignment bytes]
 *                      v1: member + rebalanceTimeout int32 (before sessionTimeout)
 *                      v2: + currentStateTimestamp int64 (after leader)
 *                      v3: member + groupInstanceId nullable string (after memberId)
 *                      v4: as v3, flexible
 * We write key version 1 (offsets) / 2 (group), OffsetCommitValue v3 and GroupMetadataValue v3, as
 * Kafka 2.3+ does; we read every version above.
 *
 * Partition of a group: abs(groupId.hashCode()) % offsets.topic.num.partitions, with Java's
 * String.hashCode over UTF-16 code units and Kafka's Utils.abs (Integer.MIN_VALUE maps to 0).
 */
import {
  decodeAt,
  encodeVersioned,
  GROUP_METADATA_VALUE_FLEXIBLE,
  GroupMetadataKey,
  GroupMetadataValue,
  OFFSET_COMMIT_VALUE_FLEXIBLE,
  OffsetCommitKey,
  OffsetCommitValue,
  ownBytes,
  readVersion,
  safeNumber,
  WireError,
} from "./schemas.ts";

export const OFFSETS_TOPIC = "__consumer_offsets";
/** offsets.topic.num.partitions default. */
export const DEFAULT_OFFSETS_TOPIC_PARTITIONS = 50;

export interface OffsetsRecord {
  key: Buffer;
  /** null: a tombstone. */
  value: Buffer | null;
}

export interface CommittedOffset {
  offset: number;
  /** -1 when the client did not say (before OffsetCommit v6). */
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  /** Only in OffsetCommitValue v1 (set by OffsetCommit v2..v4 retention); -1 otherwise. */
  expireTimestamp: number;
}

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: StoredMember[];
}

export type OffsetsKey =
  | { kind: "offset"; group: string; topic: string; partition: number }
  | { kind: "group"; group: string };

/** Java's String.hashCode: s[0]*31^(n-1) + ... + s[n-1] in 32-bit two's complement, over UTF-16 units. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: unlike Math.abs on a Java int, Integer.MIN_VALUE maps to 0. */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The `__consumer_offsets` partition that holds a group (and so picks its coordinator). */
export function partitionForGroup(groupId: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) {
    throw new RangeError(`offsets.topic.num.partitions must be a positive integer, got ${numPartitions}`);
  }
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}

export function encodeOffsetCommitKey(group: string, topic: string, partition: number): Buffer {
  return encodeVersioned(OffsetCommitKey, 1, { group, topic, partition });
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return encodeVersioned(GroupMetadataKey, 2, { group });
}

/** Returns null for key versions this coordinator does not own (e.g. the KIP-848 record types). */
export function decodeOffsetsKey(buf: Buffer): OffsetsKey | null {
  const { version, reader } = readVersion(buf);
  if (version === 0 || version === 1) {
    const k = decodeAt(reader, OffsetCommitKey, version);
    return {
      kind: "offset",
      group: k.group as string,
      topic: k.topic as string,
      partition: k.partition as number,
    };
  }
  if (version === 2)
    return { kind: "group", group: decodeAt(reader, GroupMetadataKey, version).group as string };
  return null;
}

export function encodeOffsetCommitValue(v: CommittedOffset, version = 3): Buffer {
  if (version < 0 || version >= OFFSET_COMMIT_VALUE_FLEXIBLE)
    throw new WireError(`we write OffsetCommitValue v0..v3, not v${version}`, 0);
  return encodeVersioned(OffsetCommitValue, version, {
    offset: BigInt(v.offset),
    leaderEpoch: v.leaderEpoch,
    metadata: v.metadata,
    commitTimestamp: BigInt(v.commitTimestamp),
    expireTimestamp: BigInt(v.expireTimestamp),
  });
}

export function decodeOffsetCommitValue(buf: Buffer): CommittedOffset {
  const { version, reader } = readVersion(buf);
  if (version < 0 || version > OFFSET_COMMIT_VALUE_FLEXIBLE)
    throw new WireError(`OffsetCommitValue v${version} is not known`, 0);
  const o = decodeAt(reader, OffsetCommitValue, version, version >= OFFSET_COMMIT_VALUE_FLEXIBLE);
  return {
    offset: safeNumber(o.offset),
    leaderEpoch: o.leaderEpoch as number,
    metadata: o.metadata as string,
    commitTimestamp: safeNumber(o.commitTimestamp),
    expireTimestamp: safeNumber(o.expireTimestamp),
  };
}

export function encodeGroupMetadataValue(g: StoredGroup, version = 3): Buffer {
  if (version < 0 || version >= GROUP_METADATA_VALUE_FLEXIBLE)
    throw new WireError(`we write GroupMetadataValue v0..v3, not v${version}`, 0);
  return encodeVersioned(GroupMetadataValue, version, {
    protocolType: g.protocolType,
    generation: g.generation,
    protocol: g.protocol,
    leader: g.leader,
    currentStateTimestamp: BigInt(g.currentStateTimestamp),
    members: g.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs,
      sessionTimeout: m.sessionTimeoutMs,
      subscription: m.subscription,
      assignment: m.assignment,
    })),
  });
}

export function decodeGroupMetadataValue(buf: Buffer): StoredGroup {
  const { version, reader } = readVersion(buf);
  if (version < 0 || version > GROUP_METADATA_VALUE_FLEXIBLE)
    throw new WireError(`GroupMetadataValue v${version} is not known`, 0);
  const o = decodeAt(reader, GroupMetadataValue, version, version >= GROUP_METADATA_VALUE_FLEXIBLE);
  const members = (o.members as Array<Record<string, unknown>>).map((m): StoredMember => {
    const sessionTimeoutMs = m.sessionTimeout as number;
    const rebalanceTimeoutMs = m.rebalanceTimeout as number;
    return {
      memberId: m.memberId as string,
      groupInstanceId: m.groupInstanceId as string | null,
      clientId: m.clientId as string,
      clientHost: m.clientHost as string,
      // v0 had no rebalance timeout: the session timeout served as both (JoinGroup v0 semantics).
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription: ownBytes(m.subscription) as Buffer,
      assignment: ownBytes(m.assignment) as Buffer,
    };
  });
  return {
    protocolType: o.protocolType as string,
    generation: o.generation as number,
    protocol: o.protocol as string | null,
    leader: o.leader as string | null,
    currentStateTimestamp: safeNumber(o.currentStateTimestamp),
    members,
  };
}

export function offsetCommitRecord(
  group: string,
  topic: string,
  partition: number,
  v: CommittedOffset,
): OffsetsRecord {
  return { key: encodeOffsetCommitKey(group, topic, partition), value: encodeOffsetCommitValue(v) };
}

export function groupMetadataRecord(group: string, g: StoredGroup): OffsetsRecord {
  return { key: encodeGroupMetadataKey(group), value: encodeGroupMetadataValue(g) };
}

/**
 * The state a sequence of records leaves behind, as a coordinator rebuilds it on becoming leader of
 * the partition: the last value per key wins, a tombstone deletes. Records of other record types
 * are skipped. Map keys of `offsets` are `topic` + NUL + `partition`.
 */
export interface ReplayedPartition {
  groups: Map<string, StoredGroup>;
  offsets: Map<string, Map<string, { topic: string; partition: number; value: CommittedOffset }>>;
}

export function offsetKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function replayOffsetsRecords(records: Iterable<OffsetsRecord>): ReplayedPartition {
  const groups = new Map<string, StoredGroup>();
  const offsets: ReplayedPartition["offsets"] = new Map();
  for (const rec of records) {
    const key = decodeOffsetsKey(rec.key);
    if (key === null) continue;
    if (key.kind === "group") {
      if (rec.value === null) groups.delete(key.group);
      else groups.set(key.group, decodeGroupMetadataValue(rec.value));
      continue;
    }
    const k = offsetKey(key.topic, key.partition);
    if (rec.value === null) {
      offsets.get(key.group)?.delete(k);
      continue;
    }
    let perGroup = offsets.get(key.group);
    if (!perGroup) {
      perGroup = new Map();
      offsets.set(key.group, perGroup);
    }
    perGroup.set(k, {
      topic: key.topic,
      partition: key.partition,
      value: decodeOffsetCommitValue(rec.value),
    });
  }
  return { groups, offsets };
}
