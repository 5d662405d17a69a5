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
import { Reader, WireError, Writer } from "./wire.ts";

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
  return new Writer().int16(1).string(group).string(topic).int32(partition).toBuffer();
}

export function encodeGroupMetadataKey(group: string): Buffer {
  return new Writer().int16(2).string(group).toBuffer();
}

/** Returns null for key versions this coordinator does not own (e.g. the KIP-848 record types). */
export function decodeOffsetsKey(buf: Buffer): OffsetsKey | null {
  const r = new Reader(buf);
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { kind: "offset", group: r.string(), topic: r.string(), partition: r.int32() };
  }
  if (version === 2) return { kind: "group", group: r.string() };
  return null;
}

export function encodeOffsetCommitValue(v: CommittedOffset, version = 3): Buffer {
  const w = new Writer().int16(version);
  switch (version) {
    case 0:
    case 2:
      return w.int64(v.offset).string(v.metadata).int64(v.commitTimestamp).toBuffer();
    case 1:
      return w
        .int64(v.offset)
        .string(v.metadata)
        .int64(v.commitTimestamp)
        .int64(v.expireTimestamp)
        .toBuffer();
    case 3:
      return w.int64(v.offset).int32(v.leaderEpoch).string(v.metadata).int64(v.commitTimestamp).toBuffer();
    default:
      throw new WireError(`we write OffsetCommitValue v0..v3, not v${version}`);
  }
}

export function decodeOffsetCommitValue(buf: Buffer): CommittedOffset {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 4) throw new WireError(`OffsetCommitValue v${version} is not known`);
  const offset = r.int64();
  if (version === 4) {
    const leaderEpoch = r.int32();
    const metadata = r.compactString();
    const commitTimestamp = r.int64();
    r.skipTaggedFields();
    return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp: -1 };
  }
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string();
  const commitTimestamp = r.int64();
  const expireTimestamp = version === 1 ? r.int64() : -1;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function encodeGroupMetadataValue(g: StoredGroup, version = 3): Buffer {
  if (version < 0 || version > 3) throw new WireError(`we write GroupMetadataValue v0..v3, not v${version}`);
  const w = new Writer().int16(version);
  w.string(g.protocolType).int32(g.generation).nullableString(g.protocol).nullableString(g.leader);
  if (version >= 2) w.int64(g.currentStateTimestamp);
  w.array(g.members, (w2, m) => {
    w2.string(m.memberId);
    if (version >= 3) w2.nullableString(m.groupInstanceId);
    w2.string(m.clientId).string(m.clientHost);
    if (version >= 1) w2.int32(m.rebalanceTimeoutMs);
    w2.int32(m.sessionTimeoutMs).bytes(m.subscription).bytes(m.assignment);
  });
  return w.toBuffer();
}

export function decodeGroupMetadataValue(buf: Buffer): StoredGroup {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0 || version > 4) throw new WireError(`GroupMetadataValue v${version} is not known`);
  const flexible = version >= 4;
  const str = () => (flexible ? r.compactString() : r.string());
  const nstr = () => (flexible ? r.compactNullableString() : r.nullableString());
  const bytes = () => (flexible ? r.compactBytes() : r.bytes());
  const protocolType = str();
  const generation = r.int32();
  const protocol = nstr();
  const leader = nstr();
  const currentStateTimestamp = version >= 2 ? r.int64() : -1;
  const readMember = (): StoredMember => {
    const memberId = str();
    const groupInstanceId = version >= 3 ? nstr() : null;
    const clientId = str();
    const clientHost = str();
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = bytes();
    const assignment = bytes();
    if (flexible) r.skipTaggedFields();
    return {
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      // v0 had no rebalance timeout: the session timeout served as both (JoinGroup v0 semantics).
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    };
  };
  const members = flexible ? r.compactArray(readMember) : r.array(readMember);
  if (flexible) r.skipTaggedFields();
  return { protocolType, generation, protocol, leader, currentStateTimestamp, members };
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
