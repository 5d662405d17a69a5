import {
  BATCH_HEADER_BYTES,
  baseOffsetOf,
  batchSizeAt,
  checkBatch,
  LOG_OVERHEAD,
  lastOffsetOf,
  maxTimestampOf,
  partitionLeaderEpochOf,
} from "../records/batch.ts";
import { CreateOnWriteFile, type FileHandle, type FileSystem, joinPath } from "./fs.ts";
import { OFFSET_INDEX_ENTRY_BYTES, OffsetIndex } from "./offset-index.ts";
import { TIME_INDEX_ENTRY_BYTES, TimeIndex } from "./time-index.ts";

/** "00000000000000000042": Kafka's 20-digit zero-padded base offset, the name of a segment's files. */
export function segmentFileStem(baseOffset: number): string {
  return String(baseOffset).padStart(20, "0");
}

export const LOG_SUFFIX = ".log";
export const INDEX_SUFFIX = ".index";
export const TIME_INDEX_SUFFIX = ".timeindex";

/** Where one batch sits in a segment, from its header. */
export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
}

const READ_CHUNK_BYTES = 1 << 20;

/**
 * Reads batch headers (or whole batches) of a file forward through a buffered window, so a scan of
 * many small batches costs a few large reads, not one per batch.
 */
export class FileBatchReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  constructor(
    private readonly file: FileHandle,
    private readonly end: number,
    private readonly chunkBytes = READ_CHUNK_BYTES,
  ) {}
  /** Bytes [position, position + length) clipped to the end; a view into the window when possible. */
  bytes(position: number, length: number): Buffer {
    const want = Math.min(length, this.end - position);
    if (want <= 0) return Buffer.alloc(0);
    const off = position - this.windowStart;
    if (off < 0 || off + want > this.window.length) {
      this.window = this.file.read(position, Math.min(Math.max(want, this.chunkBytes), this.end - position));
      this.windowStart = position;
      return this.window.subarray(0, want);
    }
    return this.window.subarray(off, off + want);
  }
  /** The header of the batch at `position`, or null if fewer than its bytes remain. */
  location(position: number): BatchLocation | null {
    const h = this.bytes(position, BATCH_HEADER_BYTES);
    if (h.length < BATCH_HEADER_BYTES) return null;
    return {
      position,
      size: batchSizeAt(h, 0) ?? 0,
      baseOffset: baseOffsetOf(h),
      lastOffset: lastOffsetOf(h),
      maxTimestamp: maxTimestampOf(h),
      leaderEpoch: partitionLeaderEpochOf(h),
    };
  }
}

export interface SegmentConfig {
  indexIntervalBytes: number;
  maxIndexBytes: number;
}

/**
 * One segment: a .log of whole batches as they were appended, its sparse .index and .timeindex, and
 * what the log needs in memory (next offset, largest timestamp, bytes since the last index entry).
 * The FileSystem's durability contract applies: nothing here is durable until flush().
 */
export class LogSegment {
  readonly log: FileHandle;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  /** One past the last offset held; the base offset while empty. */
  nextOffset: number;
  /** The largest batch maxTimestamp and the offset of its batch's last record; -1 when none. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** Kafka's rollingBasedTimestamp: the first batch's maxTimestamp, for segment.ms. */
  firstBatchTimestamp = -1;
  private bytesSinceLastIndexEntry = 0;
  /** Whether both index files were on disk when the segment was opened (a missing one is rebuilt). */
  private readonly indexesExisted: boolean;
  /**
   * Whether flush() has work: set by every change, cleared by flush, and clear after a load that found
   * the segment whole (it was flushed when it rolled, or before a clean shutdown). So closing thousands of
   * idle logs costs no fsync.
   */
  private unflushed = true;

