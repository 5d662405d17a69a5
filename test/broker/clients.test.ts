/**
 * The TCP broker against real clients: a three-broker cluster in this process (startCluster: real
 * sockets, real disk in a temp dir, replication over TCP), and kcat, kafka-python (the tutorial's
 * scripts) and kafkajs as separate processes or in-process clients.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { freePortRange, kcat, type Line, python, run } from "../interop/support.ts";

let cluster: RunningCluster;
let bootstrap: string;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-broker-test-"));
  const port = await freePortRange(3);
  cluster = await startCluster({
    brokers: 3,
    port,
    dataDir,
    properties: { "group.initial.rebalance.delay.ms": "0", "offsets.topic.num.partitions": "3" },
    log: () => {},
  });
  bootstrap = cluster.bootstrap;
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("kcat (librdkafka)", () => {
  it("lists three brokers and a controller", async () => {
    const r = await kcat(["-b", bootstrap, "-L"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ 3 brokers:/);
    for (const id of [1, 2, 3]) expect(r.stdout).toMatch(new RegExp(`broker ${id} at 127\\.0\\.0\\.1:\\d+`));
    expect(r.stdout).toMatch(/\(controller\)/);
  });

  it("produces with acks=all to an auto-created topic and consumes every message back in order", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => `k${i % 7}:v${i}`);
    const p = await kcat(
      ["-b", bootstrap, "-P", "-t", "kcat-topic", "-K:", "-X", "acks=all"],
      `${lines.join("\n")}\n`,
    );
    expect(p.code, p.stderr).toBe(0);
    const c = await kcat([
      "-b",
      bootstrap,
      "-C",
      "-t",
      "kcat-topic",
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
    expect(got).toHaveLength(200);
    // One partition (num.partitions=1): offsets 0..199 in send order, keys kept.
    got.forEach(([partition, offset, key, value], i) => {
      expect([partition, Number(offset), key, value]).toEqual(["0", i, `k${i % 7}`, `v${i}`]);
    });
  });
});

describe("kafka-python 2.0.2: the tutorial's scripts", () => {
  it("creates a topic, produces Faker users to both partitions and reads them all in a group", async () => {
    const env = { KAFKA_BOOTSTRAP: bootstrap, TOPIC: "registered_user", COUNT: "20" };
    const created = await python("create_topic.py", { ...env, PARTITIONS: "2", REPLICATION: "3" });
    expect(created.code, created.stderr).toBe(0);
    const sent = await python("producer.py", env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.lines).toHaveLength(20);
    expect(new Set(sent.lines.map((l) => l.partition))).toEqual(new Set([0, 1]));
    const read = await python("consumer.py", { ...env, GROUP_ID: "tutorial", IDLE_MS: "8000" });
    expect(read.code, read.stderr).toBe(0);
    const where = (l: Line) => `${String(l.partition)}@${String(l.offset)}`;
    expect(read.lines.map(where).sort()).toEqual(sent.lines.map(where).sort());
    // Per partition, offsets arrive in order.
    for (const p of [0, 1]) {
      const offs = read.lines.filter((l) => l.partition === p).map((l) => Number(l.offset));
      expect(offs).toEqual([...offs].sort((a, b) => a - b));
    }
    // The group committed: a second consumer in the group has nothing left to read.
    const again = await python("consumer.py", { ...env, GROUP_ID: "tutorial", IDLE_MS: "2000" });
    expect(again.code, again.stderr).toBe(0);
    expect(again.lines).toHaveLength(0);
  });

  it("sends every message to partition 0 when the tutorial asks for it", async () => {
    const env = { KAFKA_BOOTSTRAP: bootstrap, TOPIC: "partition0", COUNT: "5" };
    expect((await python("create_topic.py", { ...env, PARTITIONS: "2" })).code).toBe(0);
    const sent = await python("producer_partition0.py", env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.lines.map((l) => [l.partition, l.offset])).toEqual([0, 1, 2, 3, 4].map((o) => [0, o]));
  });
});

describe("kafkajs 2.2.4", () => {
  it("an idempotent producer and a consumer group see every message once", async () => {
    const kafka = new Kafka({ clientId: "broker-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: "kjs", numPartitions: 3, replicationFactor: 2 }],
      waitForLeaders: true,
    });
    const configs = await admin.describeConfigs({
      resources: [{ type: 2, name: "kjs" }],
      includeSynonyms: false,
    });
    expect(configs.resources[0].configEntries.length).toBeGreaterThan(5);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const values = Array.from({ length: 60 }, (_, i) => `m${i}`);
    for (let i = 0; i < values.length; i += 10) {
      await producer.send({
        topic: "kjs",
        acks: -1,
        messages: values.slice(i, i + 10).map((v) => ({ key: v, value: v })),
      });
    }
    await producer.disconnect();

    const consumer = kafka.consumer({
      groupId: "kjs-group",
      sessionTimeout: 10_000,
      heartbeatInterval: 500,
      maxWaitTimeInMs: 200,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: "kjs", fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${seen.length} of 60 messages arrived`)), 30_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(String(message.value));
          if (seen.length >= values.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
    await consumer.disconnect();
    expect([...seen].sort()).toEqual([...values].sort());
  });
});

/** Apache Kafka's own client jars (tools/apache-kafka fetches them); the Java test runs where they are. */
const KAFKA_LIBS = process.env.KAFKA_LIBS ?? join(homedir(), ".cache/kafkaspec/apache-kafka-libs");
const haveJava =
  existsSync(join(KAFKA_LIBS, "kafka-tools-3.9.1.jar")) || existsSync(join(KAFKA_LIBS, ".complete"));

describe("the Java client (kafka-clients 3.9)", () => {
  it.skipIf(!haveJava)(
    "console producer (idempotent by default) and console consumer in a group",
    async () => {
      const cp = `${KAFKA_LIBS}/*`;
      const p = await run(
        "java",
        ["-cp", cp, "kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap, "--topic", "java"],
        {},
        {
          input: "j1\nj2\nj3\n",
          timeoutMs: 60_000,
        },
      );
      expect(p.code, p.stderr).toBe(0);
      const c = await run(
        "java",
        [
          "-cp",
          cp,
          "org.apache.kafka.tools.consumer.ConsoleConsumer",
          "--bootstrap-server",
          bootstrap,
          "--topic",
          "java",
          "--from-beginning",
          "--group",
          "java-group",
          "--max-messages",
          "3",
          "--timeout-ms",
          "30000",
        ],
        {},
        { timeoutMs: 60_000 },
      );
      expect(c.stdout.trim().split("\n")).toEqual(["j1", "j2", "j3"]);
    },
  );
});
