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
import { Reader, WireError, Writer } from "./wire.ts";

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

function writeTopicPartitions(w: Writer, list: readonly TopicPartitions[]): void {
  w.array(list, (w2, tp) => {
    w2.string(tp.topic);
    w2.array(tp.partitions, (w3, p) => w3.int32(p));
  });
}

function readTopicPartitions(r: Reader): TopicPartitions[] {
  return r.array((r2) => ({ topic: r2.string(), partitions: r2.array((r3) => r3.int32()) }));
}

export function encodeSubscription(
  sub: Partial<Subscription> & { topics: string[] },
  version = sub.version ?? 0,
): Buffer {
  if (version < 0 || version > SUBSCRIPTION_MAX_VERSION)
    throw new WireError(`subscription version ${version}`);
  const w = new Writer().int16(version);
  w.array(sub.topics, (w2, t) => w2.string(t));
  w.nullableBytes(sub.userData ?? null);
  if (version >= 1) writeTopicPartitions(w, sub.ownedPartitions ?? []);
  if (version >= 2) w.int32(sub.generationId ?? -1);
  if (version >= 3) w.nullableString(sub.rackId ?? null);
  return w.toBuffer();
}

export function decodeSubscription(buf: Buffer): Subscription {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new WireError(`subscription version ${version}`);
  const topics = r.array((r2) => r2.string());
  const userData = r.nullableBytes();
  const ownedPartitions = version >= 1 ? readTopicPartitions(r) : [];
  const generationId = version >= 2 ? r.int32() : -1;
  const rackId = version >= 3 ? r.nullableString() : null;
  return { version, topics, userData, ownedPartitions, generationId, rackId };
}

export function encodeAssignment(
  a: Partial<Assignment> & { partitions: TopicPartitions[] },
  version = a.version ?? 0,
): Buffer {
  if (version < 0 || version > ASSIGNMENT_MAX_VERSION) throw new WireError(`assignment version ${version}`);
  const w = new Writer().int16(version);
  writeTopicPartitions(w, a.partitions);
  w.nullableBytes(a.userData ?? null);
  return w.toBuffer();
}

/**
 * Zero bytes decode to the empty assignment: the coordinator hands members the leader left out an
 * empty byte array (Kafka does the same), and clients read that as "nothing assigned".
 */
export function decodeAssignment(buf: Buffer): Assignment {
  if (buf.length === 0) return { version: 0, partitions: [], userData: null };
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new WireError(`assignment version ${version}`);
  const partitions = readTopicPartitions(r);
  // Lenient: an assignment that ends before userData reads as userData null.
  const userData = r.remaining >= 4 ? r.nullableBytes() : null;
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
