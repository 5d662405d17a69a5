/**
 * Bounds on how many partitions requests can make the cluster host, so that no request (fuzzed, buggy or
 * hostile) can make a broker spend its descriptors, memory and event loop on partitions nobody can use.
 *
 * - Per request, Kafka's own bound: the KRaft controller builds at most 10,000 metadata records for one
 *   user operation (QuorumController.MAX_RECORDS_PER_USER_OP) and answers every topic of a larger
 *   CreateTopics or CreatePartitions POLICY_VIOLATION "Unable to perform excessively large batch
 *   operation." (apache/kafka KRaftClusterTest.testOverlyLargeCreateTopics). A new topic makes one
 *   TopicRecord, one ConfigRecord per config and one PartitionRecord per partition; a grown topic one
 *   PartitionRecord per new partition.
 * - In all, max.partitions (named after KIP-578, which Kafka did not adopt): checked by the active
 *   controller, the one place every creation passes (other brokers forward to it), one creation at a time
 *   so concurrent requests cannot both spend the same remaining budget. Answered POLICY_VIOLATION, what
 *   Kafka answers when a CreateTopicPolicy refuses a topic.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerRuntime } from "./runtime.ts";

export const MAX_RECORDS_PER_REQUEST = 10_000;
export const EXCESSIVE_BATCH_MESSAGE = "Unable to perform excessively large batch operation.";

/** The metadata records a CreateTopics entry would make (Kafka's count). */
export function topicRecords(numPartitions: number, configs: number): number {
  return 1 + configs + numPartitions;
}

/** Partitions the active controller knows of, in all or of one topic. */
export function partitionCount(rt: BrokerRuntime, topic?: string): number {
  const states = rt.node.controller.partitionStates();
  return topic === undefined ? states.length : states.filter((s) => s.topic === topic).length;
}

/** Why max.partitions refuses `added` more partitions, or null when they fit. */
export function overLimitMessage(rt: BrokerRuntime, added: number): string | null {
  const have = partitionCount(rt);
  const max = rt.config.maxPartitions;
  return have + added <= max
    ? null
    : `max.partitions is ${max}: the cluster has ${have} partitions and the request adds ${added}`;
}

const queues = new WeakMap<BrokerRuntime, Promise<unknown>>();

/**
 * Runs `create` (which must finish its controller commit before resolving) if `added(...)` more partitions
 * fit under max.partitions, else answers POLICY_VIOLATION; one at a time per broker. `added` is computed
 * inside the turn, from the controller's state after every earlier creation.
 */
export function withinPartitionBudget(
  rt: BrokerRuntime,
  added: () => number,
  create: () => Promise<KafkaErrorName | null>,
): Promise<KafkaErrorName | null> {
  const turn = (queues.get(rt) ?? Promise.resolve()).then(async () => {
    const n = added();
    const refused = n > 0 ? overLimitMessage(rt, n) : null;
    if (refused !== null) {
      rt.log(`[broker ${rt.brokerId}] partition creation refused: ${refused}`);
      return "POLICY_VIOLATION" as const;
    }
    return create();
  });
  queues.set(
    rt,
    turn.catch(() => {}),
  );
  return turn;
}
