/**
 * The node's LogStore on a real disk: one impl/storage PartitionLog per partition under log.dirs
 * (`<dir>/<topic>-<partition>/`, Kafka's layout), adapted to the replication core's ReplicaLog.
 * Recovery of a torn tail after kill -9 is PartitionLog.open's job; the high watermark checkpoint is a
 * small file written atomically beside the segments. Segment files hold no descriptor at rest: the store's
 * DiskFileSystem opens them on use, keeps at most `maxOpenFiles` open and closes idle ones (swept here on
 * a timer), so a broker hosting thousands of partitions does not run out of descriptors.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { LogStore } from "../node/broker-node.ts";
import { StorageReplicaLog } from "../replication/storage-log.ts";
import { DEFAULT_LOG_CONFIG, type LogConfig } from "../storage/config.ts";
import { DEFAULT_IDLE_CLOSE_MS, DEFAULT_MAX_OPEN_FILES, DiskFileSystem } from "../storage/disk-fs.ts";
import { PartitionLog, partitionDirName } from "../storage/partition-log.ts";

/** Partition logs under one log directory (the first of log.dirs). */
export class DiskLogStore implements LogStore {
  readonly fs: DiskFileSystem;
  private readonly open_ = new Map<string, StorageReplicaLog>();
  private readonly sweep: ReturnType<typeof setInterval>;

  constructor(
    readonly dir: string,
    private readonly logConfig: (topic: string) => LogConfig = () => DEFAULT_LOG_CONFIG,
    private readonly now: () => number = Date.now,
    descriptors: { maxOpenFiles?: number; idleCloseMs?: number } = {},
  ) {
    const idleCloseMs = descriptors.idleCloseMs ?? DEFAULT_IDLE_CLOSE_MS;
    this.fs = new DiskFileSystem({
      maxOpenFiles: descriptors.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES,
      idleCloseMs,
      now,
    });
    this.fs.mkdir(dir);
    // Closing idle descriptors is housekeeping: it must not keep the process alive.
    this.sweep = setInterval(() => this.fs.descriptors.closeIdle(), Math.max(1_000, idleCloseMs / 2));
    this.sweep.unref();
  }

  open(topic: string, partition: number): StorageReplicaLog {
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
      log = new StorageReplicaLog(plog, this.fs, this.now);
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
  logs(): IterableIterator<[string, StorageReplicaLog]> {
    return this.open_.entries();
  }

  /** Flushes and closes every log: a clean shutdown. */
  shutdown(): void {
    clearInterval(this.sweep);
    for (const l of this.open_.values()) l.log.shutdown(this.now());
    this.open_.clear();
    this.fs.descriptors.closeAll();
  }

  /** Removes a partition's files and its directory (StopReplica with deletePartitions: topic deletion). */
  delete(topic: string, partition: number): void {
    const name = partitionDirName(topic, partition);
    const l = this.open_.get(name);
    if (l !== undefined) {
      l.log.deleteAll();
      this.open_.delete(name);
    }
    rmSync(join(this.dir, name), { recursive: true, force: true });
  }
}
