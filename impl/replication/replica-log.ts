/**
 * What a replica needs from its partition's storage: append, read, truncate, flush, and the leader epoch
 * cache. Two implementations: `MemoryReplicaLog` (unit tests of the replication core) and
 * `StorageReplicaLog` (impl/storage's PartitionLog and LeaderEpochCache on a real or simulated disk).
 */
import {
  baseOffsetOf,
  batchSpans,
  checkBatch,
  encodeBatch,
  iterateRecords,
  lastOffsetOf,
  partitionLeaderEpochOf,
  recordCountOf,
} from "../records/batch.ts";
import { sliceBatch } from "../records/reencode.ts";
import type { RecordHeader } from "../records/types.ts";

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

/** A record or entry with its timestamp, when the caller has one (the TCP broker, the storage log). */
export type TimedRecord = LogRecord & { timestamp?: number };
export type TimedEntry = LogEntry & { timestamp?: number };

/**
 * The records of whole batches as entries: offset, the batch's partition leader epoch, key, value,
 * headers (by `encoding`), timestamp. A cut trailing batch is left out; CRCs are not checked here.
 */
export function decodeEntries(buf: Buffer, encoding: HeaderEncoding): TimedEntry[] {
  const out: TimedEntry[] = [];
  for (const span of batchSpans(buf)) {
    const epoch = partitionLeaderEpochOf(buf, span.position);
    for (const r of iterateRecords(buf, span.position)) {
      const e: TimedEntry = { offset: r.offset, epoch, key: r.key, value: r.value };
      const headers = headersFromBytes(r.headers, encoding);
      if (headers !== undefined) e.headers = headers;
      e.timestamp = r.timestamp;
      out.push(e);
    }
  }
  return out;
}

/** OffsetsForLeaderEpoch's answer: the end offset of `epoch` (the start of the next epoch, or the LEO). */
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}

/** Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;

/** A follower append: what it wrote, or why it refused the leader's bytes (nothing written then). */
export type FollowerAppend =
  | { ok: true; firstOffset: number; lastOffset: number }
  | { ok: false; reason: string };

