/**
 * `kafkaspec produce`, in the spirit of kafka-console-producer.sh: one record per line of stdin (or one
 * record from --value), to the partition Kafka's default partitioner picks (murmur2 of the key, round
 * robin without one) or to --partition. One request per record, no retries: a record that fails is
 * reported on stderr and the exit status is 1.
 */
import { createInterface } from "node:readline";
import { KafkaClient } from "../../impl/client/client.ts";
import { choosePartition, newPartitionerState } from "../../model/partitioners.ts";
import type { Partitioner } from "../../spec/operations.ts";
import { type CliCommand, EXIT_FAILED, EXIT_OK, parseInteger, parseStrict, UsageError } from "../command.ts";
import type { Io } from "../io.ts";
import { bootstrapServers } from "./topics.ts";

const USAGE = [
  "kafkaspec produce --bootstrap-server HOST:PORT --topic T [--key K] [--acks all|1|0] [--partition P] [--value V]",
  "  records are the lines of stdin, or the one --value; --key applies to every record",
];

/** Where the lines come from: stdin in production, a list in tests. */
export type LineSource = () => AsyncIterable<string>;

const stdinLines: LineSource = () =>
  createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });

export function produceCommand(lines: LineSource = stdinLines): CliCommand {
  return {
    name: "produce",
    summary: "write records from stdin to a topic (like kafka-console-producer.sh)",
    usage: USAGE,
    run: (argv, io) => runProduce(argv, io, lines),
  };
}

function parseAcks(text: string | undefined): 0 | 1 | -1 {
  if (text === undefined || text === "all" || text === "-1") return -1;
  if (text === "1") return 1;
  if (text === "0") return 0;
  throw new UsageError(`--acks must be all, 1 or 0, got "${text}"`);
}

async function runProduce(argv: string[], io: Io, lines: LineSource): Promise<number> {
  const { values: v } = parseStrict(argv, {
    "bootstrap-server": { type: "string" },
    topic: { type: "string" },
    key: { type: "string" },
    acks: { type: "string" },
    partition: { type: "string" },
    value: { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (v.help) {
    io.out(USAGE.join("\n"));
    return EXIT_OK;
  }
  const bootstrap = bootstrapServers(v["bootstrap-server"]);
  if (v.topic === undefined) throw new UsageError("--topic is required");
  const topic = v.topic;
  const acks = parseAcks(v.acks);
  const explicit =
    v.partition === undefined ? undefined : parseInteger("partition", v.partition, 0, 0, 100_000);
  const key = v.key ?? null;
  const partitioner: Partitioner =
    explicit !== undefined
      ? { kind: "explicit", partition: explicit }
      : key !== null
        ? { kind: "murmur2" }
        : { kind: "roundRobin" };
  const client = new KafkaClient({ bootstrap, clientId: "kafkaspec-console-producer" });
  const state = newPartitionerState();
  let failures = 0;
  const send = async (value: string) => {
    const md = await client.metadata([topic]);
    if (!md.ok) return fail(value, md.error, md.message);
    const t = md.value.topics.find((x) => x.name === topic);
    if (t === undefined || t.partitions.length === 0)
      return fail(value, t?.error ?? "UNKNOWN_TOPIC_OR_PARTITION");
    const available = t.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
    const { partition } = choosePartition(
      state,
      "console",
      topic,
      partitioner,
      key,
      t.partitions.length,
      available,
      (n) => Math.floor(Math.random() * n),
    );
    const r = await client.produce({
      topic,
      partition,
      acks,
      records: [{ key: key === null ? null : Buffer.from(key, "utf8"), value: Buffer.from(value, "utf8") }],
    });
    if (!r.ok) return fail(value, r.error, r.message);
  };
  const fail = (value: string, error: string, message?: string) => {
    failures++;
    io.err(`error writing "${value}" to ${topic}: ${error}${message ? ` (${message})` : ""}`);
  };
  try {
    if (v.value !== undefined) await send(v.value);
    else for await (const line of lines()) if (line.length > 0) await send(line);
  } finally {
    client.close();
  }
  return failures === 0 ? EXIT_OK : EXIT_FAILED;
}
