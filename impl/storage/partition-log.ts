import {
  baseOffsetOf,
  batchSizeAt,
  checkBatch,
  iterateRecords,
  lastOffsetOf,
  magicAt,
  partitionLeaderEpochOf,
  recordCountOf,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
} from "../records/batch.ts";
import { RecordFormatError } from "../records/errors.ts";
import { legacyToBatchV2 } from "../records/legacy.ts";
import type { KafkaRecord } from "../records/types.ts";
import { CheckpointError, readCheckpointFile, writeCheckpointFile } from "./checkpoint.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "./config.ts";
import { StorageError } from "./errors.ts";
import { type FileSystem, joinPath, writeFileAtomic } from "./fs.ts";
import { LEADER_EPOCH_CHECKPOINT, LeaderEpochCache } from "./leader-epoch-cache.ts";
import { INDEX_SUFFIX, LOG_SUFFIX, LogSegment, type SegmentConfig, TIME_INDEX_SUFFIX } from "./segment.ts";

/** The partition directory name Kafka uses: "<topic>-<partition>". */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/**
 * Written by shutdown() after the final flush and removed by open(): while it is there, the last
 * segment is known to be whole and open() skips its CRC scan. A store of many logs writes one marker
 * for its whole log dir instead (LOG_DIR_CLEAN_SHUTDOWN_MARKER) and opens with `cleanShutdown`.
 */
export const CLEAN_SHUTDOWN_MARKER = "clean-shutdown";

/** Kafka's per-log-dir clean shutdown file (LogLoader.CleanShutdownFileName). */
export const LOG_DIR_CLEAN_SHUTDOWN_MARKER = ".kafka_cleanshutdown";

/** Persisted log start offset (moved by DeleteRecords), one entry: "<offset>". */
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  /** The broker time stamped on the batches, or -1 for CreateTime topics (ProduceResponse's field). */
  logAppendTime: number;
  recordCount: number;
}

/** A decoded record and the leader epoch of the batch that holds it. */
export interface LogRecord extends KafkaRecord {
  leaderEpoch: number;
}

export interface OpenOptions {
  /** The clock at open: the age of recovered segments without timestamps, and the flush.ms baseline. */
  nowMs?: number;
  /** What recovery found, for logs and tests. */
  onRecovery?: (event: RecoveryEvent) => void;
  /**
   * The log was flushed and closed by a clean shutdown (its store's log-dir marker says so): the last
   * segment is loaded without the CRC scan, as with this log's own marker.
   */
  cleanShutdown?: boolean;
}

export interface RecoveryEvent {
  segmentBaseOffset: number;
  truncatedBytes: number;
  reason: "tail" | "index" | "corrupt";
}

interface BatchSummary {
  position: number;
  size: number;
  records: number;
}

/**
 * A partition's log: segments named by base offset, each with a sparse offset index and time index;
 * batches stored as received with offsets (and the leader's epoch) set in place; roll by size, time
 * and index capacity; retention by time and size in whole segments; Kafka's flush policy; and
 * recovery on open that trusts nothing after the last segment roll.
 *
 * All calls are synchronous and deterministic given the FileSystem, so the simulator can run it.
 * Appends take ownership of the Buffer they are given: offsets and epochs are written into it.
 */
export class PartitionLog {
  private segments: LogSegment[] = [];
  private logStart = 0;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  readonly epochCache: LeaderEpochCache;

  private constructor(
    readonly fs: FileSystem,
    readonly dir: string,
    readonly config: Readonly<LogConfig>,
    nowMs: number,
    epochCache: LeaderEpochCache,
  ) {
    this.lastFlushMs = nowMs;
    this.epochCache = epochCache;
  }

