/**
 * The ReplicaLog over impl/storage: one PartitionLog (segments, indexes, leader-epoch checkpoint) on any
 * FileSystem, the simulator's or the real disk's. A leader's records become one RecordBatch v2 per
 * append; a follower appends its leader's batches byte for byte, as Kafka's do. The high watermark checkpoint is a small file beside the segments, written atomically (write, fsync, rename)
 * like Kafka's checkpoint files. Recovery after kill -9 is PartitionLog.open's job.
 */
import { baseOffsetOf, batchSizeAt, encodeBatch, recordCountOf } from "../records/batch.ts";
import { sliceBatch } from "../records/reencode.ts";
import type { RecordInput } from "../records/types.ts";
import { type FileSystem, joinPath, readWholeFile, writeFileAtomic } from "../storage/fs.ts";
import type { PartitionOffsets } from "../storage/log-dir-checkpoint.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import {
  decodeEntries,
  type EpochEndOffset,
  type FollowerAppend,
  type HeaderEncoding,
  headersFromBytes,
  headersToBytes,
  type LogEntry,
  planFollowerAppend,
  type ReplicaLog,
  type TimedEntry,
  type TimedRecord,
} from "./replica-log.ts";

export const HW_CHECKPOINT = "high-watermark-checkpoint";

export interface StorageReplicaLogOptions {
  /**
   * How header strings map to bytes. The TCP broker keeps arbitrary header bytes as latin1 strings;
   * the simulator's headers are text (utf8).
   */
  headerEncoding?: HeaderEncoding;
  /**
   * Keep a decoded copy of the log beside it (what a page cache gives a real broker), so reads and
   * observations do not decode batches again. Rebuilt from the segments when the log is opened, i.e.
   * after every crash. Off for the TCP broker, whose logs may be large.
   */
  decodedCache?: boolean;
  /**
   * Where high watermarks are checkpointed: the log dir's one replication-offset-checkpoint (the TCP
   * broker's DiskLogStore, which writes it). Without it, a small HW_CHECKPOINT file beside the segments.
   */
  highWatermarks?: PartitionOffsets;
}

export class StorageReplicaLog implements ReplicaLog {
  private hw: number;
  private readonly highWatermarks: PartitionOffsets | undefined;
  private readonly headerEncoding: HeaderEncoding;
  /** The decoded copy when enabled: entries from `cacheStart`, index = offset - cacheStart. */
  private cache: TimedEntry[] | null;
  private cacheStart = 0;
  /** Bumped on every change to the log's contents, so observers can reuse what they built. */
  private version = 0;

  constructor(
    readonly log: PartitionLog,
    private readonly fs: FileSystem,
    private readonly now: () => number,
    options: StorageReplicaLogOptions = {},
  ) {
    this.headerEncoding = options.headerEncoding ?? "latin1";
    this.highWatermarks = options.highWatermarks;
    const path = joinPath(log.dir, HW_CHECKPOINT);
    let hw = this.highWatermarks?.get(this.partitionName) ?? 0;
    // The per-partition file is also read when the log dir's file has no entry (a log dir written before).
    if (this.highWatermarks?.get(this.partitionName) === undefined && fs.exists(path)) {
      const n = Number(readWholeFile(fs, path).toString("utf8").trim());
      if (Number.isInteger(n) && n >= 0) hw = n;
    }
    this.hw = hw;
    this.cache = null;
    if (options.decodedCache === true) {
      this.cacheStart = log.logStartOffset;
      this.cache = this.decode(log.logStartOffset, Number.MAX_SAFE_INTEGER);
    }
  }

