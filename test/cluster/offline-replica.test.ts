/**
 * KAFKA_STORAGE_ERROR in a LeaderAndIsr answer, over TCP: three in-process brokers (`kafkaspec cluster`),
 * broker 2's disk refusing to create the directories of one topic's partitions. Broker 2 answers the
 * controller's LeaderAndIsr with KAFKA_STORAGE_ERROR for them (Kafka's makeLeaders/makeFollowers); the
 * controller takes those replicas offline (Kafka's replicasOnOfflineDirs): another leader where broker 2
 * was to lead, broker 2 out of every ISR, so acks=all writes with min.insync.replicas=2 are accepted.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { freePortRange } from "../interop/support.ts";

let cluster: RunningCluster;
let dataDir: string;
const logs: string[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-offline-replica-"));
  cluster = await startCluster({
    brokers: 3,
    port: await freePortRange(3),
    dataDir,
    properties: { "offsets.topic.num.partitions": "1" },
    log: (l) => logs.push(l),
  });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("a replica whose log cannot be created (KAFKA_STORAGE_ERROR)", () => {
  it("is taken offline by the controller: another leader, out of the ISR, acks=all writes accepted", async () => {
    const broken = cluster.brokers[1];
    const fs = broken.runtime.logs.fs;
    const mkdir = fs.mkdir;
    fs.mkdir = (path: string) => {
      if (path.includes(`${sep}bad-`))
        throw Object.assign(new Error(`EIO: i/o error, mkdir '${path}'`), { code: "EIO" });
      mkdir.call(fs, path);
    };
    try {
      const controller = cluster.brokers.find((b) => b.runtime.node.controller.isActive)!;
      const created = await controller.runtime.call({
        api: "createTopics",
        name: "bad",
        numPartitions: 3,
        replicationFactor: 3,
        config: { minInsyncReplicas: 2 },
      });
      expect(created).toEqual({ api: "createTopics", error: null });
      const states = () =>
        controller.runtime.node.controller.partitionStates().filter((s) => s.topic === "bad");
      const deadline = Date.now() + 20_000;
      while (
        Date.now() < deadline &&
        !states().every((s) => s.leader > 0 && s.leader !== 2 && !s.isr.includes(2))
      )
        await sleep(50);
      for (const s of states()) {
        expect(s.leader).not.toBe(2);
        expect(s.leader).toBeGreaterThan(0);
        expect(s.isr).not.toContain(2);
      }
      expect(logs.some((l) => l.includes("broker 2 has offline replicas (KAFKA_STORAGE_ERROR): bad-"))).toBe(
        true,
      );
      for (const s of states()) {
        const leader = cluster.brokers[s.leader - 1];
        let r = await leader.runtime.call({
          api: "produce",
          topic: "bad",
          partition: s.partition,
          acks: -1,
          timeoutMs: 5_000,
          records: [{ key: null, value: Buffer.from("x") }],
        });
        // The leader may hear of its ISR a moment after the controller wrote it.
        for (let i = 0; i < 20 && r.api === "produce" && r.error !== null; i++) {
          await sleep(100);
          r = await leader.runtime.call({
            api: "produce",
            topic: "bad",
            partition: s.partition,
            acks: -1,
            timeoutMs: 5_000,
            records: [{ key: null, value: Buffer.from("x") }],
          });
        }
        expect(r).toMatchObject({ api: "produce", error: null });
      }
    } finally {
      fs.mkdir = mkdir;
    }
  }, 60_000);
});
