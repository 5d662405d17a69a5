/**
 * The node's LogStore on a real disk: one impl/storage PartitionLog per partition under log.dirs
 * (`<dir>/<topic>-<partition>/`, Kafka's layout), adapted to the replication core's ReplicaLog.
 * Recovery of a torn tail after kill -9 is PartitionLog.open's job. Segment files hold no descriptor at
 * rest: the store's DiskFileSystem opens them on use, keeps at most `maxOpenFiles` open and closes idle
 * ones (swept here on a timer), so a broker hosting thousands of partitions does not run out of descriptors.
 *
 * What is per log dir, as in Kafka, so that thousands of partitions cost one file write and not thousands:
 * - replication-offset-checkpoint, every partition's high watermark, written whole a moment after a
 *   round of checkpoints (and at shutdown);
 * - .kafka_cleanshutdown, written once after a shutdown has flushed and closed every log: the next start
 *   then loads each log without the CRC scan of its last segment. Removed at start (durably, before any
 *   log can change), so a crash after it leaves no marker and every log is recovered. It lists, one per
 *   line, partitions this process never opened that came from an unclean start: they still need recovery.
 * - the directory sync for new partitions: one per turn of the event loop for all the partitions created
 *   in it (a LeaderAndIsr slice), not one per partition.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { LogStore } from "../node/broker-node.ts";
import { StorageReplicaLog } from "../replication/storage-log.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../storage/config.ts";
import { DEFAULT_IDLE_CLOSE_MS, DEFAULT_MAX_OPEN_FILES, DiskFileSystem } from "../storage/disk-fs.ts";
import { readWholeFile, writeFileAtomic } from "../storage/fs.ts";
import {
  LogDirOffsetCheckpoint,
  type PartitionOffsets,
  REPLICATION_OFFSET_CHECKPOINT,
} from "../storage/log-dir-checkpoint.ts";
import { LOG_DIR_CLEAN_SHUTDOWN_MARKER, PartitionLog, partitionDirName } from "../storage/partition-log.ts";

/** How long after a high watermark checkpoint the log dir's file is written: one write per round. */
export const HW_FILE_DELAY_MS = 50;

/** What DiskLogStore.shutdown did, for the broker's log line and for tests. */
export interface ShutdownReport {
  logs: number;
  ms: number;
  fsyncs: number;
  dirSyncs: number;
}

/** Partition logs under one log directory (the first of log.dirs). */
export class DiskLogStore implements LogStore {
  readonly fs: DiskFileSystem;
  private readonly open_ = new Map<string, StorageReplicaLog>();
  private readonly sweep: ReturnType<typeof setInterval>;
  readonly highWatermarks: LogDirOffsetCheckpoint;
  /** Partitions on disk at start that the last process shut down cleanly and this one has not opened. */
  private readonly cleanAtStart = new Set<string>();
  /** Partitions on disk at start that need recovery and this one has not opened. */
  private readonly uncleanAtStart = new Set<string>();
  /** Whether the previous process left the clean-shutdown marker. */
  readonly startedClean: boolean;
  private dirSyncScheduled = false;
  private hwWriteTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(
    readonly dir: string,
    private readonly logConfig: (topic: string) => LogConfig = () => DEFAULT_LOG_CONFIG,
    private readonly now: () => number = Date.now,
    descriptors: { maxOpenFiles?: number; idleCloseMs?: number } = {},
    private readonly log: (line: string) => void = (l) => console.error(l),
  ) {
    const idleCloseMs = descriptors.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    this.fs = new DiskFileSystem({
      maxOpenFiles: descriptors.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES,
      idleCloseMs,
      now,
    });
    this.fs.mkdir(dir);
    this.fs.syncDirectory(dir);
    const marker = join(dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER);
    this.startedClean = this.fs.exists(marker);
    const stillUnclean = new Set(
      this.startedClean
        ? readWholeFile(this.fs, marker)
            .toString("utf8")
            .split("\n")
            .filter((l) => l !== "")
        : [],
    );
    for (const name of this.partitionDirs()) {
      if (this.startedClean && !stillUnclean.has(name)) this.cleanAtStart.add(name);
      else this.uncleanAtStart.add(name);
    }
    // From here on logs may change: a crash must not find the marker.
    if (this.startedClean) this.fs.remove(marker);
    this.highWatermarks = new LogDirOffsetCheckpoint(this.fs, join(dir, REPLICATION_OFFSET_CHECKPOINT));
    // Closing idle descriptors is housekeeping: it must not keep the process alive.
    this.sweep = setInterval(() => this.fs.descriptors.closeIdle(), Math.max(1_000, idleCloseMs / 2));
    this.sweep.unref();
  }

