/**
 * State the TCP layer keeps beside the node: idempotent producers' recent batches per partition, so a
 * retried batch (same producer id, epoch and base sequence) is answered with its original offset and
 * not appended twice. Kafka keeps the last five batches per producer; so do we (in memory: a restart
 * forgets them, where Kafka rebuilds them from the log's producer snapshots).
 */
export const BATCHES_KEPT_PER_PRODUCER = 5;

interface SeenBatch {
  epoch: number;
  baseSequence: number;
  lastSequence: number;
  /** The append's outcome: its base offset, or an error name. Pending while the append is. */
  result: Promise<{ baseOffset: number; error: string | null }>;
}

export type SequenceCheck =
  | { kind: "new" }
  | { kind: "duplicate"; result: Promise<{ baseOffset: number; error: string | null }> }
  | { kind: "out-of-order" }
  | { kind: "fenced" };

export class BrokerState {
  private readonly producers = new Map<string, SeenBatch[]>();

  private key(topic: string, partition: number, producerId: number): string {
    return `${topic}\u0000${partition}\u0000${producerId}`;
  }

  check(
    topic: string,
    partition: number,
    producerId: number,
    epoch: number,
    baseSequence: number,
    count: number,
  ): SequenceCheck {
    const seen = this.producers.get(this.key(topic, partition, producerId));
    if (seen === undefined || seen.length === 0) return { kind: "new" };
    const last = seen[seen.length - 1];
    if (epoch < last.epoch) return { kind: "fenced" };
    if (epoch > last.epoch) return { kind: "new" };
    for (const b of seen)
      if (b.baseSequence === baseSequence && b.lastSequence === baseSequence + count - 1)
        return { kind: "duplicate", result: b.result };
    if (baseSequence !== ((last.lastSequence + 1) | 0) && baseSequence !== 0) return { kind: "out-of-order" };
    return { kind: "new" };
  }

  record(
    topic: string,
    partition: number,
    producerId: number,
    epoch: number,
    baseSequence: number,
    count: number,
    result: Promise<{ baseOffset: number; error: string | null }>,
  ): void {
    const k = this.key(topic, partition, producerId);
    const seen = this.producers.get(k) ?? [];
    seen.push({ epoch, baseSequence, lastSequence: baseSequence + count - 1, result });
    while (seen.length > BATCHES_KEPT_PER_PRODUCER) seen.shift();
    this.producers.set(k, seen);
  }
}
