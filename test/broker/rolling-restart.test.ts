/**
 * Rolling restarts under load: a producer sends acks=all (min.insync.replicas=2, RF 3) while each
 * broker in turn is stopped and started again. Every acknowledged record must be read back at the
 * offset it was acknowledged at, and no offset may hold two records (Jepsen's lost-write,
 * inconsistent-offsets and duplicate anomalies, checked directly).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, expect, it } from "vitest";
import { startCluster } from "../../impl/broker/cluster.ts";
import { freePortRange, kcat } from "../interop/support.ts";

const dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-rolling-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("loses, moves and duplicates no acknowledged acks=all record through a rolling restart", async () => {
  const port = await freePortRange(3);
  const cluster = await startCluster({
    brokers: 3,
    port,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1", "replica.lag.time.max.ms": "3000" },
    log: () => {},
  });
  try {
    const kafka = new Kafka({
      clientId: "rolling",
      brokers: [0, 1, 2].map((i) => `127.0.0.1:${port + i}`),
      logLevel: logLevel.NOTHING,
      retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        {
          topic: "rolling",
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [{ name: "min.insync.replicas", value: "2" }],
        },
      ],
      waitForLeaders: true,
    });
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect();
    const acked = new Map<string, string>();
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        const v = `v${n++}`;
        try {
          const [m] = await producer.send({
            topic: "rolling",
            acks: -1,
            timeout: 5000,
            messages: [{ key: v, value: v }],
          });
          acked.set(v, `${m.partition}:${m.baseOffset}`);
        } catch {
          // Not acknowledged: it may or may not be in the log, and either is allowed.
        }
      }
    })();
    for (const id of [1, 2, 3]) {
      await new Promise((r) => setTimeout(r, 700));
      await cluster.restartBroker(id);
    }
    await new Promise((r) => setTimeout(r, 700));
    stop = true;
    await writer;
    await producer.disconnect();
    expect(acked.size).toBeGreaterThan(50);

    // Read everything back with librdkafka (no group: every partition from its start to its end).
    const read = await kcat([
      "-b",
      `127.0.0.1:${port}`,
      "-C",
      "-t",
      "rolling",
      "-o",
      "beginning",
      "-e",
      "-f",
      "%p:%o %s\\n",
    ]);
    expect(read.code, read.stderr).toBe(0);
    const at = new Map<string, string>();
    const where = new Map<string, string[]>();
    for (const line of read.stdout.trim().split("\n")) {
      const [offset, v] = line.split(" ");
      const before = at.get(offset);
      expect(before === undefined || before === v, `offset ${offset} holds ${before} and ${v}`).toBe(true);
      at.set(offset, v);
      where.set(v, [...(where.get(v) ?? []), offset]);
    }
    const lost = [...acked.keys()].filter((v) => !where.has(v));
    const moved = [...acked].filter(([v, offset]) => where.has(v) && !where.get(v)?.includes(offset));
    expect(lost, "acknowledged and never read").toEqual([]);
    expect(moved, "read at another offset than acknowledged").toEqual([]);
  } finally {
    await cluster.stop();
  }
});
