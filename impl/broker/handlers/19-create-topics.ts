/**
 * CreateTopics (key 19). numPartitions/replicationFactor -1 (v4+) take the broker defaults;
 * validateOnly (v1+) checks without creating; explicit replica assignments are not supported
 * (INVALID_REQUEST). min.insync.replicas and unclean.leader.election.enable are kept per topic.
 * The answer waits (up to timeoutMs, at most 10 s) until every new partition has a leader.
 */
import { validPartitionCount } from "../../controller/controller.ts";
import { createTopic, liveBrokerCount, topicConfigFrom, waitForLeaders } from "./admin.ts";
import { code, type Handler } from "./types.ts";

export const createTopics: Handler<19> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const live = await liveBrokerCount(rt);
  const results = [];
  const created: string[] = [];
  for (const t of body.topics) {
    const numPartitions = t.numPartitions === -1 ? rt.config.numPartitions : t.numPartitions;
    const replicationFactor =
      t.replicationFactor === -1 ? rt.config.defaultReplicationFactor : t.replicationFactor;
    let error: Parameters<typeof code>[0] = null;
    if (t.assignments.length > 0) error = "INVALID_REQUEST";
    else if (!validPartitionCount(numPartitions)) error = "INVALID_PARTITIONS";
    else if (replicationFactor < 1 || replicationFactor > live) error = "INVALID_REPLICATION_FACTOR";
    else if (!body.validateOnly) {
      error = await createTopic(rt, {
        name: t.name,
        numPartitions,
        replicationFactor,
        config: topicConfigFrom(t.configs),
      });
      if (error === null) created.push(t.name);
    }
    results.push({
      name: t.name,
      errorCode: code(error),
      errorMessage: error === null ? null : error,
      topicConfigErrorCode: 0,
      numPartitions: error === null ? numPartitions : -1,
      replicationFactor: error === null ? replicationFactor : -1,
      configs: [],
    });
  }
  if (created.length > 0) await waitForLeaders(rt, created, Math.min(Math.max(body.timeoutMs, 0), 10_000));
  return { throttleTimeMs: 0, topics: results };
};
