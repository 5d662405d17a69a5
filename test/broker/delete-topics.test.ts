/**
 * DeleteTopics end to end over real TCP: three brokers on a real ZooKeeper (each with its own session,
 * as separate processes would have), kafkajs's admin.deleteTopics, and kcat and kafka-python listing the
 * topics afterwards. A deletion made while a replica's broker is down finishes when that broker comes
 * back. The embedded metadata store (`kafkaspec cluster`) behaves the same, and `kafkaspec topics
 * --delete` works against it; the error answers are checked per protocol version with raw requests.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningBroker, startBroker } from "../../impl/broker/broker.ts";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { brokerConfigFrom } from "../../impl/broker/config.ts";
import { KafkaConnection } from "../../impl/broker/peer/connection.ts";
import { ZkPaths } from "../../impl/metadata/layout.ts";
import type { MetadataStore } from "../../impl/metadata/store.ts";
import { ZooKeeperStore } from "../../impl/metadata/zookeeper.ts";
import { encodeBatch } from "../../impl/records/batch.ts";
import { freePortRange, kcat, PYTHON, ROOT, run } from "../interop/support.ts";
import { type ZooKeeperServer, zookeeperForTests } from "../support/zookeeper.ts";

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function kafkaOf(brokers: string[]): Kafka {
  return new Kafka({
    clientId: "delete-topics-test",
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 8, initialRetryTime: 100 },
  });
}

/** Partition directories of `topic` under a broker's log dir. */
function logDirsOf(dir: string, topic: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => n.startsWith(`${topic}-`) && /-\d+$/.test(n));
}

