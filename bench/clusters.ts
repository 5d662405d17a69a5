/**
 * The two systems under benchmark, started the same way on the same ZooKeeper: our brokers as
 * `kafkaspec broker` processes (impl/cluster-target's LocalCluster, without its fault proxies, so
 * clients talk to brokers directly), and Apache Kafka through tools/apache-kafka/start.sh. Both get
 * the same topic settings; brokers keep their defaults otherwise.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";
import { LocalCluster } from "../impl/cluster-target/local-cluster.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

export interface BenchCluster {
  system: "kafkaspec" | "apache-kafka";
  bootstrap: string;
  pids(): Promise<number[]>;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the cluster has all its brokers and a controller, then creates the topic. */
export async function createTopic(
  bootstrap: string,
  brokers: number,
  topic: string,
  partitions: number,
  replicationFactor: number,
  minInsyncReplicas: number,
): Promise<void> {
  const kafka = new Kafka({ clientId: "bench", brokers: bootstrap.split(","), logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = await admin.describeCluster().catch(() => null);
      if (c !== null && c.brokers.length === brokers && c.controller !== null && c.controller >= 0) break;
      if (Date.now() > deadline)
        throw new Error(`cluster at ${bootstrap}: not ${brokers} brokers after 60 s`);
      await sleep(250);
    }
    await admin.createTopics({
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor,
          configEntries: [{ name: "min.insync.replicas", value: String(minInsyncReplicas) }],
        },
      ],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

export async function startOurs(brokers: number, zookeeper: string): Promise<BenchCluster> {
  const cluster = await LocalCluster.start({
    brokers,
    zookeeper,
    proxies: false,
    properties: {
      "offsets.topic.replication.factor": Math.min(3, brokers),
      "offsets.topic.num.partitions": 3,
      "group.initial.rebalance.delay.ms": 0,
      "zookeeper.session.timeout.ms": 6000,
      "auto.create.topics.enable": false,
    },
  });
  return {
    system: "kafkaspec",
    bootstrap: cluster.bootstrap,
    pids: async () => cluster.brokerIds.map((id) => cluster.pid(id)).filter((p): p is number => p !== null),
    stop: () => cluster.stop(),
  };
}

export async function startApacheKafka(
  brokers: number,
  zookeeper: string,
  port: number,
  libs: string,
): Promise<BenchCluster> {
  const dir = await mkdtemp(join(tmpdir(), "kafkaspec-bench-kafka-"));
  const script = join(ROOT, "tools/apache-kafka");
  const run = (file: string, args: string[]) =>
    new Promise<void>((resolve, reject) =>
      execFile(
        join(script, file),
        args,
        { env: { ...process.env, KAFKA_LIBS: libs }, timeout: 180_000 },
        (error, _out, stderr) =>
          error === null ? resolve() : reject(new Error(`${file}: ${error.message}\n${stderr}`)),
      ),
    );
  const stop = async () => {
    await run("stop.sh", ["--dir", dir]).catch(() => {});
    await sleep(1_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await run("start.sh", [
      "--brokers",
      String(brokers),
      "--zookeeper",
      zookeeper,
      "--dir",
      dir,
      "--port",
      String(port),
      "--set",
      "offsets.topic.num.partitions=3",
      "--set",
      "auto.create.topics.enable=false",
    ]);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    system: "apache-kafka",
    bootstrap: Array.from({ length: brokers }, (_, i) => `127.0.0.1:${port + i}`).join(","),
    pids: async () =>
      Promise.all(
        Array.from({ length: brokers }, async (_, i) =>
          Number((await readFile(join(dir, `broker-${i + 1}.pid`), "utf8")).trim()),
        ),
      ),
    stop,
  };
}