  /** Changes whenever the log's entries change (append, truncation, retention). */
  get contentVersion(): number {
    return this.version;
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  appendAsLeader(
    records: TimedRecord[],
    epoch: number,
    nowMs: number,
    batches?: Buffer,
  ): { baseOffset: number; lastOffset: number } {
    const leo = this.log.logEndOffset;
    if (records.length === 0) return { baseOffset: leo, lastOffset: leo - 1 };
    let batch: Buffer;
    if (batches !== undefined) {
      const held = recordsIn(batches);
      if (held !== records.length)
        throw new Error(`produce batches hold ${held} records, the request ${records.length}`);
      // A copy: the offsets and leader epoch are stamped in place, and the caller's buffer is a request's.
      batch = Buffer.from(batches);
    } else {
      batch = encodeBatch(
        records.map((r) => this.toInput(r, nowMs)),
        { partitionLeaderEpoch: epoch },
      );
    }
    const r = this.log.appendAsLeader(batch, epoch, nowMs);
    this.version++;
    if (this.cache !== null) {
      for (let i = 0; i < records.length; i++) {
        const rec = records[i];
        const e: TimedEntry = { offset: r.baseOffset + i, epoch, key: rec.key, value: rec.value };
        if (rec.headers !== undefined && Object.keys(rec.headers).length > 0) e.headers = rec.headers;
        e.timestamp = rec.timestamp ?? nowMs;
        this.cache.push(e);
      }
    }
    return { baseOffset: r.baseOffset, lastOffset: r.lastOffset };
  }

  appendAsFollower(batches: Buffer): FollowerAppend {
    const plan = planFollowerAppend(batches, this.log.logEndOffset);
    if (!plan.ok || plan.chunks.length === 0) return plan;
    const bytes = plan.chunks.length === 1 ? plan.chunks[0] : Buffer.concat(plan.chunks);
    this.log.appendAsFollower(bytes, this.now());
    this.version++;
    if (this.cache !== null) for (const e of decodeEntries(bytes, this.headerEncoding)) this.cache.push(e);
    return { ok: true, firstOffset: plan.firstOffset, lastOffset: plan.lastOffset };
  }

  read(from: number, maxRecords: number, maxOffset = Number.MAX_SAFE_INTEGER): LogEntry[] {
    if (from >= this.log.logEndOffset || maxRecords <= 0) return [];
    if (this.cache === null) return this.decode(from, maxRecords, maxOffset);
    this.syncCacheStart();
    const first = Math.max(from, this.cacheStart);
    const end = Math.min(this.log.logEndOffset, maxOffset, first + maxRecords);
    return end <= first ? [] : this.cache.slice(first - this.cacheStart, end - this.cacheStart);
  }

  readBatches(from: number, maxRecords: number, maxBytes: number): Buffer {
    const start = Math.max(from, this.log.logStartOffset);
    if (start >= this.log.logEndOffset) return Buffer.alloc(0);
    const stored = this.log.read(start, maxBytes, undefined, true);
    // The stored bytes are whole batches within maxBytes; keep those within maxRecords too (at least one).
    let pos = 0;
    let records = 0;
    while (pos < stored.length) {
      const n = recordCountOf(stored, pos);
      if (pos > 0 && records + n > maxRecords) break;
      records += n;
      pos += batchSizeAt(stored, pos) as number;
    }
    return pos === stored.length ? stored : stored.subarray(0, pos);
  }

  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) return;
    // The PartitionLog cuts whole batches (as Kafka does: a follower's batches are its leader's, so the
    // offsets it truncates to, epoch ends and log ends, fall between batches of both logs). Still, every
    // record below `offset` must stay whatever made the cut fall inside a batch (a log written before
    // followers kept their leader's batches, a seeded fault truncating to a stale high watermark): the
    // records the old leader acknowledged with this follower in the ISR may be among them. They are
    // written back after the cut as one batch with the cut batch's header, and made durable again.
    const head = this.headBelow(offset);
    this.log.truncateTo(offset, this.now());
    this.version++;
    if (this.cache !== null) this.cache.length = Math.max(0, this.log.logEndOffset - this.cacheStart);
    if (head !== null && baseOffsetOf(head) === this.log.logEndOffset) {
      this.log.appendAsFollower(head, this.now());
      this.log.flush(this.now());
      if (this.cache !== null) for (const e of decodeEntries(head, this.headerEncoding)) this.cache.push(e);
    }
  }

  truncateFullyAndStartAt(offset: number): void {
    this.log.truncateFullyAndStartAt(offset, this.now());
    this.version++;
    if (this.cache !== null) {
      this.cache = [];
      this.cacheStart = offset;
    }
  }

  /** The records of the batch holding `offset` that lie below it, as one batch (null when it starts one). */
  private headBelow(offset: number): Buffer | null {
    if (offset <= this.log.logStartOffset) return null;
    const batch = this.log.read(offset, 1, undefined, true);
    if (batch.length === 0) return null;
    const base = Math.max(baseOffsetOf(batch, 0), this.log.logStartOffset);
    return base < offset ? sliceBatch(batch, 0, base, offset) : null;
  }

  flush(): void {
    this.log.flush(this.now());
  }

  get checkpointedHighWatermark(): number {
    return this.hw;
  }

  /** The partition directory's name, the key of its entries in log-dir checkpoint files. */
  get partitionName(): string {
    return this.log.dir.slice(this.log.dir.lastIndexOf("/") + 1);
  }

  checkpointHighWatermark(highWatermark: number): void {
    if (highWatermark === this.hw) return;
    if (this.highWatermarks !== undefined) {
      this.highWatermarks.set(this.partitionName, highWatermark);
      this.hw = highWatermark;
      return;
    }
    writeFileAtomic(
      this.fs,
      joinPath(this.log.dir, HW_CHECKPOINT),
      Buffer.from(`${highWatermark}\n`, "utf8"),
    );
    this.hw = highWatermark;
  }

  epochEntries(): Array<[number, number]> {
    return this.log.epochCache.entries().map((e) => [e.epoch, e.startOffset]);
  }
  latestEpoch(): number {
    return this.log.epochCache.latestEpoch;
  }
  assignEpoch(epoch: number, startOffset: number): void {
    if (epoch > this.log.epochCache.latestEpoch) this.log.epochCache.assign(epoch, startOffset);
  }
  endOffsetFor(epoch: number): EpochEndOffset {
    return this.log.epochCache.endOffsetFor(epoch, this.log.logEndOffset);
  }

  /** Retention (or a delete) moved the log start: drop the cached entries below it. */
  private syncCacheStart(): void {
    if (this.cache === null || this.log.logStartOffset <= this.cacheStart) return;
    this.cache.splice(0, Math.min(this.cache.length, this.log.logStartOffset - this.cacheStart));
    this.cacheStart = this.log.logStartOffset;
    this.version++;
  }

  private decode(from: number, maxRecords: number, maxOffset?: number): TimedEntry[] {
    return this.log.readRecords(from, maxRecords, maxOffset).map((r) => {
      const e: TimedEntry = { offset: r.offset, epoch: r.leaderEpoch, key: r.key, value: r.value };
      const headers = headersFromBytes(r.headers, this.headerEncoding);
      if (headers !== undefined) e.headers = headers;
      e.timestamp = r.timestamp;
      return e;
    });
  }

  private toInput(r: TimedRecord, fallbackTimestamp: number): RecordInput {
    return {
      key: r.key,
      value: r.value,
      headers: headersToBytes(r.headers, this.headerEncoding),
      timestamp: r.timestamp ?? fallbackTimestamp,
    };
  }
}

/** Records in whole v2 batches, by their headers' counts. */
function recordsIn(buf: Buffer): number {
  let n = 0;
  let pos = 0;
  while (pos < buf.length) {
    const size = batchSizeAt(buf, pos);
    if (size === null || pos + size > buf.length) break;
    n += recordCountOf(buf, pos);
    pos += size;
  }
  return n;
}
