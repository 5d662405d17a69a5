/**
 * State the TCP layer keeps beside the node: idempotent producers' recent batches per partition, so a
 * retried batch (same producer id, epoch and base sequence) is answered with its original offset and
 * not appended twice. Kafka keeps the last five batches per producer; so do we (in memory: a restart
 * forgets them, where Kafka rebuilds them from the log's producer snapshots). The table is bounded:
 * beyond MAX_IDEMPOTENT_PRODUCERS producers the least recently used is forgotten (Kafka expires them
 * after transactional.id.expiration.ms instead); a forgotten producer's next batch is taken as new.
 */
export const BATCHES_KEPT_PER_PRODUCER = 5;
export const MAX_IDEMPOTENT_PRODUCERS = 10_000;

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
  /** Producer id to its recent batches per partition, least recently used producer first. */
  private readonly producers = new Map<number, Map<string, SeenBatch[]>>();

  constructor(private readonly maxProducers = MAX_IDEMPOTENT_PRODUCERS) {}

  private key(topic: string, partition: number): string {
    return `${topic}\u0000${partition}`;
  }

  /** How many producers are remembered. */
  get size(): number {
    return this.producers.size;
  }

  /** The producer's partitions, now the most recently used; undefined if it is not remembered. */
  private touch(producerId: number): Map<string, SeenBatch[]> | undefined {
    const p = this.producers.get(producerId);
    if (p !== undefined) {
      this.producers.delete(producerId);
      this.producers.set(producerId, p);
    }
    return p;
  }

  check(
    topic: string,
    partition: number,
    producerId: number,
    epoch: number,
    baseSequence: number,
    count: number,
  ): SequenceCheck {
    const seen = this.touch(producerId)?.get(this.key(topic, partition));
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
    let partitions = this.touch(producerId);
    if (partitions === undefined) {
      partitions = new Map();
      this.producers.set(producerId, partitions);
      while (this.producers.size > this.maxProducers) {
        const oldest = this.producers.keys().next().value as number;
        this.producers.delete(oldest);
      }
    }
    const k = this.key(topic, partition);
    const seen = partitions.get(k) ?? [];
    seen.push({ epoch, baseSequence, lastSequence: baseSequence + count - 1, result });
    while (seen.length > BATCHES_KEPT_PER_PRODUCER) seen.shift();
    partitions.set(k, seen);
  }
}