export interface ReplicaLog {
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /**
   * Assigns offsets from the log end; returns the first and last offsets written. `batches`, when given,
   * are the producer's RecordBatch v2 bytes holding exactly `records`: they are stored as they are
   * (compression, producer id, epoch and sequence, timestamps kept; base offset and partition leader epoch
   * stamped), as Kafka's leader stores a producer's batches. Otherwise the records become one batch.
   */
  appendAsLeader(
    records: LogRecord[],
    epoch: number,
    nowMs: number,
    batches?: Buffer,
  ): { baseOffset: number; lastOffset: number };
  /**
   * Appends the leader's RecordBatch v2 bytes as they are (Kafka's Log.appendAsFollower): each batch's
   * CRC checked, offsets continuing the log end, the epoch cache fed from each batch's partition leader
   * epoch. A cut trailing batch is left for the next fetch. See planFollowerAppend.
   */
  appendAsFollower(batches: Buffer): FollowerAppend;
  /** Entries in [from, maxOffset) up to maxRecords. */
  read(from: number, maxRecords: number, maxOffset?: number): LogEntry[];
  /**
   * What a leader answers a follower's fetch with: its stored batches, whole, from the one holding `from`
   * (at least that one), then more while they stay within `maxRecords` records and `maxBytes` bytes.
   * Empty at the log end.
   */
  readBatches(from: number, maxRecords: number, maxBytes: number): Buffer;
  /** Drops every entry at or after `offset` (and the epoch cache above it); every entry below stays. */
  truncateTo(offset: number): void;
  /**
   * Empties the log and starts it again at `offset`, durably: a follower whose log ends below its
   * leader's log start (retention deleted what it lacks), as Kafka's fetcher does on OFFSET_OUT_OF_RANGE.
   */
  truncateFullyAndStartAt(offset: number): void;
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

/** What a follower writes of a fetch answer: the chunks to append in order, and their offsets. */
export type FollowerAppendPlan =
  | { ok: true; chunks: Buffer[]; firstOffset: number; lastOffset: number; records: number }
  | { ok: false; reason: string };

/**
 * Checks a leader's fetch answer against a follower's log end and says what to append. Every whole batch
 * must pass its CRC check; a cut trailing batch ends the answer. Batches wholly below the log end are
 * skipped. A batch straddling the log end (only after a truncation inside one of the leader's batches:
 * see StorageReplicaLog.truncateTo) is cut to its records from the log end on; the rest are appended
 * byte for byte and must follow one another exactly. A gap above the log end refuses the answer.
 */
export function planFollowerAppend(buf: Buffer, logEndOffset: number): FollowerAppendPlan {
  const chunks: Buffer[] = [];
  let expected = logEndOffset;
  let records = 0;
  let runStart = -1;
  let pos = 0;
  while (pos < buf.length) {
    const c = checkBatch(buf, pos);
    if (!c.ok) {
      if (c.partial) break;
      return { ok: false, reason: `batch at byte ${pos} of the fetch answer: ${c.reason}` };
    }
    const base = baseOffsetOf(buf, pos);
    const last = lastOffsetOf(buf, pos);
    if (last < expected) {
      pos += c.size;
      continue;
    }
    if (base > expected)
      return { ok: false, reason: `batch at offset ${base} does not follow offset ${expected - 1}` };
    if (base < expected) {
      if (runStart >= 0) chunks.push(buf.subarray(runStart, pos));
      runStart = -1;
      const head = sliceBatch(buf, pos, expected, last + 1);
      if (head === null) return { ok: false, reason: `batch at offset ${base} holds no offset ${expected}` };
      chunks.push(head);
      records += last + 1 - expected;
    } else {
      if (runStart < 0) runStart = pos;
      records += recordCountOf(buf, pos);
    }
    expected = last + 1;
    pos += c.size;
  }
  if (runStart >= 0) chunks.push(buf.subarray(runStart, pos));
  return { ok: true, chunks, firstOffset: logEndOffset, lastOffset: expected - 1, records };
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
 * It keeps RecordBatch v2 bytes as the storage-backed log does (one batch per leader append, a follower's
 * batches as its leader sent them) beside their decoded entries. Used by the replication core's unit
 * tests; the simulator uses the storage-backed log.
 */
export class MemoryReplicaLog implements ReplicaLog {
  /** The log start: entries[i] is at offset start + i. */
  private start = 0;
  private entries: LogEntry[] = [];
  /** The batches holding `entries`, in order: base offset, last offset, bytes. */
  private batches: Array<{ base: number; last: number; bytes: Buffer }> = [];
  private epochs: Array<[number, number]> = [];
  private flushedEntries = 0;
  private flushedEpochs: Array<[number, number]> = [];
  private hwCheckpoint = 0;

  get logStartOffset(): number {
    return this.start;
  }
  get logEndOffset(): number {
    return this.start + this.entries.length;
  }

  appendAsLeader(records: LogRecord[], epoch: number, nowMs = 0): { baseOffset: number; lastOffset: number } {
    const baseOffset = this.logEndOffset;
    this.assignEpoch(epoch, baseOffset);
    if (records.length === 0) return { baseOffset, lastOffset: baseOffset - 1 };
    const bytes = encodeBatch(
      records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: headersToBytes(r.headers, "utf8"),
        timestamp: nowMs,
      })),
      { baseOffset, partitionLeaderEpoch: epoch, baseTimestamp: nowMs },
    );
    for (const r of records) this.entries.push({ ...r, offset: this.logEndOffset, epoch });
    this.batches.push({ base: baseOffset, last: this.logEndOffset - 1, bytes });
    return { baseOffset, lastOffset: this.logEndOffset - 1 };
  }

  appendAsFollower(buf: Buffer): FollowerAppend {
    const plan = planFollowerAppend(buf, this.logEndOffset);
    if (!plan.ok) return plan;
    for (const chunk of plan.chunks) {
      for (const span of batchSpans(chunk)) {
        const bytes = Buffer.from(chunk.subarray(span.position, span.position + span.size));
        const base = baseOffsetOf(bytes);
        this.assignEpoch(partitionLeaderEpochOf(bytes), base);
        for (const { timestamp: _t, ...e } of decodeEntries(bytes, "utf8")) this.entries.push(e);
        this.batches.push({ base, last: lastOffsetOf(bytes), bytes });
      }
    }
    return { ok: true, firstOffset: plan.firstOffset, lastOffset: plan.lastOffset };
  }

  read(from: number, maxRecords: number, maxOffset = Number.MAX_SAFE_INTEGER): LogEntry[] {
    const first = Math.max(from, this.start);
    const end = Math.min(this.logEndOffset, maxOffset, first + maxRecords);
    return first >= end ? [] : this.entries.slice(first - this.start, end - this.start);
  }

  readBatches(from: number, maxRecords: number, maxBytes: number): Buffer {
    const out: Buffer[] = [];
    let records = 0;
    let bytes = 0;
    for (const b of this.batches) {
      if (b.last < from) continue;
      const n = b.last - b.base + 1;
      if (out.length > 0 && (records + n > maxRecords || bytes + b.bytes.length > maxBytes)) break;
      out.push(b.bytes);
      records += n;
      bytes += b.bytes.length;
    }
    return Buffer.concat(out);
  }

  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) return;
    if (offset < this.start) {
      this.truncateFullyAndStartAt(offset);
      return;
    }
    this.cut(offset);
    this.flushedEntries = Math.min(this.flushedEntries, this.entries.length);
    this.epochs = this.epochs.filter(([, start]) => start < offset);
  }

  truncateFullyAndStartAt(offset: number): void {
    this.start = offset;
    this.entries = [];
    this.batches = [];
    this.epochs = [];
    this.flushedEntries = 0;
    this.flushedEpochs = [];
  }

  /** Drops entries from `offset` on; a batch holding `offset` keeps its records below it. */
  private cut(offset: number): void {
    this.entries.length = Math.min(this.entries.length, Math.max(0, offset - this.start));
    while (this.batches.length > 0 && this.batches[this.batches.length - 1].base >= offset)
      this.batches.pop();
    const last = this.batches[this.batches.length - 1];
    if (last !== undefined && last.last >= offset) {
      const bytes = sliceBatch(last.bytes, 0, last.base, offset);
      if (bytes === null) throw new Error(`batch at ${last.base} lost its records below ${offset}`);
      this.batches[this.batches.length - 1] = { base: last.base, last: offset - 1, bytes };
    }
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
    this.cut(this.start + this.flushedEntries);
    this.epochs = this.flushedEpochs.filter(([, start]) => start < this.logEndOffset || start === 0);
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
    return epochEndOffset(this.epochs, epoch, this.logEndOffset);
  }
}

/**
 * How a LogRecord's string headers hold header bytes: the TCP broker keeps arbitrary bytes as latin1
 * strings, the simulator's and the in-memory log's headers are text (utf8).
 */
export type HeaderEncoding = "latin1" | "utf8";

/** A LogRecord's headers as a batch's record headers. */
export function headersToBytes(
  headers: Record<string, string> | undefined,
  encoding: HeaderEncoding,
): RecordHeader[] {
  if (headers === undefined) return [];
  return Object.entries(headers).map(([key, v]) => ({ key, value: Buffer.from(v, encoding) }));
}

/** A batch's record headers as a LogRecord's (undefined when there are none). */
export function headersFromBytes(
  headers: readonly RecordHeader[],
  encoding: HeaderEncoding,
): Record<string, string> | undefined {
  if (headers.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const h of headers) out[h.key] = h.value === null ? "" : h.value.toString(encoding);
  return out;
}
