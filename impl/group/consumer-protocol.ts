/**
 * Kafka's ConsumerProtocol: the bytes a consumer puts in JoinGroup (its Subscription, as the metadata
 * of each protocol it offers) and the bytes the leader hands out through SyncGroup (each member's
 * Assignment). The broker treats both as opaque; the embedded target, our client and the seeded
 * faults need to read and write them.
 *
 * Layouts (Kafka's ConsumerProtocolSubscription / ConsumerProtocolAssignment message specs), each
 * prefixed by an int16 version, no flexible versions:
 *   Subscription v0: topics [string], userData nullable bytes
 *                v1: + ownedPartitions [topic string, partitions [int32]]
 *                v2: + generationId int32 (default -1)
 *                v3: + rackId nullable string
 *   Assignment   v0+: assignedPartitions [topic string, partitions [int32]], userData nullable bytes
 * A newer version than we know is read with the newest layout we know (the specs promise fields are
 * only appended), which is what Kafka's own clients do.
 */
import {
  ConsumerProtocolAssignment,
  ConsumerProtocolAssignmentPartitions,
  ConsumerProtocolAssignmentUserData,
  ConsumerProtocolSubscription,
  decodeAt,
  encodeVersioned,
  ownBytes,
  readVersion,
  WireError,
} from "./schemas.ts";

export const CONSUMER_PROTOCOL_TYPE = "consumer";
export const SUBSCRIPTION_MAX_VERSION = 3;
export const ASSIGNMENT_MAX_VERSION = 3;

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface Subscription {
  version: number;
  topics: string[];
  userData: Buffer | null;
  /** v1+: what the member owned in its last generation (cooperative rebalancing). */
  ownedPartitions: TopicPartitions[];
  /** v2+: the generation those owned partitions belong to; -1 when unknown. */
  generationId: number;
  /** v3+: the client's rack (KIP-881). */
  rackId: string | null;
}

export interface Assignment {
  version: number;
  partitions: TopicPartitions[];
  userData: Buffer | null;
}

export function encodeSubscription(
  sub: Partial<Subscription> & { topics: string[] },
  version = sub.version ?? 0,
): Buffer {
  if (version < 0 || version > SUBSCRIPTION_MAX_VERSION)
    throw new WireError(`subscription version ${version}`, 0);
  return encodeVersioned(ConsumerProtocolSubscription, version, {
    topics: sub.topics,
    userData: sub.userData ?? null,
    ownedPartitions: sub.ownedPartitions ?? [],
    generationId: sub.generationId ?? -1,
    rackId: sub.rackId ?? null,
  });
}

export function decodeSubscription(buf: Buffer): Subscription {
  const { version, reader } = readVersion(buf);
  if (version < 0) throw new WireError(`subscription version ${version}`, 0);
  const o = decodeAt(reader, ConsumerProtocolSubscription, Math.min(version, SUBSCRIPTION_MAX_VERSION));
  return {
    version,
    topics: o.topics as string[],
    userData: ownBytes(o.userData),
    ownedPartitions: o.ownedPartitions as TopicPartitions[],
    generationId: o.generationId as number,
    rackId: o.rackId as string | null,
  };
}

export function encodeAssignment(
  a: Partial<Assignment> & { partitions: TopicPartitions[] },
  version = a.version ?? 0,
): Buffer {
  if (version < 0 || version > ASSIGNMENT_MAX_VERSION)
    throw new WireError(`assignment version ${version}`, 0);
  return encodeVersioned(ConsumerProtocolAssignment, version, {
    assignedPartitions: a.partitions,
    userData: a.userData ?? null,
  });
}

/**
 * Zero bytes decode to the empty assignment: the coordinator hands members the leader left out an
 * empty byte array (Kafka does the same), and clients read that as "nothing assigned".
 */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, partitions: [], userData: null };
  const { version, reader } = readVersion(buf);
  if (version < 0) throw new WireError(`assignment version ${version}`, 0);
  const at = Math.min(version, ASSIGNMENT_MAX_VERSION);
  const partitions = decodeAt(reader, ConsumerProtocolAssignmentPartitions, at)
    .assignedPartitions as TopicPartitions[];
  // Lenient: an assignment that ends before userData reads as userData null.
  const userData =
    reader.remaining >= 4
      ? ownBytes(decodeAt(reader, ConsumerProtocolAssignmentUserData, at).userData)
      : null;
  return { version, partitions, userData };
}

/** Flatten an assignment to a sorted list of topic-partitions (what observations and checks use). */
export function assignedTopicPartitions(a: Assignment): Array<{ topic: string; partition: number }> {
  const out: Array<{ topic: string; partition: number }> = [];
  for (const tp of a.partitions) for (const p of tp.partitions) out.push({ topic: tp.topic, partition: p });
  out.sort((x, y) => (x.topic < y.topic ? -1 : x.topic > y.topic ? 1 : x.partition - y.partition));
  return out;
}

/** Group a flat list of topic-partitions by topic, topics and partitions in ascending order. */
export function groupByTopic(list: ReadonlyArray<{ topic: string; partition: number }>): TopicPartitions[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of list) {
    const ps = byTopic.get(topic) ?? [];
    ps.push(partition);
    byTopic.set(topic, ps);
  }
  return [...byTopic.keys()].sort().map((topic) => ({
    topic,
    partitions: (byTopic.get(topic) ?? []).sort((a, b) => a - b),
  }));
}