  /**
   * Opens (creating if needed) the log in `dir` and recovers it: removes leftovers of interrupted
   * operations, checks the indexes of rolled segments, scans the last segment batch by batch (length,
   * magic, CRC, contiguous offsets) and cuts a torn or corrupt tail, then aligns the leader epoch cache
   * and the log start offset with what survived.
   */
  static open(
    fs: FileSystem,
    dir: string,
    config: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
    opts: OpenOptions = {},
  ): PartitionLog {
    const nowMs = opts.nowMs ?? 0;
    fs.mkdir(dir);
    const names = fs.list(dir);
    for (const n of names) if (n.endsWith(".tmp") || n.endsWith(".deleted")) fs.remove(joinPath(dir, n));
    const bases = names
      .filter((n) => /^\d{20}\.log$/.test(n))
      .map((n) => Number(n.slice(0, 20)))
      .sort((a, b) => a - b);
    const baseSet = new Set(bases);
    for (const n of names) {
      const m = /^(\d{20})\.(index|timeindex)$/.exec(n);
      if (m && !baseSet.has(Number(m[1]))) fs.remove(joinPath(dir, n));
    }

    // Epoch checkpoint writes wait for the log's next flush (see flush()): a leader elected on an empty
    // log, as every new partition's is, costs no write until its first records are flushed.
    const epochPath = joinPath(dir, LEADER_EPOCH_CHECKPOINT);
    let epochCache: LeaderEpochCache;
    let epochCacheBroken = false;
    try {
      epochCache = LeaderEpochCache.load(fs, epochPath, { deferWrites: true });
    } catch (e) {
      if (!(e instanceof CheckpointError)) throw e;
      fs.remove(epochPath);
      epochCache = LeaderEpochCache.load(fs, epochPath, { deferWrites: true });
      epochCacheBroken = true;
    }
    const log = new PartitionLog(fs, dir, config, nowMs, epochCache);
    const checkpointStart = log.readLogStartCheckpoint();
    const report = opts.onRecovery ?? (() => {});

    const marker = joinPath(dir, CLEAN_SHUTDOWN_MARKER);
    const ownMarker = fs.exists(marker);
    const cleanShutdown = ownMarker || opts.cleanShutdown === true;
    // Epochs of batches whose checkpoint write had not reached the disk come back from the batches.
    const reassign = (b: { leaderEpoch: number; baseOffset: number }) => {
      if (b.leaderEpoch >= 0 && b.leaderEpoch > log.epochCache.latestEpoch)
        log.epochCache.assign(b.leaderEpoch, b.baseOffset);
    };
    const segConfig = log.segmentConfig();
    const recovered: LogSegment[] = [];
    for (let i = 0; i < bases.length; i++) {
      const seg = LogSegment.openExisting(fs, dir, bases[i], segConfig, nowMs);
      log.segments.push(seg);
      const isLast = i === bases.length - 1;
      if (!isLast && seg.load(bases[i + 1])) continue;
      if (isLast && cleanShutdown && seg.loadClean()) continue;
      const prevEpoch = log.segments.length > 1 ? log.lastEpochOf(log.segments[log.segments.length - 2]) : -1;
      const cut = seg.recover(prevEpoch, reassign);
      if (cut > 0)
        report({
          segmentBaseOffset: seg.baseOffset,
          truncatedBytes: cut,
          reason: isLast ? "tail" : "corrupt",
        });
      else if (!isLast) report({ segmentBaseOffset: seg.baseOffset, truncatedBytes: 0, reason: "index" });
      recovered.push(seg);
      const continues = isLast || seg.nextOffset === bases[i + 1];
      if (!isLast && continues) seg.onBecomeInactive();
      if (!continues) {
        // A rolled segment lost its tail: everything after it is no longer contiguous with it.
        for (let j = i + 1; j < bases.length; j++) {
          const later = LogSegment.openExisting(fs, dir, bases[j], segConfig, nowMs);
          report({ segmentBaseOffset: bases[j], truncatedBytes: later.size, reason: "corrupt" });
          later.delete();
        }
        break;
      }
    }
    if (log.segments.length === 0) {
      log.segments.push(LogSegment.create(fs, dir, checkpointStart, segConfig, nowMs));
    }
    // Make the cut tails and rebuilt indexes durable before anything is appended after them.
    for (const seg of recovered) seg.flush();

    log.logStart = Math.max(checkpointStart, log.segments[0].baseOffset);
    if (log.logStart > log.logEndOffset) log.truncateFullyAndStartAt(log.logStart, nowMs);
    if (epochCacheBroken) log.rebuildEpochCache();
    log.epochCache.truncateFromEnd(log.logEndOffset);
    log.epochCache.truncateFromStart(log.logStart);
    // And the epochs recovery re-derived or dropped.
    if (recovered.length > 0 || epochCacheBroken) log.epochCache.flushCheckpoint(log.logEndOffset);
    // From here on appends may be torn again: the next open must scan.
    if (ownMarker) fs.remove(marker);
    return log;
  }

  private segmentConfig(): SegmentConfig {
    return {
      indexIntervalBytes: this.config["index.interval.bytes"],
      maxIndexBytes: this.config["segment.index.bytes"],
    };
  }

