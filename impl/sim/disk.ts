/**
 * A broker's simulated disk: impl/storage's PartitionLog segments on a SimFileSystem, whose crash()
 * keeps only what was fsynced. A restarted broker reopens its partition directories and recovers
 * them exactly as it would from a real disk after kill -9 (torn tails cut, indexes rebuilt, the
 * leader-epoch-checkpoint reread). The adapter to the replication core is impl/replication's
 * StorageReplicaLog, the same one the TCP broker uses, here with its decoded copy of each log.
 */
import type { LogStore } from "../node/broker-node.ts";
import { StorageReplicaLog } from "../replication/storage-log.ts";
import { DEFAULT_LOG_CONFIG } from "../storage/config.ts";
import { joinPath } from "../storage/fs.ts";
import { PartitionLog, partitionDirName } from "../storage/partition-log.ts";
import { SimFileSystem } from "../storage/sim-fs.ts";

const LOG_DIR = "/kafka-logs";

export class SimDisk implements LogStore {
  readonly fs = new SimFileSystem();
  /** Logs opened by the current process; a crash forgets them and the next process reopens them. */
  private opened = new Map<string, StorageReplicaLog>();

  constructor(private readonly now: () => number) {
    // The log dir exists durably before the broker first starts (new entries are lost in a crash until synced).
    this.fs.mkdir(LOG_DIR);
    this.fs.syncDirectory(LOG_DIR);
  }

  open(topic: string, partition: number): StorageReplicaLog {
    const name = partitionDirName(topic, partition);
    let log = this.opened.get(name);
    if (log === undefined) {
      const plog = PartitionLog.open(this.fs, joinPath(LOG_DIR, name), DEFAULT_LOG_CONFIG, {
        nowMs: this.now(),
      });
      log = new StorageReplicaLog(plog, this.fs, this.now, {
        headerEncoding: "utf8",
        decodedCache: true,
      });
      this.opened.set(name, log);
    }
    return log;
  }

  existing(): Array<{ topic: string; partition: number }> {
    const out: Array<{ topic: string; partition: number }> = [];
    for (const name of this.fs.list(LOG_DIR).sort()) {
      const m = /^(.+)-(\d+)$/.exec(name);
      // A deleted partition leaves an empty directory (the simulated file system keeps directories).
      if (m === null || this.fs.list(joinPath(LOG_DIR, name)).length === 0) continue;
      out.push({ topic: m[1], partition: Number(m[2]) });
    }
    return out;
  }

  /** Topic deletion: every file of the partition goes (the log is opened first if this process has not). */
  delete(topic: string, partition: number): void {
    const name = partitionDirName(topic, partition);
    if (!this.fs.exists(joinPath(LOG_DIR, name))) return;
    this.open(topic, partition).log.deleteAll();
    this.opened.delete(name);
  }

  /** kill -9: everything not fsynced is gone, and so is every open handle. */
  crash(): void {
    this.fs.crash();
    this.opened = new Map();
  }
}
