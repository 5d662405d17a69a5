/**
 * A broker's simulated disk: impl/storage's PartitionLog segments on a SimFileSystem, whose crash()
 * keeps only what was fsynced. A restarted broker reopens its partition directories and recovers
 * them exactly as it would from a real disk after kill -9 (torn tails cut, indexes rebuilt, the
 * leader-epoch-checkpoint reread). The high watermark checkpoint is a small file per partition,
 * written atomically (write, fsync, rename) like Kafka's checkpoint files.
 */
import type { LogStore } from "../node/broker-node.ts";
import { encodeBatch } from "../records/batch.ts";
import type { RecordHeader } from "../records/types.ts";
import type { EpochEndOffset, LogEntry, LogRecord, ReplicaLog } from "../replication/replica-log.ts";
import { DEFAULT_LOG_CONFIG } from "../storage/config.ts";
import { joinPath, readWholeFile, writeFileAtomic } from "../storage/fs.ts";
import { PartitionLog, partitionDirName } from "../storage/partition-log.ts";
import { SimFileSystem } from "../storage/sim-fs.ts";

const LOG_DIR = "/kafka-logs";
const HW_CHECKPOINT = "high-watermark-checkpoint";

function toHeaders(h: Record<string, string> | undefined): RecordHeader[] {
  return h === undefined
    ? []
    : Object.entries(h).map(([key, value]) => ({ key, value: Buffer.from(value, "utf8") }));
}

function fromHeaders(h: RecordHeader[]): Record<string, string> | undefined {
  if (h.length === 0) return undefined;
  return Object.fromEntries(h.map((x) => [x.key, x.value === null ? "" : x.value.toString("utf8")]));
}

/**
 * ReplicaLog over one PartitionLog: records become RecordBatch v2 bytes on the simulated disk. Reads are
 * served from a decoded copy of the log kept beside it (what a page cache would give a real broker), so
 * follower fetches and observations do not decode every batch again; the copy is rebuilt from the
 * segments whenever the log is opened, i.e. after every crash.
 */
export class SimReplicaLog implements ReplicaLog {
  private hw: number;
  /** Entries from the log start, index = offset - logStartOffset. */
  private entries: LogEntry[];
  /** The same entries as observations show them (values as strings), built lazily and extended. */
  private observed: Array<{ offset: number; epoch: number; value: string }> = [];

  constructor(
    readonly log: PartitionLog,
    private readonly fs: SimFileSystem,
    private readonly now: () => number,
  ) {
    const path = joinPath(log.dir, HW_CHECKPOINT);
    this.hw = fs.exists(path) ? Number(readWholeFile(fs, path).toString("utf8").trim()) || 0 : 0;
    this.entries = this.decode(log.logStartOffset, Number.MAX_SAFE_INTEGER);
  }

  private decode(from: number, maxRecords: number, maxOffset?: number): LogEntry[] {
    return this.log.readRecords(from, maxRecords, maxOffset).map((r) => {
      const e: LogEntry = { offset: r.offset, epoch: r.leaderEpoch, key: r.key, value: r.value };
      const headers = fromHeaders(r.headers);
      if (headers !== undefined) e.headers = headers;
      return e;
    });
  }

  get logStartOffset(): number {
    return this.log.logStartOffset;
  }
  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  appendAsLeader(
    records: LogRecord[],
    epoch: number,
    nowMs: number,
  ): { baseOffset: number; lastOffset: number } {
    const batch = encodeBatch(
      records.map((r) => ({ key: r.key, value: r.value, headers: toHeaders(r.headers), timestamp: nowMs })),
      { partitionLeaderEpoch: epoch },
    );
    const r = this.log.appendAsLeader(batch, epoch, nowMs);
    records.forEach((rec, i) => {
      const e: LogEntry = { offset: r.baseOffset + i, epoch, key: rec.key, value: rec.value };
      if (rec.headers !== undefined && Object.keys(rec.headers).length > 0) e.headers = rec.headers;
      this.entries.push(e);
    });
    return { baseOffset: r.baseOffset, lastOffset: r.lastOffset };
  }

  /** One batch per record: truncation by offset then never has to cut a batch in two. */
  appendAsFollower(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    const batches = entries.map((e) =>
      encodeBatch([{ key: e.key, value: e.value, headers: toHeaders(e.headers), timestamp: this.now() }], {
        baseOffset: e.offset,
        partitionLeaderEpoch: e.epoch,
        baseTimestamp: this.now(),
      }),
    );
    this.log.appendAsFollower(batches.length === 1 ? batches[0] : Buffer.concat(batches), this.now());
    for (const e of entries) this.entries.push(e);
  }

  read(from: number, maxRecords: number, maxOffset = Number.MAX_SAFE_INTEGER): LogEntry[] {
    const start = Math.max(from, this.log.logStartOffset) - this.log.logStartOffset;
    const end = Math.min(
      this.log.logEndOffset,
      maxOffset,
      Math.max(from, this.log.logStartOffset) + maxRecords,
    );
    return end - this.log.logStartOffset <= start
      ? []
      : this.entries.slice(start, end - this.log.logStartOffset);
  }

  /** The log as (offset, epoch, value) for observations, without decoding anything twice. */
  observation(): Array<{ offset: number; epoch: number; value: string }> {
    if (this.observed.length > this.entries.length) this.observed.length = this.entries.length;
    for (let i = this.observed.length; i < this.entries.length; i++) {
      const e = this.entries[i];
      this.observed.push({
        offset: e.offset,
        epoch: e.epoch,
        value: e.value === null ? "" : e.value.toString("utf8"),
      });
    }
    return this.observed.slice();
  }

  truncateTo(offset: number): void {
    if (offset >= this.log.logEndOffset) return;
    this.log.truncateTo(offset, this.now());
    // A batch straddling `offset` goes whole, so take the log's own end, not `offset`.
    this.entries.length = Math.max(0, this.log.logEndOffset - this.log.logStartOffset);
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
}

export class SimDisk implements LogStore {
  readonly fs = new SimFileSystem();
  /** Logs opened by the current process; a crash forgets them and the next process reopens them. */
  private opened = new Map<string, SimReplicaLog>();

  constructor(private readonly now: () => number) {
    this.fs.mkdir(LOG_DIR);
  }

  open(topic: string, partition: number): SimReplicaLog {
    const name = partitionDirName(topic, partition);
    let log = this.opened.get(name);
    if (log === undefined) {
      const plog = PartitionLog.open(this.fs, joinPath(LOG_DIR, name), DEFAULT_LOG_CONFIG, {
        nowMs: this.now(),
      });
      log = new SimReplicaLog(plog, this.fs, this.now);
      this.opened.set(name, log);
    }
    return log;
  }

  existing(): Array<{ topic: string; partition: number }> {
    const out: Array<{ topic: string; partition: number }> = [];
    for (const name of this.fs.list(LOG_DIR).sort()) {
      const m = /^(.+)-(\d+)$/.exec(name);
      if (m !== null) out.push({ topic: m[1], partition: Number(m[2]) });
    }
    return out;
  }

  /** kill -9: everything not fsynced is gone, and so is every open handle. */
  crash(): void {
    this.fs.crash();
    this.opened = new Map();
  }
}
