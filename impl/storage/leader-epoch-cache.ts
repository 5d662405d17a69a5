import { CheckpointError, readCheckpointFile, writeCheckpointFile } from "./checkpoint.ts";
import type { FileSystem } from "./fs.ts";

/** One leader epoch and the first offset written in it. */
export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

export const LEADER_EPOCH_CHECKPOINT = "leader-epoch-checkpoint";

/**
 * The leader epoch cache of one partition replica (KIP-101), kept in order of epoch and start offset,
 * both strictly increasing, and persisted to `leader-epoch-checkpoint` on every change, or, when
 * loaded with `deferWrites`, by flushCheckpoint() (the log calls it when it flushes, so the entries of
 * every flushed batch are durable with it, and recovery re-derives the rest from the batches, as Kafka's
 * LogSegment.recover does). Semantics follow Kafka's LeaderEpochFileCache (assign, endOffsetFor,
 * truncateFromEnd, truncateFromStart). With no FileSystem it is memory-only (for the model and for tests).
 */
export class LeaderEpochCache {
  private epochs: EpochEntry[];
  /** Changes not yet in the checkpoint file (deferred writes only). */
  private dirty = false;
  /** The entries the file holds as far as this cache knows, as written ("" for none). */
  private persisted: string;

  private constructor(
    private readonly fs: FileSystem | null,
    readonly path: string | null,
    entries: EpochEntry[],
    private readonly deferWrites = false,
  ) {
    this.epochs = entries;
    this.persisted = serialize(entries);
  }

  static inMemory(entries: readonly EpochEntry[] = []): LeaderEpochCache {
    const c = new LeaderEpochCache(null, null, []);
    for (const e of entries) c.assign(e.epoch, e.startOffset);
    return c;
  }

  /** Loads the checkpoint (missing: empty). Throws CheckpointError if it is malformed or not monotonic. */
  static load(fs: FileSystem, path: string, opts: { deferWrites?: boolean } = {}): LeaderEpochCache {
    const entries = readCheckpointFile(fs, path).map((f) => {
      if (f.length !== 2 || !/^\d+$/.test(f[0]) || !/^\d+$/.test(f[1])) {
        throw new CheckpointError(`bad leader epoch entry: ${f.join(" ")}`);
      }
      return { epoch: Number(f[0]), startOffset: Number(f[1]) };
    });
    for (let i = 1; i < entries.length; i++) {
      if (entries[i].epoch <= entries[i - 1].epoch || entries[i].startOffset < entries[i - 1].startOffset) {
        throw new CheckpointError(`leader epoch entries out of order at line ${i + 3}`);
      }
    }
    return new LeaderEpochCache(fs, path, entries, opts.deferWrites === true);
  }

  entries(): EpochEntry[] {
    return this.epochs.map((e) => ({ ...e }));
  }

  /** The latest epoch, or UNDEFINED_EPOCH (-1) when empty. */
  get latestEpoch(): number {
    return this.epochs.length ? this.epochs[this.epochs.length - 1].epoch : UNDEFINED_EPOCH;
  }

  get latestEntry(): EpochEntry | undefined {
    return this.epochs[this.epochs.length - 1];
  }

  get earliestEntry(): EpochEntry | undefined {
    return this.epochs[0];
  }

  /**
   * Records that `epoch` starts at `startOffset`. A new epoch, or the latest one moved earlier, first
   * removes entries that would break monotonicity (epoch >= new epoch or start >= new start); repeating
   * the latest entry (or a later start for it) changes nothing. Returns whether the cache changed.
   */
  assign(epoch: number, startOffset: number): boolean {
    if (epoch < 0 || startOffset < 0)
      throw new RangeError(`cannot assign epoch ${epoch} at offset ${startOffset}`);
    const last = this.latestEntry;
    if (last && epoch === last.epoch && startOffset >= last.startOffset) return false;
    while (this.epochs.length) {
      const e = this.epochs[this.epochs.length - 1];
      if (e.epoch >= epoch || e.startOffset >= startOffset) this.epochs.pop();
      else break;
    }
    this.epochs.push({ epoch, startOffset });
    this.flush();
    return true;
  }

