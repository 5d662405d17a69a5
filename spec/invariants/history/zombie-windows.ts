/**
 * Zombies in ZooKeeper-mode Kafka: a broker cut off from the metadata store (side 1 of an isolate), paused, or
 * whose session expired keeps the leaderships (of data partitions and of __consumer_offsets, so of group
 * coordination) it had in its own view until a LeaderAndIsr or StopReplica from the controller reaches it, and
 * answers clients from its own state meanwhile (ZooKeeper-mode brokers do not fence themselves). When that
 * reaches it cannot be seen from outside; only its crash surely ends it. Invariants about what clients read
 * across such a window (monotonic reads) must not hold the zombie's answers to what the new leader showed.
 */
import type { OpRecord } from "../../history-index.ts";

const INF = Number.POSITIVE_INFINITY;

export interface ZombieWindow {
  /** Invocation index of the fault that cut the broker off. */
  from: number;
  /** Completion index of its crash (Infinity if it never crashed). */
  to: number;
}

/**
 * Event-index windows in which a broker may be a zombie (leader or coordinator): from the invocation of the fault that cut
 * it off until the completion of its crash (open-ended if it never crashed).
 */
export function zombieWindows(ops: readonly OpRecord[]): ZombieWindow[] {
  const open = new Map<number, number>();
  const crashed = new Set<number>();
  const out: ZombieWindow[] = [];
  for (const r of ops) {
    const op = r.op;
    if (r.complete?.outcome.status === "failed") continue;
    const cut =
      op.kind === "isolate"
        ? op.sides[1].filter((b) => !op.sides[0].includes(b))
        : op.kind === "pause" || op.kind === "expireSession"
          ? [op.broker]
          : [];
    for (const b of cut) if (!open.has(b) && !crashed.has(b)) open.set(b, r.invoke.index);
    if (op.kind === "crash") {
      const from = open.get(op.broker);
      if (from !== undefined) out.push({ from, to: r.complete?.index ?? INF });
      open.delete(op.broker);
      crashed.add(op.broker);
    } else if (op.kind === "restart") crashed.delete(op.broker);
  }
  for (const from of open.values()) out.push({ from, to: INF });
  return out;
}

/** Whether an operation overlaps a zombie window, so a zombie may have answered it. */
export function mayBeZombieAnswer(windows: readonly ZombieWindow[], r: OpRecord): boolean {
  const end = r.complete?.index ?? INF;
  return windows.some((w) => end > w.from && r.invoke.index < w.to);
}
