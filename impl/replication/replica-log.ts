/**
 * What a replica needs from its partition's storage: append, read, truncate, flush, and the leader epoch
 * cache. Two implementations: `MemoryReplicaLog` (unit tests of the replication core) and
 * `StorageReplicaLog` (impl/storage's PartitionLog and LeaderEpochCache on a real or simulated disk).
 */
export interface LogRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string>;
}

/** A record at its offset, with the leader epoch of the batch that wrote it. */
export interface LogEntry extends LogRecord {
  offset: number;
  epoch: number;
}

/** OffsetsForLeaderEpoch's answer: the end offset of `epoch` (the start of the next epoch, or the LEO). */
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export interface ReplicaLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** Assigns offsets from the log end; returns the first and last offsets written. */
  appendAsLeader(
    records: LogRecord[],
    epoch: number,
    nowMs: number,
  ): { baseOffset: number; lastOffset: number };
  /** Entries carry their offsets, which must continue the log end exactly. */
  appendAsFollower(entries: LogEntry[]): void;
  /** Entries in [from, maxOffset) up to maxRecords. */
  read(from: number, maxRecords: number, maxOffset?: number): LogEntry[];
  /** Drops every entry at or after `offset` (and the epoch cache above it). */
  truncateTo(offset: number): void;
  flush(): void;
  /** The high watermark as last written to the replication-offset-checkpoint file (durable). */
  readonly checkpointedHighWatermark: number;
  checkpointHighWatermark(highWatermark: number): void;
  /** The epoch cache: [epoch, startOffset] pairs, ascending. */
  epochEntries(): Array<[number, number]>;
  latestEpoch(): number;
  /** Records that `epoch` starts at `startOffset` (ignored if not newer than the latest). */
  assignEpoch(epoch: number, startOffset: number): void;
  /** Kafka's LeaderEpochFileCache.endOffsetFor semantics. */
  endOffsetFor(epoch: number): EpochEndOffset;
}

/** The epoch cache's lookup as Kafka defines it; shared by the memory log and tests. */
export function epochEndOffset(
  entries: ReadonlyArray<readonly [number, number]>,
  requested: number,
  logEndOffset: number,
): EpochEndOffset {
  if (requested === UNDEFINED_EPOCH || entries.length === 0) {
    return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  }
  const latest = entries[entries.length - 1][0];
  if (requested === latest) return { epoch: latest, endOffset: logEndOffset };
  // The first epoch above the requested one starts where the requested one (or its floor) ends.
  let higher = -1;
  for (let i = 0; i < entries.length; i++) {
    if (entries[i][0] > requested) {
      higher = i;
      break;
    }
  }
  if (higher === -1) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  if (higher === 0) return { epoch: requested, endOffset: entries[0][1] };
  return { epoch: entries[higher - 1][0], endOffset: entries[higher][1] };
}

/**
 * An in-memory log with a flushed prefix: `crash()` drops what was not flushed, like the simulated disk.
 * Used by the replication core's unit tests; the simulator uses the storage-backed log.
 */
export class MemoryReplicaLog implements ReplicaLog {
  private entries: LogEntry[] = [];
  private epochs: Array<[number, number]> = [];
  private flushedEntries = 0;
  private flushedEpochs: Array<[number, number]> = [];
  private hwCheckpoint = 0;

  get logStartOffset(): number {
    return 0;
  }
  get logEndOffset(): number {
    return this.entries.length;
  }

  appendAsLeader(records: LogRecord[], epoch: number): { baseOffset: number; lastOffset: number } {
    const baseOffset = this.entries.length;
    this.assignEpoch(epoch, baseOffset);
    for (const r of records) this.entries.push({ ...r, offset: this.entries.length, epoch });
    return { baseOffset, lastOffset: this.entries.length - 1 };
  }

  appendAsFollower(entries: LogEntry[]): void {
    for (const e of entries) {
      if (e.offset !== this.entries.length) {
        throw new Error(`non-contiguous follower append at ${e.offset}, log end ${this.entries.length}`);
      }
      this.assignEpoch(e.epoch, e.offset);
      this.entries.push(e);
    }
  }

  read(from: number, maxRecords: number, maxOffset = Number.MAX_SAFE_INTEGER): LogEntry[] {
    const end = Math.min(this.entries.length, maxOffset, from + maxRecords);
    return from >= end ? [] : this.entries.slice(from, end);
  }

  truncateTo(offset: number): void {
    if (offset >= this.entries.length) return;
    this.entries.length = Math.max(0, offset);
    this.flushedEntries = Math.min(this.flushedEntries, this.entries.length);
    this.epochs = this.epochs.filter(([, start]) => start < offset);
  }

  flush(): void {
    this.flushedEntries = this.entries.length;
    this.flushedEpochs = this.epochs.map((e) => [e[0], e[1]]);
  }

  get checkpointedHighWatermark(): number {
    return this.hwCheckpoint;
  }

  /** Written and fsynced in one go, like Kafka's checkpoint files (write, fsync, rename). */
  checkpointHighWatermark(highWatermark: number): void {
    this.hwCheckpoint = highWatermark;
  }

  /** What a kill -9 leaves: the flushed prefix and the flushed epoch checkpoint. */
  crash(): void {
    this.entries.length = this.flushedEntries;
    this.epochs = this.flushedEpochs.filter(([, start]) => start < this.entries.length || start === 0);
  }

  epochEntries(): Array<[number, number]> {
    return this.epochs.map((e) => [e[0], e[1]]);
  }
  latestEpoch(): number {
    return this.epochs.length === 0 ? UNDEFINED_EPOCH : this.epochs[this.epochs.length - 1][0];
  }
  assignEpoch(epoch: number, startOffset: number): void {
    if (epoch > this.latestEpoch()) this.epochs.push([epoch, startOffset]);
  }
  endOffsetFor(epoch: number): EpochEndOffset {
    return epochEndOffset(this.epochs, epoch, this.entries.length);
  }
}
