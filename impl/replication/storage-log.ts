/**
 * The ReplicaLog over impl/storage: one PartitionLog (segments, indexes, leader-epoch checkpoint) on any
 * FileSystem, the simulator's or the real disk's. Records become RecordBatch v2 bytes; the high
 * watermark checkpoint is a small file beside the segments, written atomically (write, fsync, rename)
 * like Kafka's checkpoint files. Recovery after kill -9 is PartitionLog.open's job.
 */
import { baseOffsetOf, encodeBatch } from "../records/batch.ts";
import type { RecordHeader, RecordInput } from "../records/types.ts";
import { type FileSystem, joinPath, readWholeFile, writeFileAtomic } from "../storage/fs.ts";
import type { PartitionLog } from "../storage/partition-log.ts";
import type { EpochEndOffset, LogEntry, LogRecord, ReplicaLog } from "./replica-log.ts";

export const HW_CHECKPOINT = "high-watermark-checkpoint";

/** A record with its producer timestamp, when the caller has one (the TCP broker does). */
export type TimedRecord = LogRecord & { timestamp?: number };
export type TimedEntry = LogEntry & { timestamp?: number };

export interface StorageReplicaLogOptions {
  /**
   * How header strings map to bytes. The TCP broker keeps arbitrary header bytes as latin1 strings;
   * the simulator's headers are text (utf8).
   */
  headerEncoding?: "latin1" | "utf8";
  /**
   * Keep a decoded copy of the log beside it (what a page cache gives a real broker), so reads and
   * observations do not decode batches again. Rebuilt from the segments when the log is opened, i.e.
   * after every crash. Off for the TCP broker, whose logs may be large.
   */
  decodedCache?: boolean;
  /**
   * `record`: a follower writes one batch per record, so truncation by offset never has to cut a batch
   * in two (the simulator, whose model truncates at exact offsets). `run`: one batch per run of one
   * leader epoch, as the leader sent them (the TCP broker).
   */
  followerBatches?: "record" | "run";
}

export class StorageReplicaLog implements ReplicaLog {
  private hw: number;
  private readonly headerEncoding: "latin1" | "utf8";
  private readonly followerBatches: "record" | "run";
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
    this.followerBatches = options.followerBatches ?? "run";
    const path = joinPath(log.dir, HW_CHECKPOINT);
    let hw = 0;
    if (fs.exists(path)) {
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
  ): { baseOffset: number; lastOffset: number } {
    const leo = this.log.logEndOffset;
    if (records.length === 0) return { baseOffset: leo, lastOffset: leo - 1 };
    const batch = encodeBatch(
      records.map((r) => this.toInput(r, nowMs)),
      { partitionLeaderEpoch: epoch },
    );
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

  appendAsFollower(entries: TimedEntry[]): void {
    if (entries.length === 0) return;
    const now = this.now();
    const chunks =
      this.followerBatches === "record" ? this.encodeEach(entries, now) : this.encodeRuns(entries, now);
    this.log.appendAsFollower(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), now);
    this.version++;
    if (this.cache !== null) for (const e of entries) this.cache.push(e);
  }

  read(from: number, maxRecords: number, maxOffset = Number.MAX_SAFE_INTEGER): LogEntry[] {
    if (from >= this.log.logEndOffset || maxRecords <= 0) return [];
    if (this.cache === null) return this.decode(from, maxRecords, maxOffset);
    this.syncCacheStart();
    const first = Math.max(from, this.cacheStart);
    const end = Math.min(this.log.logEndOffset, maxOffset, first + maxRecords);
    return end <= first ? [] : this.cache.slice(first - this.cacheStart, end - this.cacheStart);
  }

  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) return;
    // The PartitionLog cuts whole batches, but everything below `offset` must stay: a follower writes
    // runs as it fetched them, so its new leader's epoch end can fall inside one, and dropping the whole
    // run would take records the old leader acknowledged with this follower in the ISR. They are
    // written back after the cut.
    const kept = this.entriesBelowInBatchAt(offset);
    this.log.truncateTo(offset, this.now());
    this.version++;
    if (this.cache !== null) this.cache.length = Math.max(0, this.log.logEndOffset - this.cacheStart);
    if (kept.length > 0 && kept[0].offset === this.log.logEndOffset) this.appendAsFollower(kept);
  }

  /** The entries of the batch holding `offset` that lie below it (none when it starts a batch). */
  private entriesBelowInBatchAt(offset: number): TimedEntry[] {
    if (offset <= this.log.logStartOffset) return [];
    const batch = this.log.read(offset, 1, undefined, true);
    if (batch.length === 0) return [];
    const base = Math.max(baseOffsetOf(batch, 0), this.log.logStartOffset);
    // No maxOffset: reads with one leave out a batch that ends past it, which this one does.
    return base < offset ? this.decode(base, offset - base) : [];
  }

  flush(): void {
    this.log.flush(this.now());
  }

  get checkpointedHighWatermark(): number {
    return this.hw;
  }

  checkpointHighWatermark(highWatermark: number): void {
    if (highWatermark === this.hw) return;
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
      const headers = this.headersToRecord(r.headers);
      if (headers !== undefined) e.headers = headers;
      e.timestamp = r.timestamp;
      return e;
    });
  }

  private encodeEach(entries: TimedEntry[], now: number): Buffer[] {
    return entries.map((e) => {
      const ts = e.timestamp ?? now;
      return encodeBatch([this.toInput(e, ts)], {
        baseOffset: e.offset,
        partitionLeaderEpoch: e.epoch,
        baseTimestamp: ts,
      });
    });
  }

  /** One batch per run of consecutive offsets in one leader epoch. */
  private encodeRuns(entries: TimedEntry[], now: number): Buffer[] {
    const out: Buffer[] = [];
    let i = 0;
    while (i < entries.length) {
      let j = i + 1;
      while (
        j < entries.length &&
        entries[j].epoch === entries[i].epoch &&
        entries[j].offset === entries[j - 1].offset + 1
      )
        j++;
      const run = entries.slice(i, j);
      const ts = run[0].timestamp ?? now;
      out.push(
        encodeBatch(
          run.map((e) => this.toInput(e, ts)),
          { baseOffset: run[0].offset, partitionLeaderEpoch: run[0].epoch, baseTimestamp: ts },
        ),
      );
      i = j;
    }
    return out;
  }

  private toInput(r: TimedRecord, fallbackTimestamp: number): RecordInput {
    const headers: RecordHeader[] =
      r.headers === undefined
        ? []
        : Object.entries(r.headers).map(([key, v]) => ({ key, value: Buffer.from(v, this.headerEncoding) }));
    return { key: r.key, value: r.value, headers, timestamp: r.timestamp ?? fallbackTimestamp };
  }

  private headersToRecord(headers: readonly RecordHeader[]): Record<string, string> | undefined {
    if (headers.length === 0) return undefined;
    const out: Record<string, string> = {};
    for (const h of headers) out[h.key] = h.value === null ? "" : h.value.toString(this.headerEncoding);
    return out;
  }
}
