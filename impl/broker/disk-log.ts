/**
 * The node's LogStore on a real disk: one impl/storage PartitionLog per partition under log.dirs
 * (`<dir>/<topic>-<partition>/`, Kafka's layout), adapted to the replication core's ReplicaLog.
 * Recovery of a torn tail after kill -9 is PartitionLog.open's job; the high watermark checkpoint is a
 * small file written atomically beside the segments.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { LogStore } from "../node/broker-node.ts";
import type { EpochEndOffset, LogEntry, ReplicaLog } from "../replication/replica-log.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../storage/config.ts";
import { DiskFileSystem } from "../storage/disk-fs.ts";
import { type FileSystem, joinPath, readWholeFile, writeFileAtomic } from "../storage/fs.ts";
import { PartitionLog, partitionDirName } from "../storage/partition-log.ts";
import { encodeBatch } from "../records/batch.ts";
import {
  type TimedEntry,
  type TimedRecord,
  encodeEntries,
  headersToRecord,
  toRecordInput,
} from "./record-codec.ts";

const HW_CHECKPOINT = "high-watermark-checkpoint";

export class DiskReplicaLog implements ReplicaLog {
  private hw: number;

  constructor(
    readonly log: PartitionLog,
    private readonly fs: FileSystem,
    private readonly now: () => number,
  ) {
    const path = joinPath(log.dir, HW_CHECKPOINT);
    let hw = 0;
    if (fs.exists(path)) {
      const n = Number(readWholeFile(fs, path).toString("utf8").trim());
      if (Number.isInteger(n) && n >= 0) hw = n;
    }
    this.hw = hw;
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
      records.map((r) => toRecordInput(r, nowMs)),
      { partitionLeaderEpoch: epoch },
    );
    const r = this.log.appendAsLeader(batch, epoch, nowMs);
    return { baseOffset: r.baseOffset, lastOffset: r.lastOffset };
  }

  appendAsFollower(entries: LogEntry[]): void {
    if (entries.length === 0) return;
    const chunks = encodeEntries(entries as TimedEntry[]);
    this.log.appendAsFollower(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks), this.now());
  }

  read(from: number, maxRecords: number, maxOffset?: number): LogEntry[] {
    if (from >= this.log.logEndOffset || maxRecords <= 0) return [];
    const recs = this.log.readRecords(from, maxRecords, maxOffset);
    return recs.map(
      (r): TimedEntry => ({
        offset: r.offset,
        epoch: r.leaderEpoch,
        key: r.key,
        value: r.value,
        headers: headersToRecord(r.headers),
        timestamp: r.timestamp,
      }),
    );
  }

  truncateTo(offset: number): void {
    this.log.truncateTo(offset, this.now());
  }

  flush(): void {
    this.log.flush(this.now());
  }

  get checkpointedHighWatermark(): number {
    return this.hw;
  }

  checkpointHighWatermark(highWatermark: number): void {
    if (highWatermark === this.hw) return;
    writeFileAtomic(this.fs, joinPath(this.log.dir, HW_CHECKPOINT), Buffer.from(`${highWatermark}\n`));
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

/** Partition logs under one log directory (the first of log.dirs). */
export class DiskLogStore implements LogStore {
  private readonly fs = new DiskFileSystem();
  private readonly open_ = new Map<string, DiskReplicaLog>();

  constructor(
    readonly dir: string,
    private readonly logConfig: (topic: string) => LogConfig = () => DEFAULT_LOG_CONFIG,
    private readonly now: () => number = Date.now,
  ) {
    this.fs.mkdir(dir);
  }

  open(topic: string, partition: number): DiskReplicaLog {
    const name = partitionDirName(topic, partition);
    let log = this.open_.get(name);
    if (log === undefined) {
      const plog = PartitionLog.open(this.fs, join(this.dir, name), this.logConfig(topic), {
        nowMs: this.now(),
        onRecovery: (e) =>
          console.error(
            `[log] ${name}: recovery cut ${e.truncatedBytes} bytes of segment ${e.segmentBaseOffset} (${e.reason})`,
          ),
      });
      log = new DiskReplicaLog(plog, this.fs, this.now);
      this.open_.set(name, log);
    }
    return log;
  }

  existing(): Array<{ topic: string; partition: number }> {
    if (!existsSync(this.dir)) return [];
    const out: Array<{ topic: string; partition: number }> = [];
    for (const name of readdirSync(this.dir).sort()) {
      const m = /^(.+)-(\d+)$/.exec(name);
      if (m === null) continue;
      if (!readdirSync(join(this.dir, name)).some((f) => f.endsWith(".log"))) continue;
      out.push({ topic: m[1], partition: Number(m[2]) });
    }
    return out;
  }

  /** The opened logs, for flushing, retention and shutdown. */
  logs(): IterableIterator<[string, DiskReplicaLog]> {
    return this.open_.entries();
  }

  /** Flushes and closes every log: a clean shutdown. */
  shutdown(): void {
    for (const l of this.open_.values()) l.log.shutdown(this.now());
    this.open_.clear();
  }

  /** Removes a partition's files (StopReplica with delete, DeleteTopics). */
  delete(topic: string, partition: number): void {
    const name = partitionDirName(topic, partition);
    const l = this.open_.get(name);
    if (l !== undefined) {
      l.log.deleteAll();
      this.open_.delete(name);
    }
  }
}
