/**
 * CreateTopics (key 19). numPartitions/replicationFactor -1 (v4+) take the broker defaults;
 * validateOnly (v1+) checks without creating; explicit replica assignments are not supported
 * (INVALID_REQUEST). min.insync.replicas and unclean.leader.election.enable are kept per topic.
 * A request that would make more than Kafka's 10,000 metadata records is refused whole, and topics
 * beyond max.partitions one by one, both POLICY_VIOLATION (partition-budget.ts).
 * The answer waits (up to timeoutMs, at most 10 s) until every new partition has a leader.
 */
import type { KafkaErrorName } from "../../../spec/errors.ts";
import { validPartitionCount } from "../../controller/controller.ts";
import { EXCESSIVE_BATCH_MESSAGE, MAX_RECORDS_PER_REQUEST, topicRecords } from "../partition-budget.ts";
import { createTopic, liveBrokerCount, topicConfigFrom, waitForLeaders } from "./admin.ts";
import { code, type Handler } from "./types.ts";

export const createTopics: Handler<19> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const live = await liveBrokerCount(rt);
  const planned = body.topics.map((t) => {
    const numPartitions = t.numPartitions === -1 ? rt.config.numPartitions : t.numPartitions;
    const replicationFactor =
      t.replicationFactor === -1 ? rt.config.defaultReplicationFactor : t.replicationFactor;
    let error: KafkaErrorName | null = null;
    if (t.assignments.length > 0) error = "INVALID_REQUEST";
    else if (!validPartitionCount(numPartitions)) error = "INVALID_PARTITIONS";
    else if (replicationFactor < 1 || replicationFactor > live) error = "INVALID_REPLICATION_FACTOR";
    return { t, numPartitions, replicationFactor, error };
  });
  // Topics refused above make no records, as in Kafka; the valid ones together must fit in one batch.
  const records = planned
    .filter((p) => p.error === null)
    .reduce((n, p) => n + topicRecords(p.numPartitions, p.t.configs.length), 0);
  const tooLarge = records > MAX_RECORDS_PER_REQUEST;

  const results = [];
  const created: string[] = [];
  for (const { t, numPartitions, replicationFactor, error: invalid } of planned) {
    let error: KafkaErrorName | null = tooLarge ? "POLICY_VIOLATION" : invalid;
    let message: string | null = error;
    if (tooLarge) message = EXCESSIVE_BATCH_MESSAGE;
    else if (error === null && !body.validateOnly) {
      error = await createTopic(rt, {
        name: t.name,
        numPartitions,
        replicationFactor,
        config: topicConfigFrom(t.configs),
      });
      message =
        error === "POLICY_VIOLATION"
          ? `max.partitions (${rt.config.maxPartitions}) would be exceeded`
          : error;
      if (error === null) created.push(t.name);
    }
    results.push({
      name: t.name,
      errorCode: code(error),
      errorMessage: message,
      topicConfigErrorCode: 0,
      numPartitions: error === null ? numPartitions : -1,
      replicationFactor: error === null ? replicationFactor : -1,
      configs: [],
    });
  }
  if (created.length > 0) await waitForLeaders(rt, created, Math.min(Math.max(body.timeoutMs, 0), 10_000));
  return { throttleTimeMs: 0, topics: results };
};
