/**
 * `kafkaspec cluster --brokers 3` as a child process, and the real clients against it: kcat (librdkafka),
 * kafka-python 2.0.2, kafkajs 2.2.4 and, where its jars are present, Apache Kafka's Java client. Each
 * produces and consumes, and every message must arrive exactly where expected: on the partition the
 * client's partitioner (or the produce acknowledgement) says, at its offset, in send order.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { murmur2Partition } from "../../model/partitioners.ts";
import {
  type ClusterProcess,
  EXTERNAL,
  freePortRange,
  inOffsetOrder,
  KAFKA_LIBS,
  kcat,
  named,
  PYTHON,
  placements,
  run,
  startCluster,
} from "./support.ts";

let cluster: ClusterProcess;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, port: await freePortRange(3) });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster?.dataDir) rmSync(cluster.dataDir, { recursive: true, force: true });
});

async function createTopic(topic: string, partitions: number, replicationFactor: number): Promise<void> {
  const kafka = new Kafka({
    clientId: "interop-admin",
    brokers: [cluster.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

describe("kcat (librdkafka)", () => {
  it("kcat -L lists three brokers, one of them the controller", async () => {
    const r = await kcat(["-b", cluster.bootstrap, "-L"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ 3 brokers:/);
    // kafkaspec cluster numbers its brokers 1..3 on consecutive ports from the bootstrap's.
    const port = Number(cluster.bootstrap.split(":")[1]);
    if (!EXTERNAL)
      for (const [i, id] of [1, 2, 3].entries())
        expect(r.stdout).toMatch(new RegExp(`broker ${id} at 127\\.0\\.0\\.1:${port + i}`));
    expect(r.stdout.match(/\(controller\)/g)).toHaveLength(1);
  });

  it("keyed messages land on murmur2(key) % 3, in send order, read back at offsets 0..n-1", async () => {
    const topic = named("interop-kcat");
    await createTopic(topic, 3, 3);
    const sent = Array.from({ length: 150 }, (_, i) => ({ key: `key-${i % 23}`, value: `v${i}` }));
    const p = await kcat(
      [
        "-b",
        cluster.bootstrap,
        "-P",
        "-t",
        topic,
        "-K:",
        "-X",
        "acks=all",
        "-X",
        "partitioner=murmur2_random",
      ],
      `${sent.map((m) => `${m.key}:${m.value}`).join("\n")}\n`,
    );
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat([
      "-b",
      cluster.bootstrap,
      "-C",
      "-t",
      topic,
      "-o",
      "beginning",
      "-e",
      "-f",
      "%p %o %k %s\\n",
    ]);
    expect(c.code, c.stderr).toBe(0);
    const got = c.stdout
      .trim()
      .split("\n")
      .map((l) => l.split(" "));
    expect(got).toHaveLength(sent.length);
    for (const partition of [0, 1, 2]) {
      // Kafka's murmur2 (the Java client's and librdkafka's murmur2_random) picks the partition.
      const expected = sent.filter((m) => murmur2Partition(m.key, 3) === partition);
      const read = got.filter(([p]) => Number(p) === partition);
      expect(read.map(([, o, k, v]) => [Number(o), k, v])).toEqual(
        expected.map((m, i) => [i, m.key, m.value]),
      );
    }
  });
});

describe("kafka-python 2.0.2", () => {
  it("keyed and explicit-partition sends are acknowledged where expected and consumed there in order", async () => {
    const topic = named("interop-python");
    await createTopic(topic, 3, 2);
    const script = `
import json, os
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
b = os.environ["KAFKA_BOOTSTRAP"]; t = os.environ["TOPIC"]
p = KafkaProducer(bootstrap_servers=b, acks="all")
for i in range(90):
    kw = {"key": f"key-{i % 17}".encode()} if i % 3 else {"partition": i % 2}
    m = p.send(t, f"v{i}".encode(), **kw).get(timeout=30)
    print(json.dumps({"event": "sent", "partition": m.partition, "offset": m.offset, "value": f"v{i}", "key": kw.get("key", b"").decode()}), flush=True)
p.close()
c = KafkaConsumer(bootstrap_servers=b, auto_offset_reset="earliest", consumer_timeout_ms=5000)
c.assign([TopicPartition(t, n) for n in range(3)])
n = 0
for m in c:
    print(json.dumps({"event": "received", "partition": m.partition, "offset": m.offset, "value": m.value.decode()}), flush=True)
    n += 1
    if n == 90: break
c.close()
`;
    const r = await run(
      PYTHON,
      ["-c", script],
      { KAFKA_BOOTSTRAP: cluster.bootstrap, TOPIC: topic },
      { timeoutMs: 90_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const sent = r.lines.filter((l) => l.event === "sent");
    const received = r.lines.filter((l) => l.event === "received");
    expect(sent).toHaveLength(90);
    for (const s of sent) {
      // kafka-python's default partitioner is Kafka's murmur2 for keys; unkeyed ones named their partition.
      const i = Number(String(s.value).slice(1));
      expect(s.partition).toBe(s.key ? murmur2Partition(String(s.key), 3) : i % 2);
    }
    expect(inOffsetOrder(sent)).toBe(true);
    expect(inOffsetOrder(received)).toBe(true);
    expect(placements(received)).toEqual(placements(sent));
    const byPlace = new Map(sent.map((s) => [`${s.partition}@${s.offset}`, s.value]));
    for (const m of received) expect(m.value).toBe(byPlace.get(`${m.partition}@${m.offset}`));
  }, 120_000);
});

describe("kafkajs 2.2.4", () => {
  it("keyed sends with acks=all land on murmur2(key) % 4; a consumer group reads each once, in order", async () => {
    const topic = named("interop-kafkajs");
    await createTopic(topic, 4, 3);
    const kafka = new Kafka({
      clientId: "interop-kafkajs",
      brokers: [cluster.bootstrap],
      logLevel: logLevel.NOTHING,
    });
    // Idempotent (as the Java client is by default): InitProducerId, sequence numbers per partition.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: { partition: number; offset: number; value: string; key: string }[] = [];
    for (let i = 0; i < 80; i += 8) {
      const messages = Array.from({ length: 8 }, (_, j) => ({
        key: `key-${(i + j) % 13}`,
        value: `v${i + j}`,
      }));
      const acks = await producer.send({ topic, acks: -1, messages });
      // A send's messages for one partition are one batch: they sit at that partition's base offset on.
      for (const meta of acks) {
        const mine = messages.filter((m) => murmur2Partition(m.key, 4) === meta.partition);
        mine.forEach((m, k) => {
          sent.push({
            partition: meta.partition,
            offset: Number(meta.baseOffset) + k,
            value: m.value,
            key: m.key,
          });
        });
      }
    }
    await producer.disconnect();
    expect(sent).toHaveLength(80);

    const consumer = kafka.consumer({
      groupId: named("interop-kafkajs-group"),
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const received: { partition: number; offset: number; value: string }[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.length} of 80 arrived`)), 45_000);
      void consumer.run({
        eachMessage: async ({ partition, message }) => {
          received.push({ partition, offset: Number(message.offset), value: String(message.value) });
          if (received.length >= sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    const asLines = (xs: typeof sent | typeof received) => xs.map((x) => ({ event: "", ...x }));
    expect(inOffsetOrder(asLines(received))).toBe(true);
    expect(received.map((r) => `${r.partition}@${r.offset}=${r.value}`).sort()).toEqual(
      sent.map((s) => `${s.partition}@${s.offset}=${s.value}`).sort(),
    );
  }, 90_000);
});

const haveJava = existsSync(join(KAFKA_LIBS, "kafka-clients-3.9.1.jar"));

describe("the Java client (kafka-clients 3.9.1)", () => {
  it.skipIf(!haveJava)(
    "console producer (idempotent by default) and console consumer in a group",
    async () => {
      const cp = `${KAFKA_LIBS}/*`;
      const topic = named("interop-java");
      await createTopic(topic, 1, 3);
      const values = Array.from({ length: 20 }, (_, i) => `j${i}`);
      const p = await run(
        "java",
        ["-cp", cp, "kafka.tools.ConsoleProducer", "--bootstrap-server", cluster.bootstrap, "--topic", topic],
        {},
        { input: `${values.join("\n")}\n`, timeoutMs: 60_000 },
      );
      expect(p.code, p.stderr).toBe(0);
      const c = await run(
        "java",
        [
          "-cp",
          cp,
          "org.apache.kafka.tools.consumer.ConsoleConsumer",
          "--bootstrap-server",
          cluster.bootstrap,
          "--topic",
          topic,
          "--from-beginning",
          "--group",
          named("interop-java-group"),
          "--max-messages",
          String(values.length),
          "--timeout-ms",
          "30000",
          "--property",
          "print.offset=true",
          "--property",
          "print.partition=true",
        ],
        {},
        { timeoutMs: 60_000 },
      );
      expect(c.code, c.stderr).toBe(0);
      expect(c.stdout.trim().split("\n")).toEqual(values.map((v, i) => `Partition:0\tOffset:${i}\t${v}`));
    },
    130_000,
  );
  if (!haveJava) it.skip(`Apache Kafka's jars are absent from ${KAFKA_LIBS} (set KAFKA_LIBS)`, () => {});
});
