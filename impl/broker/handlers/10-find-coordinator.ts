/**
 * FindCoordinator (key 10). v0: a group key; v1: keyType (0 group, 1 transaction: we answer the
 * group coordinator for either); v4: many keys at once. The coordinator is the leader of the group's
 * __consumer_offsets partition; the topic is created on first use, as Kafka does.
 */
import { OFFSETS_TOPIC } from "../../group/offsets-topic.ts";
import type { BrokerRuntime } from "../runtime.ts";
import { createTopic, liveBrokerCount } from "./admin.ts";
import { code, type Handler } from "./types.ts";

async function find(rt: BrokerRuntime, key: string) {
  const r = await rt.call({ api: "findCoordinator", key });
  if (r.api !== "findCoordinator")
    return { error: r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR", nodeId: -1 } as const;
  if (
    r.error === "COORDINATOR_NOT_AVAILABLE" &&
    !rt.node.metadataView().partitions.has(`${OFFSETS_TOPIC}\u00000`)
  ) {
    const rf = Math.min(rt.config.offsetsTopicReplicationFactor, await liveBrokerCount(rt));
    await createTopic(rt, {
      name: OFFSETS_TOPIC,
      numPartitions: rt.config.offsetsTopicNumPartitions,
      replicationFactor: rf,
      config: {},
    });
  }
  return { error: r.error, nodeId: r.nodeId };
}

export const findCoordinator: Handler<10> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const keys = ctx.apiVersion >= 4 ? body.coordinatorKeys : [body.key];
  const found = [];
  for (const key of keys) {
    const f = await find(rt, key);
    const e = f.error === null ? rt.endpointOf(f.nodeId) : null;
    const error = f.error ?? (e === null ? "COORDINATOR_NOT_AVAILABLE" : null);
    found.push({
      key,
      nodeId: error === null ? f.nodeId : -1,
      host: error === null && e !== null ? e.host : "",
      port: error === null && e !== null ? e.port : -1,
      errorCode: code(error),
      errorMessage: null,
    });
  }
  // v4 with no keys gets an empty list (the top-level fields are not on the wire from v4).
  const first = found[0] ?? { errorCode: 0, nodeId: -1, host: "", port: -1 };
  return {
    throttleTimeMs: 0,
    errorCode: first.errorCode,
    errorMessage: null,
    nodeId: first.nodeId,
    host: first.host,
    port: first.port,
    coordinators: found,
  };
};