  private readLogStartCheckpoint(): number {
    try {
      const entries = readCheckpointFile(this.fs, joinPath(this.dir, LOG_START_OFFSET_CHECKPOINT));
      return entries.length === 1 && /^\d+$/.test(entries[0][0]) ? Number(entries[0][0]) : 0;
    } catch (e) {
      if (e instanceof CheckpointError) return 0;
      throw e;
    }
  }

  private writeLogStartCheckpoint(): void {
    writeCheckpointFile(this.fs, joinPath(this.dir, LOG_START_OFFSET_CHECKPOINT), [[this.logStart]]);
  }

  private lastEpochOf(seg: LogSegment): number {
    let epoch = -1;
    seg.scanHeaders((b) => {
      epoch = b.leaderEpoch;
      return true;
    }, seg.offsetIndex.lookup(seg.nextOffset).position);
    return epoch;
  }

  /** A broken checkpoint is rebuilt from the batches' own leader epochs. */
  private rebuildEpochCache(): void {
    this.epochCache.clear();
    for (const seg of this.segments) {
      seg.scanHeaders((b) => {
        if (b.leaderEpoch > this.epochCache.latestEpoch) this.epochCache.assign(b.leaderEpoch, b.baseOffset);
        return true;
      });
    }
  }

  /** The first offset still in the log (moved by retention and DeleteRecords). */
  get logStartOffset(): number {
    return this.logStart;
  }

  /** One past the last offset in the log: where the next append goes. */
  get logEndOffset(): number {
    return this.activeSegment.nextOffset;
  }

  /** Bytes in all segments. */
  get size(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n;
  }

  /** Base offsets of the segments, oldest first (for tests and DescribeLogDirs). */
  segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Messages appended since the last flush. */
  get unflushedMessageCount(): number {
    return this.unflushedMessages;
  }

  private get activeSegment(): LogSegment {
    return this.segments[this.segments.length - 1];
  }

  /**
   * Checks every batch in `buf` (whole, magic 2, CRC, sane counts, within max.message.bytes) and
   * returns where they are; throws StorageError with the produce error code otherwise.
   */
  private validateBatches(buf: Buffer, allowPartialTail: boolean): BatchSummary[] {
    const out: BatchSummary[] = [];
    let pos = 0;
    while (pos < buf.length) {
      const c = checkBatch(buf, pos);
      if (!c.ok) {
        if (c.partial && allowPartialTail) break;
        throw new StorageError("CORRUPT_MESSAGE", `batch at byte ${pos}: ${c.reason}`);
      }
      if (c.size > this.config["max.message.bytes"]) {
        throw new StorageError(
          "MESSAGE_TOO_LARGE",
          `batch of ${c.size} bytes exceeds max.message.bytes=${this.config["max.message.bytes"]}`,
        );
      }
      const records = recordCountOf(buf, pos);
      if (records <= 0 || lastOffsetOf(buf, pos) - baseOffsetOf(buf, pos) !== records - 1) {
        throw new StorageError(
          "INVALID_RECORD",
          `batch at byte ${pos} has ${records} records and a mismatched lastOffsetDelta`,
        );
      }
      out.push({ position: pos, size: c.size, records });
      pos += c.size;
    }
    return out;
  }

  /**
   * Appends a producer's batches as the leader: assigns offsets from the log end and stamps
   * `leaderEpoch` in place (and the broker time, for LogAppendTime topics). Magic 0/1 message sets
   * are converted to one v2 batch first. Nothing is written unless every batch is valid.
   */
  appendAsLeader(batch: Buffer, leaderEpoch: number, nowMs: number): AppendResult {
    let buf = batch;
    if (buf.length >= 17 && magicAt(buf) < 2) {
      try {
        buf = legacyToBatchV2(buf);
      } catch (e) {
        if (e instanceof RecordFormatError) throw new StorageError(e.error, e.message);
        throw e;
      }
    }
    if (leaderEpoch < this.epochCache.latestEpoch) {
      throw new StorageError(
        "FENCED_LEADER_EPOCH",
        `append in epoch ${leaderEpoch} after epoch ${this.epochCache.latestEpoch} in ${this.dir}`,
      );
    }
    const batches = this.validateBatches(buf, false);
    if (batches.length === 0)
      throw new StorageError("CORRUPT_MESSAGE", "no record batch in the produce data");
    const logAppendTime = this.config["message.timestamp.type"] === "LogAppendTime" ? nowMs : -1;
    const baseOffset = this.logEndOffset;
    let next = baseOffset;
    let records = 0;
    for (const b of batches) {
      setBaseOffset(buf, b.position, next);
      setPartitionLeaderEpoch(buf, b.position, leaderEpoch);
      if (logAppendTime >= 0) setLogAppendTime(buf, b.position, nowMs);
      next += b.records;
      records += b.records;
    }
    if (leaderEpoch >= 0) this.epochCache.assign(leaderEpoch, baseOffset);
    this.appendValidated(buf, nowMs, records);
    return { baseOffset, lastOffset: next - 1, logAppendTime, recordCount: records };
  }

