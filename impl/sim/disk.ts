/**
 * A broker's simulated disk: its partition logs survive a crash only as far as they were flushed.
 * The logs are MemoryReplicaLogs, whose crash() keeps exactly the flushed prefix and epoch checkpoint.
 */
import type { LogStore } from "../node/broker-node.ts";
import { MemoryReplicaLog } from "../replication/replica-log.ts";

export class SimDisk implements LogStore {
  private readonly logs = new Map<string, MemoryReplicaLog>();

  open(topic: string, partition: number): MemoryReplicaLog {
    const k = `${topic}\u0000${partition}`;
    let log = this.logs.get(k);
    if (log === undefined) {
      log = new MemoryReplicaLog();
      this.logs.set(k, log);
    }
    return log;
  }

  existing(): Array<{ topic: string; partition: number }> {
    return [...this.logs.keys()].sort().map((k) => {
      const i = k.lastIndexOf("\u0000");
      return { topic: k.slice(0, i), partition: Number(k.slice(i + 1)) };
    });
  }

  /** kill -9: everything not flushed is gone. */
  crash(): void {
    for (const log of this.logs.values()) log.crash();
  }
}
