/**
 * The bookkeeping of Kafka's TopicDeletionManager (ZooKeeper mode), kept apart from the controller's I/O:
 * which topics are queued for deletion and, for each of their replicas, how far its deletion got.
 *
 * A replica's deletion is "pending" until a StopReplica with deletePartitions=true is sent to its broker
 * ("started"), and "successful" once that broker answered it without error. A replica whose broker is
 * down, or dies before answering, goes back to "pending" (Kafka's ReplicaDeletionIneligible) and is sent
 * again when the broker registers again or a new controller takes over. A topic is done, and its znodes
 * may go, only when every one of its replicas' deletions succeeded: until then its name stays taken, so
 * a topic re-created under the same name can never meet an old replica's log.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId } from "../../spec/operations.ts";

export type ReplicaDeletionState = "pending" | "started" | "successful";

export interface PartitionRef {
  topic: string;
  partition: number;
}

interface ReplicaDeletion {
  partition: number;
  broker: BrokerId;
  state: ReplicaDeletionState;
}

/** Kafka's Topic.isInternal: topics the brokers themselves use. Deleting one would lose group offsets. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(["__consumer_offsets", "__transaction_state"]);

export class TopicDeletions {
  private readonly topics = new Map<string, ReplicaDeletion[]>();

  /** Whether the topic is queued for deletion (its name is still taken). */
  has(topic: string): boolean {
    return this.topics.has(topic);
  }

  /** The topics queued for deletion, sorted. */
  queued(): string[] {
    return [...this.topics.keys()].sort();
  }

  /** Queues a topic with its replica assignment (partition p's replicas at index p); no-op if queued. */
  enqueue(topic: string, replicas: readonly (readonly BrokerId[])[]): void {
    if (this.topics.has(topic)) return;
    const list: ReplicaDeletion[] = [];
    replicas.forEach((brokers, partition) => {
      for (const broker of brokers) list.push({ partition, broker, state: "pending" });
    });
    this.topics.set(topic, list);
  }

  /**
   * Marks every pending replica on one of `brokers` as started and returns, per broker, the partitions
   * to send a StopReplica(delete) for. Replicas on other brokers stay pending.
   */
  start(brokers: ReadonlySet<BrokerId>): Map<BrokerId, PartitionRef[]> {
    const out = new Map<BrokerId, PartitionRef[]>();
    for (const [topic, list] of this.topics) {
      for (const r of list) {
        if (r.state !== "pending" || !brokers.has(r.broker)) continue;
        r.state = "started";
        const refs = out.get(r.broker) ?? [];
        refs.push({ topic, partition: r.partition });
        out.set(r.broker, refs);
      }
    }
    return out;
  }

  /** Started replicas on `brokers` still unanswered, per broker: to send again (the request or answer was lost). */
  unanswered(brokers: ReadonlySet<BrokerId>): Map<BrokerId, PartitionRef[]> {
    const out = new Map<BrokerId, PartitionRef[]>();
    for (const [topic, list] of this.topics) {
      for (const r of list) {
        if (r.state !== "started" || !brokers.has(r.broker)) continue;
        const refs = out.get(r.broker) ?? [];
        refs.push({ topic, partition: r.partition });
        out.set(r.broker, refs);
      }
    }
    return out;
  }

  /**
   * A broker answered a StopReplica(delete). Successful replicas are recorded; one answered with an
   * error goes back to pending (sent again on the broker's next registration). Returns the topics
   * whose every replica is now deleted, sorted.
   */
  onResponse(
    broker: BrokerId,
    partitions: ReadonlyArray<PartitionRef & { error: KafkaErrorName | null }>,
  ): string[] {
    const touched = new Set<string>();
    for (const p of partitions) {
      const r = this.topics.get(p.topic)?.find((x) => x.partition === p.partition && x.broker === broker);
      if (r === undefined || r.state !== "started") continue;
      r.state = p.error === null ? "successful" : "pending";
      touched.add(p.topic);
    }
    return [...touched].filter((t) => this.isDone(t)).sort();
  }

  /** A broker died or was bounced: deletions it may not have done go back to pending. */
  brokerFailed(broker: BrokerId): void {
    for (const list of this.topics.values())
      for (const r of list) if (r.broker === broker && r.state === "started") r.state = "pending";
  }

  /** Every replica of the topic is deleted (a topic with no replicas at all is done at once). */
  isDone(topic: string): boolean {
    const list = this.topics.get(topic);
    return list?.every((r) => r.state === "successful") ?? false;
  }

  /** The topic's znodes are gone: forget it. */
  complete(topic: string): void {
    this.topics.delete(topic);
  }

  /** The replicas' states of a queued topic (for tests and observation). */
  replicaStates(topic: string): Array<{ partition: number; broker: BrokerId; state: ReplicaDeletionState }> {
    return (this.topics.get(topic) ?? []).map((r) => ({ ...r }));
  }
}