  /**
   * Appends batches replicated from the leader, offsets and epochs already set. They must continue
   * this log exactly (the first base offset is the log end, each next one follows the last). A cut
   * trailing batch, as a fetch response may end with, is ignored. Returns the offsets appended.
   */
  appendAsFollower(batches: Buffer, nowMs = this.lastFlushMs): { firstOffset: number; lastOffset: number } {
    const list = this.validateBatches(batches, true);
    if (list.length === 0) return { firstOffset: this.logEndOffset, lastOffset: this.logEndOffset - 1 };
    let expected = this.logEndOffset;
    const firstOffset = expected;
    let records = 0;
    for (const b of list) {
      const base = baseOffsetOf(batches, b.position);
      if (base !== expected) {
        throw new StorageError(
          "UNKNOWN_SERVER_ERROR",
          `follower append out of order: batch at offset ${base}, log end ${expected}`,
        );
      }
      expected = lastOffsetOf(batches, b.position) + 1;
      records += b.records;
    }
    for (const b of list) {
      const epoch = partitionLeaderEpochOf(batches, b.position);
      if (epoch >= 0 && epoch > this.epochCache.latestEpoch) {
        this.epochCache.assign(epoch, baseOffsetOf(batches, b.position));
      }
    }
    const last = list[list.length - 1];
    const whole = last.position + last.size;
    this.appendValidated(whole === batches.length ? batches : batches.subarray(0, whole), nowMs, records);
    return { firstOffset, lastOffset: expected - 1 };
  }

  private appendValidated(buf: Buffer, nowMs: number, records: number): void {
    this.maybeRoll(buf, nowMs);
    this.activeSegment.append(buf);
    this.unflushedMessages += records;
    if (this.unflushedMessages >= this.config["flush.messages"]) this.flush(nowMs);
    else this.maybeFlush(nowMs);
  }

  /** Kafka's roll rule: size, age (segment.ms), a full index, or offsets that would overflow int32. */
  private maybeRoll(buf: Buffer, nowMs: number): void {
    const seg = this.activeSegment;
    if (seg.isEmpty) return;
    const lastOffset = lastOffsetOf(buf, lastBatchPosition(buf));
    const tooBig = seg.size + buf.length > this.config["segment.bytes"];
    const tooOld = nowMs - seg.rollingBasedTimestamp > this.config["segment.ms"];
    const overflow = lastOffset - seg.baseOffset > 0x7fffffff;
    if (tooBig || tooOld || seg.indexFull || overflow) this.roll(nowMs);
  }

  /** Starts a new segment at the log end; the old one is flushed so only the last can lose data. */
  roll(nowMs: number): void {
    const old = this.activeSegment;
    if (old.isEmpty) return;
    old.onBecomeInactive();
    // Rolled segments are loaded without a scan, so their epochs must be in the checkpoint from now on.
    this.epochCache.flushCheckpoint(this.logEndOffset);
    old.flush();
    this.segments.push(LogSegment.create(this.fs, this.dir, old.nextOffset, this.segmentConfig(), nowMs));
  }

  /**
   * fsyncs the active segment (rolled ones were flushed when they rolled), after writing the leader epoch
   * checkpoint if it changed: every flushed batch's epoch is then durable too. Costs nothing when
   * nothing changed since the last flush.
   */
  flush(nowMs = this.lastFlushMs): void {
    this.epochCache.flushCheckpoint(this.logEndOffset);
    this.activeSegment.flush();
    this.unflushedMessages = 0;
    this.lastFlushMs = nowMs;
  }

  /**
   * The last flush before a clean shutdown: also creates the active segment's index files if it has
   * data (the next start loads it without the scan only with them).
   */
  flushForShutdown(nowMs = this.lastFlushMs): void {
    this.activeSegment.ensureIndexFiles();
    this.flush(nowMs);
  }