  /**
   * OffsetsForLeaderEpoch: the largest epoch <= `requestedEpoch` and where it ends (the start of the next
   * higher epoch, or `logEndOffset` for the latest epoch). As in Kafka's LeaderEpochFileCache.endOffsetFor:
   * - requested is UNDEFINED_EPOCH, or larger than every cached epoch: (-1, -1);
   * - requested is the latest epoch: (requested, logEndOffset);
   * - requested is below every cached epoch: (requested, start of the first epoch);
   * - otherwise: (floor epoch, start of the first epoch above requested).
   * (KIP-279's rule that a leader answers a follower's newer epoch with its own end is enforced by the
   * caller, which must compare the request with the partition's current leader epoch first.)
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: number): EpochEntryEnd {
    if (requestedEpoch === UNDEFINED_EPOCH)
      return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (this.epochs.length && requestedEpoch === this.latestEpoch) {
      return { epoch: requestedEpoch, endOffset: logEndOffset };
    }
    const higher = this.epochs.findIndex((e) => e.epoch > requestedEpoch);
    if (higher < 0) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (higher === 0) return { epoch: requestedEpoch, endOffset: this.epochs[0].startOffset };
    return { epoch: this.epochs[higher - 1].epoch, endOffset: this.epochs[higher].startOffset };
  }

  /** The epoch that wrote `offset` (the last entry starting at or before it), or UNDEFINED_EPOCH. */
  epochForOffset(offset: number): number {
    let found = UNDEFINED_EPOCH;
    for (const e of this.epochs) {
      if (e.startOffset <= offset) found = e.epoch;
      else break;
    }
    return found;
  }

  /** After the log is truncated to `endOffset`: drop entries starting at or after it. */
  truncateFromEnd(endOffset: number): void {
    if (endOffset < 0) return;
    const before = this.epochs.length;
    while (this.epochs.length && this.epochs[this.epochs.length - 1].startOffset >= endOffset)
      this.epochs.pop();
    if (this.epochs.length !== before) this.flush();
  }

  /**
   * After the log start moves to `startOffset` (retention, DeleteRecords): drop entries starting at or
   * before it, keeping the last of those with its start moved up to `startOffset`.
   */
  truncateFromStart(startOffset: number): void {
    if (startOffset < 0) return;
    let lastRemoved: EpochEntry | undefined;
    while (this.epochs.length && this.epochs[0].startOffset <= startOffset) lastRemoved = this.epochs.shift();
    if (!lastRemoved) return;
    this.epochs.unshift({ epoch: lastRemoved.epoch, startOffset });
    this.flush();
  }

  /** Empties the cache (a replica deleted or fully truncated). */
  clear(): void {
    if (this.epochs.length === 0) return;
    this.epochs = [];
    this.flush();
  }

  /** Whether changes wait for flushCheckpoint(). */
  get hasUnflushedChanges(): boolean {
    return this.dirty;
  }

  /**
   * Writes the checkpoint if a deferred change is pending (atomically: the old or the new file), with
   * the entries that start below `endOffset` (the log end): an epoch no batch carries yet, as a leader's
   * on an empty log, waits until records are written in it (a restarted broker learns its epoch from the
   * controller again). No write when those entries are what the file already holds.
   */
  flushCheckpoint(endOffset = Number.POSITIVE_INFINITY): void {
    if (!this.dirty) return;
    const keep = this.epochs.filter((e) => e.startOffset < endOffset);
    if (serialize(keep) !== this.persisted) this.write(keep);
    if (keep.length === this.epochs.length) this.dirty = false;
  }

  private flush(): void {
    if (this.deferWrites) this.dirty = true;
    else this.write(this.epochs);
  }

  private write(entries: readonly EpochEntry[]): void {
    if (this.fs && this.path) {
      writeCheckpointFile(
        this.fs,
        this.path,
        entries.map((e) => [e.epoch, e.startOffset]),
      );
      this.persisted = serialize(entries);
    }
  }
}

export interface EpochEntryEnd {
  epoch: number;
  endOffset: number;
}

function serialize(entries: readonly EpochEntry[]): string {
  return entries.map((e) => `${e.epoch} ${e.startOffset}`).join("\n");
}
