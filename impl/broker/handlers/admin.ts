/**
 * Topic administration shared by Metadata (auto-create), FindCoordinator (the offsets topic),
 * CreateTopics and CreatePartitions: done by the active controller, so a broker that is not the
 * controller forwards the request to it over the inter-broker connection, as Kafka's brokers forward
 * to the controller. The active controller's broker checks max.partitions here (partition-budget.ts).
 */
import type { KafkaErrorName } from "../../../spec/errors.ts";
import type { TopicConfig } from "../../../spec/operations.ts";
import { validPartitionCount } from "../../controller/controller.ts";
import type { MetadataResponse } from "../../node/requests.ts";
import { partitionCount, withinPartitionBudget } from "../partition-budget.ts";
import { nameOf } from "../peer/links.ts";
import type { BrokerRuntime } from "../runtime.ts";

export interface NewTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  config: Partial<TopicConfig>;
}

export function topicConfigFrom(
  entries: ReadonlyArray<{ name: string; value: string | null }>,
): Partial<TopicConfig> {
  const out: Partial<TopicConfig> = {};
  for (const e of entries) {
    if (e.value === null) continue;
    if (e.name === "min.insync.replicas") out.minInsyncReplicas = Number(e.value);
    if (e.name === "unclean.leader.election.enable") out.uncleanLeaderElection = e.value === "true";
  }
  return out;
}

export async function createTopic(rt: BrokerRuntime, t: NewTopic): Promise<KafkaErrorName | null> {
  if (rt.node.controller.isActive) {
    const added = () => (partitionCount(rt, t.name) > 0 ? 0 : t.numPartitions);
    return withinPartitionBudget(rt, added, async () => {
      const r = await rt.call({ api: "createTopics", ...t });
      return r.api === "createTopics" || r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR";
    });
  }
  const controller = rt.node.metadataView().controllerId;
  if (controller === null || controller < 0) return "NOT_CONTROLLER";
  try {
    const configs: Array<{ name: string; value: string }> = [];
    if (t.config.minInsyncReplicas !== undefined)
      configs.push({ name: "min.insync.replicas", value: String(t.config.minInsyncReplicas) });
    if (t.config.uncleanLeaderElection !== undefined)
      configs.push({ name: "unclean.leader.election.enable", value: String(t.config.uncleanLeaderElection) });
    const res = await rt.peers.admin(controller).request(19, 3, {
      topics: [
        {
          name: t.name,
          numPartitions: t.numPartitions,
          replicationFactor: t.replicationFactor,
          assignments: [],
          configs,
        },
      ],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    return nameOf(res.topics[0]?.errorCode ?? -1);
  } catch (e) {
    rt.log(
      `[broker ${rt.brokerId}] forwarding CreateTopics to controller ${controller} failed: ${(e as Error).message}`,
    );
    return "NOT_CONTROLLER";
  }
}

export async function createPartitions(
  rt: BrokerRuntime,
  name: string,
  count: number,
): Promise<KafkaErrorName | null> {
  if (rt.node.controller.isActive) {
    const added = () => (validPartitionCount(count) ? Math.max(0, count - partitionCount(rt, name)) : 0);
    return withinPartitionBudget(rt, added, async () => {
      const r = await rt.call({ api: "createPartitions", name, count });
      return r.api === "createPartitions" || r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR";
    });
  }
  const controller = rt.node.metadataView().controllerId;
  if (controller === null || controller < 0) return "NOT_CONTROLLER";
  try {
    const res = await rt.peers.admin(controller).request(37, 1, {
      topics: [{ name, count, assignments: null }],
      timeoutMs: 30_000,
      validateOnly: false,
    });
    return nameOf(res.results[0]?.errorCode ?? -1);
  } catch {
    return "NOT_CONTROLLER";
  }
}

export async function metadata(rt: BrokerRuntime, topics: string[] | null): Promise<MetadataResponse | null> {
  const r = await rt.call({ api: "metadata", topics });
  return r.api === "metadata" ? r : null;
}

/** Waits (bounded) until every partition of `topics` has a leader in this broker's metadata. */
export async function waitForLeaders(rt: BrokerRuntime, topics: string[], ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const md = await metadata(rt, topics);
    if (
      md?.topics.every(
        (t) => t.error === null && t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0),
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The number of live brokers this broker knows of. */
export async function liveBrokerCount(rt: BrokerRuntime): Promise<number> {
  const md = await metadata(rt, []);
  return Math.max(1, md?.brokers.length ?? 1);
}
