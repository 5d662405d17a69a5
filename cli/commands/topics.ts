/**
 * `kafkaspec topics`, in the spirit of Kafka's kafka-topics.sh, over the thin client:
 *   --create --topic T [--partitions N] [--replication-factor R] [--config k=v]...
 *   --delete --topic T
 *   --list
 *   --describe [--topic T]
 */
import { KafkaClient } from "../../impl/client/client.ts";
import { type CliCommand, EXIT_FAILED, EXIT_OK, parseInteger, parseStrict, UsageError } from "../command.ts";
import type { Io } from "../io.ts";

const USAGE = [
  "kafkaspec topics --bootstrap-server HOST:PORT (--create --topic T [--partitions N] [--replication-factor R] [--config k=v]... | --delete --topic T | --list | --describe [--topic T])",
  "  --create              create topic T (default 1 partition, replication factor 1)",
  "  --delete              delete topic T (its logs on every replica; waits for the deletion)",
  "  --list                list topic names",
  "  --describe            show partitions, leaders, replicas and ISR (of T, or of every topic)",
];

/** Checks --bootstrap-server and returns its addresses (comma-separated HOST:PORT). */
export function bootstrapServers(value: string | undefined): string[] {
  if (value === undefined) throw new UsageError("--bootstrap-server HOST:PORT is required");
  const list = value.split(",").map((s) => s.trim());
  for (const a of list)
    if (!/^[^\s:]+:\d{1,5}$/.test(a))
      throw new UsageError(`--bootstrap-server must be HOST:PORT, got "${a}"`);
  return list;
}

export const topicsCommand: CliCommand = {
  name: "topics",
  summary: "create, delete, list and describe topics (like kafka-topics.sh)",
  usage: USAGE,
  run: runTopics,
};

async function runTopics(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseStrict(argv, {
    "bootstrap-server": { type: "string" },
    create: { type: "boolean" },
    delete: { type: "boolean" },
    list: { type: "boolean" },
    describe: { type: "boolean" },
    topic: { type: "string" },
    partitions: { type: "string" },
    "replication-factor": { type: "string" },
    config: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    io.out(USAGE.join("\n"));
    return EXIT_OK;
  }
  const actions = [v.create, v.delete, v.list, v.describe].filter(Boolean).length;
  if (actions !== 1) throw new UsageError("give exactly one of --create, --delete, --list, --describe");
  const bootstrap = bootstrapServers(v["bootstrap-server"]);
  if (v.create && v.topic === undefined) throw new UsageError("--create needs --topic");
  if (v.delete && v.topic === undefined) throw new UsageError("--delete needs --topic");
  const partitions = parseInteger("partitions", v.partitions, 1, 1, 100_000);
  const replicationFactor = parseInteger("replication-factor", v["replication-factor"], 1, 1, 32_767);
  const configs: Record<string, string> = {};
  for (const kv of v.config ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`--config must be key=value, got "${kv}"`);
    configs[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const client = new KafkaClient({ bootstrap, clientId: "kafkaspec-topics" });
  try {
    if (v.create) {
      const topic = v.topic as string;
      const r = await client.createTopic({ name: topic, partitions, replicationFactor, configs });
      if (!r.ok) {
        io.err(`Error while executing topic command : ${r.error}${r.message ? `: ${r.message}` : ""}`);
        return EXIT_FAILED;
      }
      io.out(`Created topic ${topic}.`);
      return EXIT_OK;
    }
    if (v.delete) {
      const topic = v.topic as string;
      const r = await client.deleteTopic(topic);
      if (!r.ok) {
        io.err(`Error while executing topic command : ${r.error}${r.message ? `: ${r.message}` : ""}`);
        return EXIT_FAILED;
      }
      io.out(`Deleted topic ${topic}.`);
      return EXIT_OK;
    }
    const md = await client.metadata(v.describe && v.topic !== undefined ? [v.topic] : null);
    if (!md.ok) {
      io.err(`Error while executing topic command : ${md.error}${md.message ? `: ${md.message}` : ""}`);
      return EXIT_FAILED;
    }
    const topics = [...md.value.topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (v.list) {
      for (const t of topics) io.out(t.name);
      return EXIT_OK;
    }
    let code = EXIT_OK;
    for (const t of topics) {
      if (t.error !== null && t.partitions.length === 0) {
        io.err(`Error while executing topic command : topic '${t.name}': ${t.error}`);
        code = EXIT_FAILED;
        continue;
      }
      const rf = t.partitions[0]?.replicas.length ?? 0;
      io.out(`Topic: ${t.name}\tPartitionCount: ${t.partitions.length}\tReplicationFactor: ${rf}`);
      for (const p of t.partitions)
        io.out(
          `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader < 0 ? "none" : p.leader}\tReplicas: ${p.replicas.join(",")}\tIsr: ${p.isr.join(",")}`,
        );
    }
    return code;
  } finally {
    client.close();
  }
}
