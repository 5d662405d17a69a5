import { encodeBatch } from "../../impl/records/batch.ts";
import type { CompressionType } from "../../impl/records/types.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../../impl/storage/config.ts";

/** A small seeded PRNG (mulberry32) returning [0, 1): deterministic tears for SimFileSystem.crash. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A producer's batch of string values (offsets unassigned), one record per value. */
export function batchOf(
  values: readonly string[],
  timestamp = 1_000,
  compression: CompressionType = "none",
): Buffer {
  return encodeBatch(
    values.map((v, i) => ({ key: Buffer.from(`k${v}`), value: Buffer.from(v), timestamp: timestamp + i })),
    { compression },
  );
}

export function config(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}
