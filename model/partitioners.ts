/**
 * Producer-side partitioning, as Kafka's clients do it. Pure functions: any state a partitioner keeps
 * (round-robin counters, the sticky partition) is passed in and returned, so the model can replay it.
 */
import type { Partitioner } from "../spec/operations.ts";

const encoder = new TextEncoder();

/** UTF-8 bytes of a key, as Kafka's StringSerializer produces them. */
export function keyBytes(key: string): Uint8Array {
  return encoder.encode(key);
}

/**
 * Kafka's Utils.murmur2: MurmurHash2, 32-bit, seed 0x9747b28c, little-endian 4-byte blocks.
 * Returns the signed 32-bit result, as Java's int.
 */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  const m = 0x5bd1e995;
  const r = 24;
  let h = (0x9747b28c ^ length) | 0;
  const blocks = length >> 2;
  for (let i = 0; i < blocks; i++) {
    const j = i << 2;
    let k = data[j] | (data[j + 1] << 8) | (data[j + 2] << 16) | (data[j + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> r;
    k = Math.imul(k, m);
    h = Math.imul(h, m);
    h ^= k;
  }
  // The 1-3 tail bytes fold in from the highest down, then one more multiply (as the reference's switch).
  const tail = blocks << 2;
  const rest = length & 3;
  if (rest >= 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) {
    h ^= data[tail];
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's Utils.toPositive: clears the sign bit (not Math.abs, which maps MIN_VALUE to itself). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The default partitioner for keyed records: toPositive(murmur2(keyBytes)) % numPartitions. */
export function murmur2Partition(key: string, numPartitions: number): number {
  return toPositive(murmur2(keyBytes(key))) % numPartitions;
}

/** kafka-python's custom partitioner signature: (keyBytes, allPartitions, availablePartitions) => partition. */
export type CustomPartitioner = (
  keyBytes: Uint8Array | null,
  allPartitions: readonly number[],
  availablePartitions: readonly number[],
) => number;

export interface NamedPartitioner {
  fn: CustomPartitioner;
  /** True when the choice depends on which partitions are available (which a black-box checker cannot see). */
  usesAvailability: boolean;
  description: string;
}

/** Named custom partitioners a Produce op may ask for by `{kind: "custom", name}`. */
export const CUSTOM_PARTITIONERS: Readonly<Record<string, NamedPartitioner>> = {
  // The tutorial's "send every message to one partition (P0)".
  partitionZero: {
    fn: (_key, all) => all[0],
    usesAvailability: false,
    description: "always partition 0",
  },
  // The first partition that currently has a leader; partition 0's fallback when none has.
  firstAvailable: {
    fn: (_key, all, available) => (available.length > 0 ? available[0] : all[0]),
    usesAvailability: true,
    description: "the lowest-numbered available partition",
  },
  // kafka-python's DefaultPartitioner for keyed records, but over available partitions only.
  keyHashAvailable: {
    fn: (key, all, available) => {
      const pool = available.length > 0 ? available : all;
      if (key === null) return pool[0];
      return pool[toPositive(murmur2(key)) % pool.length];
    },
    usesAvailability: true,
    description: "murmur2 of the key over the available partitions",
  },
  // The last partition: a partitioner whose choice moves when partitions are added.
  lastPartition: {
    fn: (_key, all) => all[all.length - 1],
    usesAvailability: false,
    description: "always the highest-numbered partition",
  },
};

export function range(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/** Producer-side partitioner state: round-robin counters and sticky choices, per producer and topic. */
export interface PartitionerState {
  counters: Map<string, number>;
  sticky: Map<string, number>;
}

export function newPartitionerState(): PartitionerState {
  return { counters: new Map(), sticky: new Map() };
}

export interface PartitionChoice {
  partition: number;
  /** Set when a choice was free (sticky null-key partition): which candidates there were. */
  candidates?: number[];
}

/**
 * Where a producer sends one record. `pick(n)` is the model's seeded choice in [0, n) for the sticky
 * partitioner's new batch (Kafka picks at random). Keyed records with `roundRobin` still rotate, as
 * Kafka's RoundRobinPartitioner ignores keys.
 */
export function choosePartition(
  state: PartitionerState,
  producer: string,
  topic: string,
  partitioner: Partitioner,
  key: string | null,
  numPartitions: number,
  available: readonly number[],
  pick: (n: number) => number,
): PartitionChoice {
  const all = range(numPartitions);
  switch (partitioner.kind) {
    case "explicit":
      return { partition: partitioner.partition };
    case "murmur2": {
      if (key !== null) return { partition: murmur2Partition(key, numPartitions) };
      // KIP-480: null keys stick to one partition per batch; the model treats each record as a batch
      // boundary opportunity and keeps the partition until it becomes unavailable.
      const slot = `${producer}\u0000${topic}`;
      const pool = available.length > 0 ? available : all;
      const current = state.sticky.get(slot);
      if (current !== undefined && pool.includes(current) && current < numPartitions)
        return { partition: current };
      const chosen = pool[pick(pool.length)];
      state.sticky.set(slot, chosen);
      return { partition: chosen, candidates: [...pool] };
    }
    case "roundRobin": {
      const slot = `${producer}\u0000${topic}`;
      const n = state.counters.get(slot) ?? 0;
      state.counters.set(slot, n + 1);
      const pool = available.length > 0 ? available : all;
      return { partition: pool[n % pool.length] };
    }
    case "custom": {
      const named = CUSTOM_PARTITIONERS[partitioner.name];
      if (named === undefined) throw new Error(`unknown custom partitioner ${partitioner.name}`);
      return { partition: named.fn(key === null ? null : keyBytes(key), all, available) };
    }
  }
}

/**
 * What a checker allows: the partitions a record may land in, given every partition count the topic has
 * had (a producer's metadata may lag an addPartitions). Availability is invisible to a black-box checker,
 * so partitioners that depend on it allow any partition.
 */
export function allowedPartitions(
  partitioner: Partitioner,
  key: string | null,
  partitionCounts: readonly number[],
): Set<number> {
  const allowed = new Set<number>();
  const maxCount = Math.max(0, ...partitionCounts);
  const anyPartition = () => {
    for (let p = 0; p < maxCount; p++) allowed.add(p);
  };
  switch (partitioner.kind) {
    case "explicit":
      allowed.add(partitioner.partition);
      break;
    case "murmur2":
      if (key === null) anyPartition();
      else for (const n of partitionCounts) allowed.add(murmur2Partition(key, n));
      break;
    case "roundRobin":
      anyPartition();
      break;
    case "custom": {
      const named = CUSTOM_PARTITIONERS[partitioner.name];
      if (named === undefined || named.usesAvailability) anyPartition();
      else
        for (const n of partitionCounts) {
          const all = range(n);
          allowed.add(named.fn(key === null ? null : keyBytes(key), all, all));
        }
      break;
    }
  }
  return allowed;
}