  /** The flush.ms half of the flush policy; the broker calls it on its scheduler tick. */
  maybeFlush(nowMs: number): void {
    if (this.unflushedMessages > 0 && nowMs - this.lastFlushMs >= this.config["flush.ms"]) this.flush(nowMs);
  }

  /** The segment that would hold `offset`: the last one whose base is at or below it. */
  private segmentIndexFor(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.segments[mid].baseOffset <= offset) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /**
   * Whole batches starting with the one that holds `fromOffset`: at least that batch (unless
   * `minOneBatch` is false: KIP-74 lets only the first partition of a fetch exceed its limit), then more
   * while they fit in `maxBytes`, never a batch ending at or past `maxOffset` (the high watermark for
   * consumers). Empty at the log end. Reads one segment, as Kafka does. Throws OFFSET_OUT_OF_RANGE
   * outside [logStartOffset, logEndOffset].
   */
  read(fromOffset: number, maxBytes: number, maxOffset?: number, minOneBatch = true): Buffer {
    if (fromOffset < this.logStart || fromOffset > this.logEndOffset) {
      throw new StorageError(
        "OFFSET_OUT_OF_RANGE",
        `offset ${fromOffset} outside [${this.logStart}, ${this.logEndOffset}] in ${this.dir}`,
      );
    }
    if (maxOffset !== undefined && fromOffset >= maxOffset) return Buffer.alloc(0);
    for (let i = this.segmentIndexFor(fromOffset); i < this.segments.length; i++) {
      const batches = this.segments[i].readFrom(fromOffset, maxBytes, maxOffset, minOneBatch);
      if (batches) return batches;
    }
    return Buffer.alloc(0);
  }

  /** Up to `maxRecords` decoded records from `fromOffset` on, across segments (simulator and tests). */
  readRecords(fromOffset: number, maxRecords: number, maxOffset?: number): LogRecord[] {
    const out: LogRecord[] = [];
    let next = Math.max(fromOffset, this.logStart);
    while (out.length < maxRecords && next < this.logEndOffset) {
      const chunk = this.read(next, 1 << 20, maxOffset);
      if (chunk.length === 0) break;
      let pos = 0;
      while (pos < chunk.length && out.length < maxRecords) {
        const epoch = partitionLeaderEpochOf(chunk, pos);
        for (const r of iterateRecords(chunk, pos)) {
          if (r.offset < next) continue;
          if (out.length >= maxRecords) break;
          out.push({ ...r, leaderEpoch: epoch });
        }
        next = lastOffsetOf(chunk, pos) + 1;
        pos += batchSizeAt(chunk, pos)!;
      }
    }
    return out;
  }

  /**
   * Drops everything at and after `offset` (a follower truncating by leader epoch, an unclean leader
   * change). A batch that straddles `offset` goes whole. Durable on return. Below the log start, the
   * log is emptied and restarted at `offset`.
   */
  truncateTo(offset: number, nowMs = this.lastFlushMs): void {
    if (offset < 0) throw new RangeError(`cannot truncate to ${offset}`);
    if (offset >= this.logEndOffset) return;
    if (offset < this.logStart) {
      this.truncateFullyAndStartAt(offset, nowMs);
      return;
    }
    while (this.segments.length > 1 && this.activeSegment.baseOffset > offset) {
      this.segments.pop()!.delete();
    }
    this.activeSegment.truncateTo(offset);
    if (this.logEndOffset < this.logStart) {
      // The batch holding `offset` began below the log start: what is left is all deleted records.
      this.truncateFullyAndStartAt(this.logStart, nowMs);
      return;
    }
    this.activeSegment.flush();
    this.epochCache.truncateFromEnd(this.logEndOffset);
    // Recovery only adds epochs above the checkpoint's latest: a dropped entry must leave it at once.
    this.epochCache.flushCheckpoint(this.logEndOffset);
  }

  /** Empties the log and starts it again at `offset` (a follower far behind the leader's log start). */
  truncateFullyAndStartAt(offset: number, nowMs = this.lastFlushMs): void {
    for (const s of this.segments) s.delete();
    this.segments = [LogSegment.create(this.fs, this.dir, offset, this.segmentConfig(), nowMs)];
    this.activeSegment.flush();
    this.logStart = offset;
    this.writeLogStartCheckpoint();
    this.epochCache.clear();
    this.epochCache.flushCheckpoint(this.logEndOffset);
    this.unflushedMessages = 0;
  }

