import { CheckpointError, OffsetCheckpointFile } from "./checkpoint.ts";
import type { FileSystem } from "./fs.ts";

/** Kafka's per-log-dir high watermark file. */
export const REPLICATION_OFFSET_CHECKPOINT = "replication-offset-checkpoint";

/** Checkpointed offsets of many partitions, by partition directory name ("<topic>-<partition>"). */
export interface PartitionOffsets {
  get(partition: string): number | undefined;
  /** Records an offset; it reaches the disk at the owner's next write(). */
  set(partition: string, offset: number): void;
}

/**
 * One offset per partition of a log dir in one checkpoint file (Kafka's replication-offset-checkpoint,
 * "<topic> <partition> <offset>" lines), kept in memory and written whole, atomically, when asked: a
 * broker hosting thousands of partitions writes one file per round instead of one per partition. A
 * malformed file reads as empty (every high watermark then restarts from 0 and is recomputed from the
 * leader's, as after a crash before the first checkpoint).
 */
export class LogDirOffsetCheckpoint implements PartitionOffsets {
  private readonly file: OffsetCheckpointFile;
  private readonly offsets: Map<string, number>;
  private changed = false;

  constructor(fs: FileSystem, path: string) {
    this.file = new OffsetCheckpointFile(fs, path);
    let offsets: Map<string, number>;
    try {
      offsets = this.file.read();
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      offsets = new Map();
    }
    this.offsets = offsets;
  }

  get path(): string {
    return this.file.path;
  }

  get(partition: string): number | undefined {
    return this.offsets.get(partition);
  }

  set(partition: string, offset: number): void {
    if (this.offsets.get(partition) === offset) return;
    this.offsets.set(partition, offset);
    this.changed = true;
  }

  /** Forgets a deleted partition. */
  delete(partition: string): void {
    if (this.offsets.delete(partition)) this.changed = true;
  }

  /** Whether a change waits for write(). */
  get dirty(): boolean {
    return this.changed;
  }

  /** Writes the file if anything changed since the last write; returns whether it wrote. */
  write(): boolean {
    if (!this.changed) return false;
    // Cleared first: a change made while writing (none, synchronously) would otherwise be lost.
    this.changed = false;
    try {
      this.file.write(this.offsets);
    } catch (e) {
      this.changed = true;
      throw e;
    }
    return true;
  }
}
