/**
 * DescribeConfigs (key 32). Topics (resource type 2): every topic-level log setting with its value,
 * from the topic's overrides over the broker's properties over Kafka's defaults, plus
 * min.insync.replicas, unclean.leader.election.enable and cleanup.policy. Brokers (type 4): every
 * property the broker was given plus the settings it acts on. configurationKeys filters; never empty.
 */
import { logConfigEntries, parseLogConfig } from "../../storage/config.ts";
import type { BrokerRuntime } from "../runtime.ts";
import { code, type Handler } from "./types.ts";

const TOPIC = 2;
const BROKER = 4;
/** ConfigSource: 1 dynamic topic, 4 static broker (server.properties), 5 default. */
const SOURCE_TOPIC = 1;
const SOURCE_STATIC_BROKER = 4;
const SOURCE_DEFAULT = 5;

interface Entry {
  name: string;
  value: string;
  source: number;
}

async function topicEntries(rt: BrokerRuntime, topic: string): Promise<Entry[]> {
  await rt.topicConfig(topic);
  const overrides = rt.topicOverrides(topic);
  const broker = parseLogConfig(rt.config.raw);
  const config = parseLogConfig(overrides, broker);
  const defaults = parseLogConfig(new Map());
  const out: Entry[] = logConfigEntries(config).map(([name, value]) => ({
    name,
    value,
    source: overrides.has(name)
      ? SOURCE_TOPIC
      : value !== logConfigEntries(defaults).find(([n]) => n === name)?.[1]
        ? SOURCE_STATIC_BROKER
        : SOURCE_DEFAULT,
  }));
  const extra: Array<[string, string, string]> = [
    ["min.insync.replicas", String(rt.config.minInsyncReplicas), "min.insync.replicas"],
    [
      "unclean.leader.election.enable",
      String(rt.config.uncleanLeaderElectionEnable),
      "unclean.leader.election.enable",
    ],
    ["cleanup.policy", "delete", "log.cleanup.policy"],
  ];
  for (const [name, fallback] of extra) {
    out.push({
      name,
      value: overrides.get(name) ?? fallback,
      source: overrides.has(name) ? SOURCE_TOPIC : SOURCE_DEFAULT,
    });
  }
  return out;
}

function brokerEntries(rt: BrokerRuntime): Entry[] {
  const c = rt.config;
  const acted: Array<[string, string]> = [
    ["broker.id", String(c.brokerId)],
    ["num.partitions", String(c.numPartitions)],
    ["default.replication.factor", String(c.defaultReplicationFactor)],
    ["min.insync.replicas", String(c.minInsyncReplicas)],
    ["auto.create.topics.enable", String(c.autoCreateTopicsEnable)],
    ["message.max.bytes", String(c.messageMaxBytes)],
    ["socket.request.max.bytes", String(c.socketRequestMaxBytes)],
    ["log.dirs", c.logDirs.join(",")],
    ["offsets.topic.num.partitions", String(c.offsetsTopicNumPartitions)],
    ["zookeeper.connect", c.zookeeperConnect ?? ""],
  ];
  const out = new Map<string, Entry>();
  for (const [name, value] of acted)
    out.set(name, { name, value, source: c.raw.has(name) ? SOURCE_STATIC_BROKER : SOURCE_DEFAULT });
  for (const [name, value] of c.raw) out.set(name, { name, value, source: SOURCE_STATIC_BROKER });
  return [...out.values()];
}

export const describeConfigs: Handler<32> = async (ctx, body) => {
  const rt = ctx.runtime;
  const results = [];
  for (const r of body.resources) {
    let entries: Entry[] = [];
    let error: Parameters<typeof code>[0] = null;
    if (r.resourceType === TOPIC) {
      const md = await rt.call({ api: "metadata", topics: [r.resourceName] });
      const known =
        md.api === "metadata" && md.topics.some((t) => t.name === r.resourceName && t.error === null);
      if (known) entries = await topicEntries(rt, r.resourceName);
      else error = "UNKNOWN_TOPIC_OR_PARTITION";
    } else if (r.resourceType === BROKER) {
      if (r.resourceName !== "" && r.resourceName !== String(rt.brokerId)) error = "INVALID_REQUEST";
      else entries = brokerEntries(rt);
    } else error = "INVALID_REQUEST";
    const keys = r.configurationKeys;
    if (keys !== null && keys.length > 0) entries = entries.filter((e) => keys.includes(e.name));
    results.push({
      errorCode: code(error),
      errorMessage: error,
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      configs: entries.map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: r.resourceType === BROKER,
        isDefault: e.source === SOURCE_DEFAULT,
        configSource: e.source,
        isSensitive: false,
        synonyms: [],
        configType: 0,
        documentation: null,
      })),
    });
  }
  return { throttleTimeMs: 0, results };
};
