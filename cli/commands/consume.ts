/**
 * `kafkaspec consume`, in the spirit of kafka-console-consumer.sh: a real group member (join, sync with
 * the range assignor, fetch, heartbeat, commit, leave) that prints each record's value, one per line.
 * Without --group it joins a group of its own, `console-consumer-NNNNN`, as Kafka's script does.
 */
import { KafkaClient } from "../../impl/client/client.ts";
import { GroupConsumer } from "../../impl/client/group-consumer.ts";
import { type CliCommand, EXIT_OK, parseInteger, parseStrict, UsageError } from "../command.ts";
import type { Io } from "../io.ts";
import { bootstrapServers } from "./topics.ts";

const USAGE = [
  "kafkaspec consume --bootstrap-server HOST:PORT --topic T [--group G] [--from-beginning] [--max-messages N] [--timeout-ms MS] [--print-key]",
  "  --from-beginning  start partitions the group has no offset for at the earliest offset (else the latest)",
  "  --max-messages    exit after this many records",
  "  --timeout-ms      exit when no record has come for this long (default: run until interrupted)",
];

export const consumeCommand: CliCommand = {
  name: "consume",
  summary: "read records of a topic as a group member (like kafka-console-consumer.sh)",
  usage: USAGE,
  run: runConsume,
};

async function runConsume(argv: string[], io: Io): Promise<number> {
  const { values: v } = parseStrict(argv, {
    "bootstrap-server": { type: "string" },
    topic: { type: "string" },
    group: { type: "string" },
    "from-beginning": { type: "boolean" },
    "max-messages": { type: "string" },
    "timeout-ms": { type: "string" },
    "print-key": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    io.out(USAGE.join("\n"));
    return EXIT_OK;
  }
  const bootstrap = bootstrapServers(v["bootstrap-server"]);
  if (v.topic === undefined) throw new UsageError("--topic is required");
  const maxMessages = parseInteger("max-messages", v["max-messages"], Number.MAX_SAFE_INTEGER, 1);
  const timeoutMs = parseInteger("timeout-ms", v["timeout-ms"], 0, 1);
  const groupId = v.group ?? `console-consumer-${Math.floor(Math.random() * 100_000)}`;
  const client = new KafkaClient({ bootstrap, clientId: "kafkaspec-console-consumer" });
  const consumer = new GroupConsumer(client, {
    groupId,
    topics: [v.topic],
    fromBeginning: v["from-beginning"] ?? false,
  });
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let count = 0;
  let lastRecordAt = Date.now();
  let joined = false;
  let lastError = "";
  try {
    while (!stop && count < maxMessages) {
      if (timeoutMs > 0 && Date.now() - lastRecordAt >= timeoutMs) break;
      const r = await consumer.poll(
        timeoutMs > 0 ? Math.min(500, timeoutMs) : 500,
        Math.min(500, maxMessages - count),
      );
      if (!r.ok) {
        // A consumer retries what a cluster in motion answers (no coordinator yet, a rebalance): say so once.
        const e = `${r.error}${r.message ? `: ${r.message}` : ""}`;
        if (e !== lastError) io.err(`[kafkaspec consume] ${e}; retrying`);
        lastError = e;
        await new Promise((res) => setTimeout(res, 200));
        continue;
      }
      for (const rec of r.value) {
        if (count >= maxMessages) break;
        const value = rec.value === null ? "null" : rec.value.toString("utf8");
        io.out(v["print-key"] ? `${rec.key === null ? "null" : rec.key.toString("utf8")}\t${value}` : value);
        count++;
        lastRecordAt = Date.now();
      }
      if (r.value.length > 0) await consumer.commit();
      // The quiet time counts from joining, not from starting: a rebalance may take seconds.
      if (!joined && consumer.isJoined) lastRecordAt = Date.now();
      joined = consumer.isJoined;
    }
    await consumer.close();
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    client.close();
  }
  io.err(`Processed a total of ${count} messages`);
  // Like Kafka's script: running out of time is the normal end, not a failure.
  return EXIT_OK;
}
