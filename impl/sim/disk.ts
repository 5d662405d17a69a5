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

/** ReplicaLog over one PartitionLog: records become RecordBatch v2 bytes on the simulated disk. */
export class SimReplicaLog implements ReplicaLog {
  private hw: number;

  constructor(
    readonly log: PartitionLog,
    private readonly fs: SimFileSystem,
    private readonly now: () => number,
  ) {
    const path = joinPath(log.dir, HW_CHECKPOINT);
    this.hw = fs.exists(path) ? Number(readWholeFile(fs, path).toString("utf8").trim()) || 0 : 0;
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
  }

  read(from: number, maxRecords: number, maxOffset?: number): LogEntry[] {
    if (from >= this.log.logEndOffset || maxRecords <= 0) return [];
    return this.log.readRecords(from, maxRecords, maxOffset).map((r) => {
      const e: LogEntry = { offset: r.offset, epoch: r.leaderEpoch, key: r.key, value: r.value };
      const headers = fromHeaders(r.headers);
      if (headers !== undefined) e.headers = headers;
      return e;
    });
  }

  truncateTo(offset: number): void {
    if (offset < this.log.logEndOffset) this.log.truncateTo(offset, this.now());
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