async function kcatTopics(bootstrap: string): Promise<string[]> {
  const r = await kcat(["-b", bootstrap, "-L", "-J"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { topics: Array<{ topic: string }> }).topics.map((t) => t.topic).sort();
}

async function pythonTopics(bootstrap: string): Promise<string[]> {
  const script = [
    "import json, sys",
    "from kafka import KafkaConsumer",
    "c = KafkaConsumer(bootstrap_servers=sys.argv[1], request_timeout_ms=20000)",
    "print(json.dumps({'event': 'topics', 'topics': sorted(c.topics())}))",
    "c.close()",
  ].join("\n");
  const r = await run(PYTHON, ["-c", script, bootstrap], {}, { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.lines[0].topics as string[];
}

async function produceAndRead(kafka: Kafka, topic: string, values: string[]) {
  const producer = kafka.producer();
  await producer.connect();
  try {
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: values.map((value) => ({ value, partition: 0 })),
    });
    return sent[0];
  } finally {
    await producer.disconnect();
  }
}

describe("DeleteTopics on ZooKeeper", () => {
  let zk: ZooKeeperServer;
  let dataDir: string;
  let base: number;
  let chroot: string;
  const brokers = new Map<number, RunningBroker>();
  const stores = new Map<number, MetadataStore>();
  let observer: ZooKeeperStore;

  const logDir = (id: number) => join(dataDir, `broker-${id}`);
  const address = (id: number) => `127.0.0.1:${base + id - 1}`;

  async function start(id: number): Promise<RunningBroker> {
    const props = new Map([
      ["broker.id", String(id)],
      ["listeners", `PLAINTEXT://127.0.0.1:${base + id - 1}`],
      ["log.dirs", logDir(id)],
      ["zookeeper.connect", `${zk.connectString}${chroot}`],
      ["zookeeper.session.timeout.ms", "4000"],
      ["offsets.topic.num.partitions", "1"],
      ["offsets.topic.replication.factor", "3"],
      ["group.initial.rebalance.delay.ms", "0"],
    ]);
    const store = new ZooKeeperStore(`${zk.connectString}${chroot}`);
    stores.set(id, store);
    const b = await startBroker(brokerConfigFrom(props), store, { log: () => {} });
    brokers.set(id, b);
    await b.runtime.ready(30_000);
    return b;
  }

  async function stop(id: number): Promise<void> {
    await brokers.get(id)?.stop();
    brokers.delete(id);
    await stores.get(id)?.close();
    stores.delete(id);
  }

  async function znodeExists(path: string): Promise<boolean> {
    const s = await observer.connect({ sessionTimeoutMs: 6_000 });
    try {
      return (await s.exists(path)) !== null;
    } finally {
      await s.close();
    }
  }

  beforeAll(async () => {
    zk = await zookeeperForTests();
    dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-delete-topics-"));
    base = await freePortRange(3);
    chroot = `/delete-topics-${process.pid}-${Date.now()}`;
    observer = new ZooKeeperStore(`${zk.connectString}${chroot}`);
    for (const id of [1, 2, 3]) await start(id);
    await until("three live brokers", async () => (await kcatTopics(address(1))) && true);
  }, 90_000);

  afterAll(async () => {
    for (const id of [...brokers.keys()]) await stop(id);
    await observer?.close();
    await zk?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("kafkajs deletes a topic: gone from kcat's and kafka-python's listings, from every log dir and from ZooKeeper; the name starts again at offset 0", async () => {
    const kafka = kafkaOf([1, 2, 3].map(address));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: "doomed", numPartitions: 3, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      const first = await produceAndRead(kafka, "doomed", ["a", "b", "c"]);
      expect(first.baseOffset).toBe("0");
      await until("replicas on every broker", async () =>
        [1, 2, 3].every((id) => logDirsOf(logDir(id), "doomed").length === 3),
      );

      await admin.deleteTopics({ topics: ["doomed"], timeout: 15_000 });

      expect(await admin.listTopics()).not.toContain("doomed");
      expect(await kcatTopics(address(2))).not.toContain("doomed");
      expect(await pythonTopics(address(3))).not.toContain("doomed");
      for (const id of [1, 2, 3]) expect(logDirsOf(logDir(id), "doomed")).toEqual([]);
      expect(await znodeExists(ZkPaths.topic("doomed"))).toBe(false);
      expect(await znodeExists(ZkPaths.configTopic("doomed"))).toBe(false);
      expect(await znodeExists(ZkPaths.deleteTopic("doomed"))).toBe(false);

      // Produce to the deleted topic from a client that still has it cached: UNKNOWN_TOPIC_OR_PARTITION.
      let raw = new KafkaConnection(() => ({ host: "127.0.0.1", port: base }), "delete-test");
      try {
        for (const id of [1, 2, 3]) {
          raw.close();
          raw = new KafkaConnection(() => ({ host: "127.0.0.1", port: base + id - 1 }), "delete-test");
          const p = await raw.request(0, 7, {
            acks: 1,
            timeoutMs: 2_000,
            topicData: [
              {
                name: "doomed",
                partitionData: [
                  { index: 0, records: encodeBatch([{ value: Buffer.from("late"), timestamp: Date.now() }]) },
                ],
              },
            ],
          });
          expect(p.responses[0].partitionResponses[0].errorCode).toBe(3);
          const f = await raw.request(1, 4, {
            replicaId: -1,
            maxWaitMs: 0,
            minBytes: 0,
            maxBytes: 1 << 20,
            isolationLevel: 0,
            topics: [
              {
                topic: "doomed",
                partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
              },
            ],
          });
          expect(f.responses[0].partitions[0].errorCode).toBe(3);
        }
      } finally {
        raw.close();
      }

      await admin.createTopics({
        topics: [{ topic: "doomed", numPartitions: 1, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      const again = await produceAndRead(kafka, "doomed", ["fresh"]);
      expect(again.baseOffset).toBe("0");
    } finally {
      await admin.disconnect();
    }
  }, 120_000);

  it("a deletion made while a replica's broker is down finishes when that broker comes back", async () => {
    const kafka = kafkaOf([1, 2].map(address));
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: "held", numPartitions: 2, replicationFactor: 3 }],
        waitForLeaders: true,
      });
      await produceAndRead(kafka, "held", ["x", "y"]);
      await until("replicas on broker 3", async () => logDirsOf(logDir(3), "held").length === 2);
      await stop(3);
      await until("broker 3 gone from the metadata", async () => {
        const md = await kcat(["-b", address(1), "-L", "-J"]);
        return !(JSON.parse(md.stdout) as { brokers: Array<{ id: number }> }).brokers.some((b) => b.id === 3);
      });

      // As in Kafka, the answer is NONE once the topic left the metadata, though broker 3's replicas wait.
      await admin.deleteTopics({ topics: ["held"], timeout: 10_000 });
      expect(await kcatTopics(address(1))).not.toContain("held");
      expect(await znodeExists(ZkPaths.topic("held"))).toBe(true);
      expect(await znodeExists(ZkPaths.deleteTopic("held"))).toBe(true);
      expect(logDirsOf(logDir(1), "held")).toEqual([]);
      expect(logDirsOf(logDir(2), "held")).toEqual([]);
      expect(logDirsOf(logDir(3), "held")).toHaveLength(2);
      // The name stays taken until the deletion is done, as in Kafka ("marked for deletion"): kafkajs
      // answers false for TOPIC_ALREADY_EXISTS.
      expect(
        await admin.createTopics({ topics: [{ topic: "held", numPartitions: 1, replicationFactor: 2 }] }),
      ).toBe(false);

      await start(3);
      await until("broker 3's replicas deleted", async () => logDirsOf(logDir(3), "held").length === 0);
      await until("the topic's znodes gone", async () => !(await znodeExists(ZkPaths.topic("held"))));
      expect(await znodeExists(ZkPaths.deleteTopic("held"))).toBe(false);
      expect(await pythonTopics(address(3))).not.toContain("held");
    } finally {
      await admin.disconnect();
    }
  }, 120_000);
});

describe("DeleteTopics on the embedded metadata store (kafkaspec cluster)", () => {
  let cluster: RunningCluster;
  let disabled: RunningCluster;
  let dataDir: string;
  let base: number;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-delete-embedded-"));
    base = await freePortRange(4);
    const properties = { "offsets.topic.num.partitions": "1", "group.initial.rebalance.delay.ms": "0" };
    cluster = await startCluster({
      brokers: 3,
      port: base,
      dataDir: join(dataDir, "on"),
      properties,
      log: () => {},
    });
    disabled = await startCluster({
      brokers: 1,
      port: base + 3,
      dataDir: join(dataDir, "off"),
      properties: { ...properties, "delete.topic.enable": "false" },
      log: () => {},
    });
  }, 90_000);

  afterAll(async () => {
    await cluster?.stop();
    await disabled?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  function connection(port: number): KafkaConnection {
    return new KafkaConnection(() => ({ host: "127.0.0.1", port }), "delete-test");
  }

  async function createTopic(c: KafkaConnection, name: string): Promise<void> {
    const r = await c.request(19, 3, {
      topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    expect(r.topics[0].errorCode).toBe(0);
  }

  it("`kafkaspec topics --delete` deletes a topic; kcat no longer lists it", async () => {
    const kafka = kafkaOf([cluster.bootstrap]);
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({
        topics: [{ topic: "cli-doomed", numPartitions: 2, replicationFactor: 3 }],
        waitForLeaders: true,
      });
    } finally {
      await admin.disconnect();
    }
    await produceAndRead(kafka, "cli-doomed", ["a"]);
    const r = await run(
      process.execPath,
      [
        join(ROOT, "bin/kafkaspec.mjs"),
        "topics",
        "--bootstrap-server",
        cluster.bootstrap,
        "--delete",
        "--topic",
        "cli-doomed",
      ],
      {},
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Deleted topic cli-doomed.");
    expect(await kcatTopics(cluster.bootstrap)).not.toContain("cli-doomed");
    for (const id of [1, 2, 3])
      expect(logDirsOf(join(dataDir, "on", `broker-${id}`), "cli-doomed")).toEqual([]);
    const tree = cluster.store;
    const s = await tree.connect({ sessionTimeoutMs: 6_000 });
    try {
      expect(await s.exists(ZkPaths.topic("cli-doomed"))).toBeNull();
    } finally {
      await s.close();
    }
    const again = await run(
      process.execPath,
      [
        join(ROOT, "bin/kafkaspec.mjs"),
        "topics",
        "--bootstrap-server",
        cluster.bootstrap,
        "--delete",
        "--topic",
        "cli-doomed",
      ],
      {},
    );
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain("UNKNOWN_TOPIC_OR_PARTITION");
  }, 60_000);

  it("answers per topic and per version: unknown, internal, by id, both name and id, timeout 0, disabled", async () => {
    const c = connection(base + 1); // not necessarily the controller: any broker serves DeleteTopics
    const off = connection(base + 3);
    try {
      await createTopic(c, "v0-doomed");
      await createTopic(c, "v6-doomed");
      await createTopic(c, "zero-timeout");
      await createTopic(off, "kept");
      // The offsets topic exists once a group coordinator was asked for.
      await until("__consumer_offsets", async () => {
        const f = await c.request(10, 1, { key: "g", keyType: 0 });
        return f.errorCode === 0;
      });

      const v0 = await c.request(20, 0, { topicNames: ["v0-doomed", "no-such-topic"], timeoutMs: 10_000 });
      expect(v0.responses.map((r) => [r.name, r.errorCode])).toEqual([
        ["v0-doomed", 0],
        ["no-such-topic", 3],
      ]);

      const v6 = await c.request(20, 6, {
        topics: [
          { name: "v6-doomed", topicId: ZERO_UUID },
          { name: null, topicId: "0123abcd-0000-0000-0000-000000000001" },
          { name: "v6-doomed", topicId: "0123abcd-0000-0000-0000-000000000001" },
          { name: "__consumer_offsets", topicId: ZERO_UUID },
        ],
        timeoutMs: 10_000,
      });
      expect(v6.responses.map((r) => [r.name, r.errorCode])).toEqual([
        ["v6-doomed", 0],
        [null, 100], // UNKNOWN_TOPIC_ID: we keep no topic ids
        ["v6-doomed", 42], // INVALID_REQUEST: a name and an id
        ["__consumer_offsets", 42], // INVALID_REQUEST: internal topics are not deleted
      ]);
      expect(v6.responses[3].errorMessage).toContain("internal topic");

      // timeoutMs 0 starts the deletion and answers REQUEST_TIMED_OUT at once, as Kafka does.
      const z = await c.request(20, 4, { topicNames: ["zero-timeout"], timeoutMs: 0 });
      expect(z.responses[0].errorCode).toBe(7);
      await until(
        "zero-timeout deleted",
        async () => !(await kcatTopics(cluster.bootstrap)).includes("zero-timeout"),
      );

      const d3 = await off.request(20, 3, { topicNames: ["kept"], timeoutMs: 5_000 });
      expect(d3.responses[0].errorCode).toBe(73); // TOPIC_DELETION_DISABLED
      const d2 = await off.request(20, 2, { topicNames: ["kept"], timeoutMs: 5_000 });
      expect(d2.responses[0].errorCode).toBe(42); // INVALID_REQUEST before v3
      expect(await kcatTopics(`127.0.0.1:${base + 3}`)).toContain("kept");
    } finally {
      c.close();
      off.close();
    }
  }, 60_000);
});
