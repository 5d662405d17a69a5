/**
 * Committed group offsets survive a full restart of `kafkaspec cluster` on the same data directory:
 * the cluster process is stopped and started again, and the group resumes exactly after what it
 * committed (kafka-python's tutorial consumer, the offsets kept in __consumer_offsets on disk).
 */
import { rmSync } from "node:fs";
import { afterAll, expect, it } from "vitest";
import {
  type ClusterProcess,
  EXTERNAL,
  freePortRange,
  inOffsetOrder,
  type Line,
  placements,
  python,
  startCluster,
} from "./support.ts";

let cluster: ClusterProcess | undefined;
let dataDir: string | undefined;

afterAll(async () => {
  await cluster?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const received = (lines: Line[]) => lines.filter((l) => l.event === "received");

it.skipIf(EXTERNAL !== undefined)(
  "a group resumes from its committed offsets after the whole cluster restarts",
  async () => {
    const port = await freePortRange(3);
    cluster = await startCluster({ brokers: 3, port });
    dataDir = cluster.dataDir;
    const env = { KAFKA_BOOTSTRAP: cluster.bootstrap, TOPIC: "restart-offsets" };
    const created = await python("create_topic.py", { ...env, PARTITIONS: "3", REPLICATION: "2" });
    expect(created.code, created.stderr).toBe(0);
    const sent1 = await python("producer.py", { ...env, COUNT: "30" });
    expect(sent1.code, sent1.stderr).toBe(0);
    // Read 12 of the 30 and commit exactly those.
    const first = await python("consumer.py", {
      ...env,
      GROUP_ID: "restart-group",
      COUNT: "12",
      IDLE_MS: "8000",
    });
    expect(first.code, first.stderr).toBe(0);
    expect(received(first.lines)).toHaveLength(12);

    await cluster.stop();
    expect(cluster.process?.exitCode ?? cluster.process?.signalCode).not.toBeNull();
    cluster = await startCluster({ brokers: 3, port, dataDir });
    const sent2 = await python("producer.py", { ...env, COUNT: "10" });
    expect(sent2.code, sent2.stderr).toBe(0);
    const second = await python("consumer.py", {
      ...env,
      GROUP_ID: "restart-group",
      COUNT: "28",
      IDLE_MS: "8000",
    });
    expect(second.code, second.stderr).toBe(0);
    // Everything not read before the restart, and nothing that was: the commit was kept on disk.
    const all = [...sent1.lines, ...sent2.lines];
    const readBefore = new Set(placements(received(first.lines)));
    expect(placements(received(second.lines))).toEqual(placements(all).filter((p) => !readBefore.has(p)));
    expect(inOffsetOrder(received(second.lines))).toBe(true);
    // And per partition the resumed reads start right where the first consumer stopped.
    for (const p of [0, 1, 2]) {
      const before = received(first.lines)
        .filter((l) => l.partition === p)
        .map((l) => Number(l.offset));
      const after = received(second.lines)
        .filter((l) => l.partition === p)
        .map((l) => Number(l.offset));
      if (after.length > 0) expect(after[0]).toBe(before.length === 0 ? 0 : Math.max(...before) + 1);
    }
  },
  150_000,
);