  private constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    private readonly config: SegmentConfig,
    /** When this process created or opened the segment: the age of a segment with no timestamps. */
    readonly createdMs: number,
  ) {
    const stem = joinPath(dir, segmentFileStem(baseOffset));
    this.indexesExisted = fs.exists(stem + INDEX_SUFFIX) && fs.exists(stem + TIME_INDEX_SUFFIX);
    // The .log is what makes the segment exist (and keeps its base offset across a restart); the
    // indexes are created when they get an entry or the segment first flushes data.
    fs.createFiles([stem + LOG_SUFFIX]);
    this.log = fs.open(stem + LOG_SUFFIX);
    this.offsetIndex = new OffsetIndex(
      CreateOnWriteFile.open(fs, stem + INDEX_SUFFIX),
      baseOffset,
      Math.max(1, Math.floor(config.maxIndexBytes / OFFSET_INDEX_ENTRY_BYTES)),
    );
    this.timeIndex = new TimeIndex(
      CreateOnWriteFile.open(fs, stem + TIME_INDEX_SUFFIX),
      baseOffset,
      Math.max(1, Math.floor(config.maxIndexBytes / TIME_INDEX_ENTRY_BYTES)),
    );
    this.nextOffset = baseOffset;
  }

  /** Creates a new, empty segment (its files truncated if left over). */
  static create(
    fs: FileSystem,
    dir: string,
    baseOffset: number,
    config: SegmentConfig,
    nowMs: number,
  ): LogSegment {
    const s = new LogSegment(fs, dir, baseOffset, config, nowMs);
    s.log.truncate(0);
    s.offsetIndex.reset();
    s.timeIndex.reset();
    s.unflushed = true;
    return s;
  }

  /** Opens an existing segment without scanning it (see load and recover). */
  static openExisting(
    fs: FileSystem,
    dir: string,
    baseOffset: number,
    config: SegmentConfig,
    nowMs: number,
  ): LogSegment {
    return new LogSegment(fs, dir, baseOffset, config, nowMs);
  }

  get size(): number {
    return this.log.size();
  }
  get isEmpty(): boolean {
    return this.log.size() === 0;
  }
  /** The timestamp retention measures this segment's age by. */
  get largestTimestamp(): number {
    return this.maxTimestamp >= 0 ? this.maxTimestamp : this.createdMs;
  }
  get rollingBasedTimestamp(): number {
    return this.firstBatchTimestamp >= 0 ? this.firstBatchTimestamp : this.createdMs;
  }
  get indexFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  /** Appends whole, valid batches with offsets assigned (the caller checked them). */
  append(batches: Buffer): void {
    const start = this.log.size();
    let pos = 0;
    while (pos < batches.length) {
      const size = batchSizeAt(batches, pos)!;
      this.indexBatch({
        position: start + pos,
        size,
        baseOffset: baseOffsetOf(batches, pos),
        lastOffset: lastOffsetOf(batches, pos),
        maxTimestamp: maxTimestampOf(batches, pos),
        leaderEpoch: partitionLeaderEpochOf(batches, pos),
      });
      pos += size;
    }
    this.log.append(batches);
    this.unflushed = true;
  }

  /** Kafka's indexing rule, applied per batch so that a rebuild gives the same entries. */
  private indexBatch(b: BatchLocation): void {
    if (this.firstBatchTimestamp < 0 && b.position === 0) this.firstBatchTimestamp = b.maxTimestamp;
    if (b.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = b.maxTimestamp;
      this.offsetOfMaxTimestamp = b.lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      this.offsetIndex.append(b.lastOffset, b.position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += b.size;
    this.nextOffset = b.lastOffset + 1;
  }

  /** When the segment stops being active: index its largest timestamp so retention can see it. */
  onBecomeInactive(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
    this.ensureIndexFiles();
    this.unflushed = true;
  }

  /**
   * Creates index files not created yet, empty, if the segment holds data: a segment is loaded without
   * a rebuild only with both (a rolled one, or the last one after a clean shutdown). The active segment's
   * are otherwise created lazily, so new and small partitions cost one file, not three.
   */
  ensureIndexFiles(): void {
    if (this.log.size() === 0) return;
    for (const f of [this.offsetIndex.file, this.timeIndex.file]) {
      if (f instanceof CreateOnWriteFile && !f.created) {
        f.ensureCreated();
        this.unflushed = true;
      }
    }
  }

  /**
   * Loads a segment that is not the last one, trusting its data (it was fsynced when it rolled) and
   * checking its indexes. `nextOffset` is the next segment's base. Returns false if an index is bad
   * (the caller then recovers the segment, which rebuilds it).
   */
  load(nextOffset: number): boolean {
    const size = this.log.size();
    this.nextOffset = nextOffset;
    if (!this.indexesExisted) return false;
    if (!this.offsetIndex.load(size) || !this.timeIndex.load(nextOffset)) return false;
    if (!this.endsAt(nextOffset)) return false;
    if (this.timeIndex.entries > 0) {
      this.maxTimestamp = this.timeIndex.lastTimestamp;
      this.offsetOfMaxTimestamp = this.timeIndex.lastOffset;
    } else if (size > 0) {
      // A segment too small to have index entries: read its headers for the timestamp.
      this.scanHeaders((b) => {
        if (b.maxTimestamp > this.maxTimestamp) {
          this.maxTimestamp = b.maxTimestamp;
          this.offsetOfMaxTimestamp = b.lastOffset;
        }
        return true;
      });
    }
    const first = size > 0 ? new FileBatchReader(this.log, size).location(0) : null;
    this.firstBatchTimestamp = first ? first.maxTimestamp : -1;
    this.unflushed = false;
    return true;
  }

  /**
   * Loads the last segment after a clean shutdown, without the CRC scan: indexes are checked, and the
   * batches after the last offset index entry are walked by their headers to find the end. False if
   * anything does not line up (the caller then recovers the segment).
   */
  loadClean(): boolean {
    const size = this.log.size();
    // An empty segment's indexes may never have been created.
    if (!this.indexesExisted && size > 0) return false;
    if (!this.offsetIndex.load(size) || !this.timeIndex.load(Number.MAX_SAFE_INTEGER)) return false;
    const start =
      this.offsetIndex.entries > 0 ? this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position : 0;
    let maxTs = this.timeIndex.lastTimestamp;
    let offsetOfMaxTs = this.timeIndex.entries > 0 ? this.timeIndex.lastOffset : -1;
    let next = start === 0 ? this.baseOffset : -1;
    let end = start;
    let ok = true;
    this.scanHeaders((b) => {
      if (b.size < BATCH_HEADER_BYTES || b.position + b.size > size || (next >= 0 && b.baseOffset !== next)) {
        ok = false;
        return false;
      }
      if (b.maxTimestamp > maxTs) {
        maxTs = b.maxTimestamp;
        offsetOfMaxTs = b.lastOffset;
      }
      next = b.lastOffset + 1;
      end = b.position + b.size;
      return true;
    }, start);
    if (!ok || end !== size || next < this.baseOffset) return false;
    if (this.timeIndex.entries > 0 && this.timeIndex.lastOffset >= next) return false;
    this.nextOffset = next;
    this.maxTimestamp = maxTs;
    this.offsetOfMaxTimestamp = offsetOfMaxTs;
    this.bytesSinceLastIndexEntry = size - start;
    const first = size > 0 ? new FileBatchReader(this.log, size).location(0) : null;
    this.firstBatchTimestamp = first ? first.maxTimestamp : -1;
    this.unflushed = false;
    return true;
  }

  /**
   * Whether the batches from the last index entry on run whole to the end of the file and the last one
   * ends just before `nextOffset`: a rolled segment that lost its tail fails this and is recovered.
   */
  private endsAt(nextOffset: number): boolean {
    const size = this.log.size();
    if (size === 0) return false;
    let end = this.offsetIndex.lookup(nextOffset).position;
    let last = -1;
    this.scanHeaders((b) => {
      if (b.size < BATCH_HEADER_BYTES || b.position + b.size > size) return false;
      end = b.position + b.size;
      last = b.lastOffset;
      return true;
    }, end);
    return end === size && last + 1 === nextOffset;
  }

  /**
   * Recovery: reads every batch, checking length, magic, CRC, that offsets continue from the base
   * without gaps and that leader epochs never decrease; cuts the log at the first batch that fails
   * (a torn or corrupt tail) and rebuilds both indexes. `onBatch` sees each batch kept, in order (the
   * log re-derives leader epochs its checkpoint may not have reached disk with). Returns the bytes cut off.
   */
  recover(minLeaderEpoch = -1, onBatch?: (b: BatchLocation) => void): number {
    this.unflushed = true;
    const size = this.log.size();
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.nextOffset = this.baseOffset;
    const reader = new FileBatchReader(this.log, size);
    let pos = 0;
    let epoch = minLeaderEpoch;
    while (pos < size) {
      const loc = reader.location(pos);
      if (!loc || loc.size < BATCH_HEADER_BYTES || pos + loc.size > size) break;
      if (!checkBatch(reader.bytes(pos, loc.size), 0).ok) break;
      if (loc.baseOffset !== this.nextOffset || loc.leaderEpoch < epoch) break;
      epoch = loc.leaderEpoch;
      this.indexBatch(loc);
      onBatch?.(loc);
      pos += loc.size;
    }
    if (pos < size) this.log.truncate(pos);
    return size - pos;
  }

  /** Visits batch headers from `position` until `visit` returns false or the segment ends. */
  scanHeaders(visit: (b: BatchLocation) => boolean, position = 0): void {
    const size = this.log.size();
    const reader = new FileBatchReader(this.log, size);
    let pos = position;
    while (pos < size) {
      const loc = reader.location(pos);
      if (!loc || loc.size < LOG_OVERHEAD) return;
      if (!visit(loc)) return;
      pos += loc.size;
    }
  }

  /** The first batch whose last offset is at or after `offset`, or null if the segment has none. */
  translateOffset(offset: number): BatchLocation | null {
    let found: BatchLocation | null = null;
    this.scanHeaders((b) => {
      if (b.lastOffset >= offset) {
        found = b;
        return false;
      }
      return true;
    }, this.offsetIndex.lookup(offset).position);
    return found;
  }

  /**
   * Whole batches from the first one holding an offset at or after `offset`: that batch even if larger
   * than maxBytes unless `minOneBatch` is false (KIP-74: only a fetch's first partition may exceed its
   * limit, so a consumer can make progress), then more while they fit in
   * maxBytes and end below `maxOffset`. Null if no batch here reaches `offset`. One buffered reader
   * serves the index-guided scan and the read, so a fetch costs one or two file reads.
   */
  readFrom(
    offset: number,
    maxBytes: number,
    maxOffset = Number.POSITIVE_INFINITY,
    minOneBatch = true,
  ): Buffer | null {
    const size = this.log.size();
    const chunk = Math.min(
      Math.max(maxBytes + this.config.indexIntervalBytes + BATCH_HEADER_BYTES, 4096),
      8 << 20,
    );
    const reader = new FileBatchReader(this.log, size, chunk);
    let start = this.offsetIndex.lookup(offset).position;
    let found = false;
    while (start < size) {
      const loc = reader.location(start);
      if (!loc || loc.size < BATCH_HEADER_BYTES || start + loc.size > size) return null;
      if (loc.lastOffset >= offset) {
        found = true;
        break;
      }
      start += loc.size;
    }
    if (!found) return null;
    let end = start;
    while (end < size) {
      const loc = reader.location(end);
      if (!loc || loc.size < BATCH_HEADER_BYTES || end + loc.size > size) break;
      if (loc.lastOffset >= maxOffset) break;
      if ((end > start || !minOneBatch) && end + loc.size - start > maxBytes) break;
      end += loc.size;
    }
    return end > start ? reader.bytes(start, end - start) : Buffer.alloc(0);
  }

  /**
   * Drops every batch holding an offset at or after `offset` (a batch that straddles it goes whole),
   * with its index entries. Returns the bytes removed.
   */
  truncateTo(offset: number): number {
    const loc = this.translateOffset(offset);
    if (!loc) return 0;
    const before = this.log.size();
    this.unflushed = true;
    this.log.truncate(loc.position);
    this.offsetIndex.truncateToPosition(loc.position);
    this.timeIndex.truncateTo(loc.baseOffset);
    // Recompute what the in-memory summary says from the remaining batches.
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.nextOffset = this.baseOffset;
    this.scanHeaders((b) => {
      if (b.maxTimestamp > this.maxTimestamp) {
        this.maxTimestamp = b.maxTimestamp;
        this.offsetOfMaxTimestamp = b.lastOffset;
      }
      this.nextOffset = b.lastOffset + 1;
      return true;
    });
    if (loc.position === 0) this.firstBatchTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    return before - loc.position;
  }

  /**
   * The first record time at or after `timestamp`: the batch to search, found from the time index
   * and a scan, or null if no batch in this segment reaches it.
   */
  findBatchByTimestamp(timestamp: number, startingOffset: number): BatchLocation | null {
    const fromOffset = Math.max(this.timeIndex.lookup(timestamp), startingOffset);
    const start = this.offsetIndex.lookup(fromOffset).position;
    let found: BatchLocation | null = null;
    this.scanHeaders((b) => {
      if (b.lastOffset >= fromOffset && b.maxTimestamp >= timestamp) {
        found = b;
        return false;
      }
      return true;
    }, start);
    return found;
  }

  readBatch(loc: BatchLocation): Buffer {
    return this.log.read(loc.position, loc.size);
  }

  /** Writes pending index entries and fsyncs the three files; nothing when nothing changed. */
  flush(): void {
    if (!this.unflushed) return;
    this.offsetIndex.sync();
    this.timeIndex.sync();
    this.log.fsync();
    this.offsetIndex.file.fsync();
    this.timeIndex.file.fsync();
    this.unflushed = false;
  }

  close(): void {
    this.offsetIndex.sync();
    this.timeIndex.sync();
    this.log.close();
    this.offsetIndex.file.close();
    this.timeIndex.file.close();
  }

  /** Closes and removes the files: the .log first, so a crash midway leaves only index orphans. */
  delete(): void {
    this.log.close();
    this.offsetIndex.file.close();
    this.timeIndex.file.close();
    const stem = joinPath(this.dir, segmentFileStem(this.baseOffset));
    for (const suffix of [LOG_SUFFIX, INDEX_SUFFIX, TIME_INDEX_SUFFIX]) {
      if (this.fs.exists(stem + suffix)) this.fs.remove(stem + suffix);
    }
  }
}