  private partitionDirs(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^.+-\d+$/.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  open(topic: string, partition: number): StorageReplicaLog {
    const name = partitionDirName(topic, partition);
    let log = this.open_.get(name);
    if (log === undefined) {
      // Nothing may change a log once shutdown began: the clean-shutdown marker vouches for all of them.
      // (An errno-style code: the node answers it KAFKA_STORAGE_ERROR, as any disk error.)
      if (this.closed)
        throw Object.assign(new Error(`${this.dir}: the log store is shut down`), { code: "ESHUTDOWN" });
      const path = join(this.dir, name);
      const isNew = !existsSync(path);
      const plog = PartitionLog.open(this.fs, path, this.logConfig(topic), {
        nowMs: this.now(),
        cleanShutdown: this.cleanAtStart.has(name),
        onRecovery: (e) =>
          this.log(
            `[log] ${name}: recovery cut ${e.truncatedBytes} bytes of segment ${e.segmentBaseOffset} (${e.reason})`,
          ),
      });
      this.cleanAtStart.delete(name);
      this.uncleanAtStart.delete(name);
      log = new StorageReplicaLog(plog, this.fs, this.now, { highWatermarks: this.hwEntries });
      this.open_.set(name, log);
      if (isNew) this.syncNewPartitionsSoon();
    }
    return log;
  }

  /**
   * New partition directories are listed durably by one sync of the log dir at the end of this turn of
   * the event loop, for every partition created in it. (Until then a crash may forget an empty new
   * partition, which the controller's next LeaderAndIsr creates again; data flushed into one syncs
   * the directories above it first.)
   */
  private syncNewPartitionsSoon(): void {
    if (this.dirSyncScheduled) return;
    this.dirSyncScheduled = true;
    setImmediate(() => {
      this.dirSyncScheduled = false;
      if (this.closed) return;
      try {
        this.fs.syncDirectory(this.dir);
      } catch (e) {
        this.log(`[log] sync of ${this.dir} failed: ${(e as Error).message}`);
      }
    });
  }

  /** What each log records its high watermark in: the log dir's file, written a moment later. */
  private readonly hwEntries: PartitionOffsets = {
    get: (partition) => this.highWatermarks.get(partition),
    set: (partition, offset) => {
      this.highWatermarks.set(partition, offset);
      if (this.highWatermarks.dirty) this.writeHighWatermarksSoon();
    },
  };

  /** Called after a replica's high watermark was recorded: the file follows once the round is done. */
  private writeHighWatermarksSoon(): void {
    if (this.hwWriteTimer !== null || this.closed) return;
    this.hwWriteTimer = setTimeout(() => {
      this.hwWriteTimer = null;
      try {
        this.highWatermarks.write();
      } catch (e) {
        this.log(`[log] writing ${this.highWatermarks.path} failed: ${(e as Error).message}`);
      }
    }, HW_FILE_DELAY_MS);
    this.hwWriteTimer.unref();
  }

  /** Writes the high watermark file now if a checkpoint changed it (tests; shutdown does it too). */
  flushHighWatermarks(): void {
    this.highWatermarks.write();
  }

  /**
   * Opens every log on disk at start, recovering those the last process did not shut down cleanly, with
   * the recovery's fsyncs done together on the thread pool (Kafka recovers with
   * num.recovery.threads.per.data.dir threads). A log that fails to open is only reported: its first
   * use opens it again and fails as it would have. Returns how many logs are open.
   */
  async openExisting(): Promise<number> {
    await this.fs.syncInParallel(() => {
      for (const { topic, partition } of this.existing()) {
        try {
          this.open(topic, partition);
        } catch (e) {
          this.log(`[log] ${partitionDirName(topic, partition)}: opening failed: ${(e as Error).message}`);
        }
      }
    });
    return this.open_.size;
  }

  existing(): Array<{ topic: string; partition: number }> {
    if (!existsSync(this.dir)) return [];
    const out: Array<{ topic: string; partition: number }> = [];
    for (const name of this.partitionDirs()) {
      const m = /^(.+)-(\d+)$/.exec(name);
      if (m === null) continue;
      if (!readdirSync(join(this.dir, name)).some((f) => f.endsWith(".log"))) continue;
      out.push({ topic: m[1], partition: Number(m[2]) });
    }
    return out;
  }

  /** The opened logs, for flushing, retention and shutdown. */
  logs(): IterableIterator<[string, StorageReplicaLog]> {
    return this.open_.entries();
  }

  /**
   * A clean shutdown: flushes every log (only what changed since its last flush costs an fsync) and
   * closes them, with the fsyncs done together on the thread pool, then writes the high watermark file
   * and the clean-shutdown marker, one of each for the log dir. Resolves when all of it is durable.
   */
  async shutdown(): Promise<ShutdownReport> {
    const t0 = performance.now();
    const before = { ...this.fs.stats };
    this.closed = true;
    clearInterval(this.sweep);
    if (this.hwWriteTimer !== null) clearTimeout(this.hwWriteTimer);
    this.hwWriteTimer = null;
    const logs = this.open_.size;
    let failed = 0;
    const open = [...this.open_];
    this.open_.clear();
    try {
      await this.fs.syncInParallel(() => {
        for (const [name, l] of open) {
          try {
            l.log.flushForShutdown(this.now());
            l.log.close();
          } catch (e) {
            failed++;
            this.log(`[log] ${name}: flush at shutdown failed: ${(e as Error).message}`);
          }
        }
      });
    } catch (e) {
      failed++;
      this.log(`[log] ${this.dir}: syncing logs at shutdown failed: ${(e as Error).message}`);
    }
    this.highWatermarks.write();
    // A log that could not be flushed must be recovered next time: no marker then.
    if (failed === 0) {
      const unclean = [...this.uncleanAtStart].sort();
      writeFileAtomic(
        this.fs,
        join(this.dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER),
        Buffer.from(unclean.map((n) => `${n}\n`).join(""), "utf8"),
      );
    }
    this.fs.descriptors.closeAll();
    return {
      logs,
      ms: Math.round(performance.now() - t0),
      fsyncs: this.fs.stats.fsyncs - before.fsyncs,
      dirSyncs: this.fs.stats.dirSyncs - before.dirSyncs,
    };
  }

  /** Removes a partition's files and its directory (StopReplica with deletePartitions: topic deletion). */
  delete(topic: string, partition: number): void {
    const name = partitionDirName(topic, partition);
    const l = this.open_.get(name);
    if (l !== undefined) {
      l.log.deleteAll();
      this.open_.delete(name);
    }
    this.cleanAtStart.delete(name);
    this.uncleanAtStart.delete(name);
    this.highWatermarks.delete(name);
    this.writeHighWatermarksSoon();
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }
}