  /**
   * DeleteRecords: moves the log start up to `offset` (never past the log end) and deletes segments
   * wholly below it. Returns the new log start.
   */
  deleteRecordsBefore(offset: number): number {
    const target = Math.min(offset, this.logEndOffset);
    if (target <= this.logStart) return this.logStart;
    this.logStart = target;
    this.writeLogStartCheckpoint();
    this.deleteOldSegments((_seg, next) => next !== undefined && next.baseOffset <= this.logStart, Infinity);
    this.epochCache.truncateFromStart(this.logStart);
    return this.logStart;
  }

  /**
   * Retention: deletes whole segments older than retention.ms (by their largest timestamp) and, oldest
   * first, as many as keep the log within retention.bytes. Only segments wholly below
   * `highWatermark` go (the log end by default). Returns how many segments were deleted.
   */
  enforceRetention(nowMs: number, highWatermark = this.logEndOffset): number {
    let deleted = 0;
    const retentionMs = this.config["retention.ms"];
    if (retentionMs >= 0) {
      deleted += this.deleteOldSegments(
        (seg) => nowMs - seg.largestTimestamp > retentionMs,
        highWatermark,
        nowMs,
      );
    }
    const retentionBytes = this.config["retention.bytes"];
    if (retentionBytes >= 0) {
      let excess = this.size - retentionBytes;
      deleted += this.deleteOldSegments(
        (seg) => {
          if (excess - seg.size < 0) return false;
          excess -= seg.size;
          return true;
        },
        highWatermark,
        nowMs,
      );
    }
    return deleted;
  }

  /**
   * Deletes segments from the oldest while `deletable` holds, never a segment reaching past
   * `upperBound` and never an empty active segment. If the active segment goes, a new one is rolled
   * first, so the log end is kept.
   */
  private deleteOldSegments(
    deletable: (seg: LogSegment, next: LogSegment | undefined) => boolean,
    upperBound: number,
    nowMs = this.lastFlushMs,
  ): number {
    let n = 0;
    while (n < this.segments.length) {
      const seg = this.segments[n];
      const next = this.segments[n + 1];
      const isActive = next === undefined;
      if (isActive && seg.isEmpty) break;
      if (seg.nextOffset > upperBound) break;
      if (!deletable(seg, next)) break;
      n++;
    }
    if (n === 0) return 0;
    if (n === this.segments.length) this.roll(nowMs);
    const gone = this.segments.splice(0, n);
    for (const s of gone) s.delete();
    if (this.segments[0].baseOffset > this.logStart) {
      this.logStart = this.segments[0].baseOffset;
      this.epochCache.truncateFromStart(this.logStart);
    }
    return n;
  }

  /**
   * ListOffsets by time: the first record with a timestamp at or after `timestamp`, or null if none.
   * (Kafka's sentinel timestamps -1 latest and -2 earliest are the caller's: use logEndOffset or the
   * high watermark, and logStartOffset.)
   */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number; leaderEpoch: number } | null {
    for (const seg of this.segments) {
      if (seg.isEmpty || seg.maxTimestamp < timestamp) continue;
      const loc = seg.findBatchByTimestamp(timestamp, this.logStart);
      if (!loc) continue;
      for (const r of iterateRecords(seg.readBatch(loc))) {
        if (r.offset >= this.logStart && r.timestamp >= timestamp) {
          return { offset: r.offset, timestamp: r.timestamp, leaderEpoch: loc.leaderEpoch };
        }
      }
    }
    return null;
  }

  /** Closes the files; the log must be opened again to be used. Unflushed data is left to the OS. */
  close(): void {
    for (const s of this.segments) s.close();
  }

  /**
   * Flushes, marks the log cleanly shut down (so the next open skips the scan) and closes. A store of
   * many logs calls flush() and close() on each and writes one LOG_DIR_CLEAN_SHUTDOWN_MARKER instead.
   */
  shutdown(nowMs = this.lastFlushMs): void {
    this.flushForShutdown(nowMs);
    writeFileAtomic(this.fs, joinPath(this.dir, CLEAN_SHUTDOWN_MARKER), Buffer.alloc(0));
    this.close();
  }

  /** Removes the partition directory's log files (StopReplica with delete). */
  deleteAll(): void {
    for (const s of this.segments) s.delete();
    this.segments = [];
    for (const n of this.fs.list(this.dir)) this.fs.remove(joinPath(this.dir, n));
  }
}

function lastBatchPosition(buf: Buffer): number {
  let pos = 0;
  let last = 0;
  while (pos < buf.length) {
    last = pos;
    pos += batchSizeAt(buf, pos)!;
  }
  return last;
}

export { INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX };
