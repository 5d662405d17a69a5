/**
 * Replication over TCP through a leader failure: acknowledged acks=all writes survive the leader's
 * shutdown, a new leader is elected from the ISR, writes continue, and the old leader rejoins the
 * ISR after a restart that recovers its logs from disk.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { freePortRange, kcat } from "../interop/support.ts";

let cluster: RunningCluster;
let dataDir: string;
let base: number;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-failover-test-"));
  base = await freePortRange(3);
  cluster = await startCluster({
    brokers: 3,
    port: base,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1", "replica.lag.time.max.ms": "4000" },
    log: () => {},
  });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const addr = (id: number) => `127.0.0.1:${base + id - 1}`;

async function partitionState(kafka: Kafka) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const md = await admin.fetchTopicMetadata({ topics: ["ha"] });
    return md.topics[0].partitions[0];
  } finally {
    await admin.disconnect();
  }
}

async function until<T>(what: string, fn: () => Promise<T | null>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it("keeps every acknowledged write through a leader shutdown, and the old leader rejoins the ISR", async () => {
  const all = [1, 2, 3].map(addr);
  const kafka = new Kafka({
    clientId: "failover",
    brokers: all,
    logLevel: logLevel.NOTHING,
    retry: { retries: 10, initialRetryTime: 100 },
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      {
        topic: "ha",
        numPartitions: 1,
        replicationFactor: 3,
        configEntries: [{ name: "min.insync.replicas", value: "2" }],
      },
    ],
    waitForLeaders: true,
  });
  await admin.disconnect();
  await until("a full ISR", async () => ((await partitionState(kafka)).isr.length === 3 ? true : null));

  const producer = kafka.producer();
  await producer.connect();
  const send = async (from: number, to: number) => {
    for (let i = from; i < to; i += 5) {
      await producer.send({
        topic: "ha",
        acks: -1,
        messages: Array.from({ length: 5 }, (_, j) => ({ value: `v${i + j}` })),
      });
    }
  };
  await send(0, 30);
  const before = await partitionState(kafka);
  const oldLeader = before.leader;
  await cluster.stopBroker(oldLeader);

  const survivors = [1, 2, 3].filter((id) => id !== oldLeader).map(addr);
  const kafka2 = new Kafka({ clientId: "failover-2", brokers: survivors, logLevel: logLevel.NOTHING });
  const after = await until("a new leader", async () => {
    const p = await partitionState(kafka2);
    return p.leader >= 0 && p.leader !== oldLeader ? p : null;
  });
  expect(after.isr).not.toContain(oldLeader);
  await send(30, 60);
  await producer.disconnect();

  const c = await kcat([
    "-b",
    survivors.join(","),
    "-C",
    "-t",
    "ha",
    "-o",
    "beginning",
    "-e",
    "-f",
    "%o %s\\n",
  ]);
  expect(c.code, c.stderr).toBe(0);
  const got = c.stdout
    .trim()
    .split("\n")
    .map((l) => l.split(" "));
  expect(got.map(([o]) => Number(o))).toEqual([...Array(60).keys()]);
  expect(got.map(([, v]) => v)).toEqual(Array.from({ length: 60 }, (_, i) => `v${i}`));

  await cluster.restartBroker(oldLeader);
  const healed = await until("the old leader back in the ISR", async () => {
    const p = await partitionState(kafka2);
    return p.isr.includes(oldLeader) ? p : null;
  });
  expect(healed.isr.sort()).toEqual([1, 2, 3]);
});
