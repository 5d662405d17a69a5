/**
 * OffsetCommit names partitions the broker's metadata must know, as Kafka's KafkaApis requires: a topic
 * that does not exist (or was deleted) and a partition index beyond the topic's count are answered
 * UNKNOWN_TOPIC_OR_PARTITION each, the rest of the request is committed, and kafkajs' commits to
 * existing topics work as before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { KafkaConnection } from "../../impl/broker/peer/connection.ts";
import { KafkaClient } from "../../impl/client/client.ts";
import { freePortRange } from "./support.ts";

const UNKNOWN_TOPIC_OR_PARTITION = 3;

let cluster: RunningCluster;
let dataDir: string;
let port: number;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-offset-commit-unknown-"));
  port = await freePortRange(1);
  cluster = await startCluster({
    brokers: 1,
    port,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1", "group.initial.rebalance.delay.ms": "0" },
    log: () => {},
  });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function until(what: string, fn: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A simple commit (no generation) of `offset` to each named partition; the error code of each. */
async function commit(
  c: KafkaConnection,
  version: number,
  group: string,
  partitions: Array<[string, number]>,
  offset: number,
): Promise<Array<[string, number, number]>> {
  const byTopic = new Map<string, number[]>();
  for (const [t, p] of partitions) byTopic.set(t, [...(byTopic.get(t) ?? []), p]);
  const r = await c.request(8, version, {
    groupId: group,
    generationIdOrMemberEpoch: -1,
    memberId: "",
    groupInstanceId: null,
    retentionTimeMs: -1n,
    topics: [...byTopic].map(([name, ps]) => ({
      name,
      partitions: ps.map((partitionIndex) => ({
        partitionIndex,
        committedOffset: BigInt(offset),
        committedLeaderEpoch: -1,
        commitTimestamp: -1n,
        committedMetadata: "",
      })),
    })),
  });
  return r.topics.flatMap((t) =>
    t.partitions.map((p): [string, number, number] => [t.name, p.partitionIndex, p.errorCode]),
  );
}

it("refuses unknown topics and partitions per partition, commits the rest; kafkajs commits as before", async () => {
  const kafka = new Kafka({
    clientId: "commit-unknown",
    brokers: [`127.0.0.1:${port}`],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const c = new KafkaConnection(() => ({ host: "127.0.0.1", port }), "commit-unknown");
  try {
    await admin.createTopics({
      topics: [
        { topic: "known", numPartitions: 2, replicationFactor: 1 },
        { topic: "doomed", numPartitions: 1, replicationFactor: 1 },
      ],
      waitForLeaders: true,
    });
    await until(
      "the group coordinator",
      async () => (await c.request(10, 1, { key: "g", keyType: 0 })).errorCode === 0,
    );

    // kafkajs: commit to an existing topic and read it back (OffsetCommit, then OffsetFetch).
    await admin.setOffsets({ groupId: "g", topic: "known", partitions: [{ partition: 1, offset: "17" }] });
    const fetched = await admin.fetchOffsets({ groupId: "g", topics: ["known"] });
    expect(fetched[0].partitions.find((p) => p.partition === 1)?.offset).toBe("17");

    for (const version of [2, 8]) {
      // Mixed: the known partition is committed, the others refused.
      expect(
        await commit(
          c,
          version,
          "g",
          [
            ["known", 0],
            ["known", 5],
            ["never-created", 0],
          ],
          40 + version,
        ),
      ).toEqual([
        ["known", 0, 0],
        ["known", 5, UNKNOWN_TOPIC_OR_PARTITION],
        ["never-created", 0, UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      const after = await admin.fetchOffsets({ groupId: "g", topics: ["known"] });
      expect(after[0].partitions.find((p) => p.partition === 0)?.offset).toBe(String(40 + version));
      // Only unknown ones: refused before the coordinator looks at the group (none is created).
      expect(await commit(c, version, `fresh-${version}`, [["never-created", 3]], 1)).toEqual([
        ["never-created", 3, UNKNOWN_TOPIC_OR_PARTITION],
      ]);
    }
    // The project's client (the kafka and cluster targets' driver) marks a commit refused in part as
    // partial, so the conformance check counts its other partitions as possibly committed.
    const client = new KafkaClient({ bootstrap: [`127.0.0.1:${port}`], clientId: "commit-unknown-client" });
    try {
      const mixed = await client.commitOffsets("g", -1, "", [
        { topic: "known", partition: 1, offset: 21 },
        { topic: "never-created", partition: 0, offset: 21 },
      ]);
      expect(mixed).toMatchObject({ ok: false, error: "UNKNOWN_TOPIC_OR_PARTITION", partial: true });
      const none = await client.commitOffsets("g", -1, "", [
        { topic: "never-created", partition: 0, offset: 1 },
      ]);
      expect(none).toMatchObject({ ok: false, error: "UNKNOWN_TOPIC_OR_PARTITION" });
      expect(!none.ok && none.partial === true).toBe(false);
    } finally {
      client.close();
    }
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
    expect(groups).toContain("g");
    expect(groups).not.toContain("fresh-2");

    // A deleted topic is unknown too.
    expect(await commit(c, 8, "g", [["doomed", 0]], 3)).toEqual([["doomed", 0, 0]]);
    await admin.deleteTopics({ topics: ["doomed"], timeout: 10_000 });
    await until("doomed to be gone", async () => !(await admin.listTopics()).includes("doomed"));
    expect(await commit(c, 8, "g", [["doomed", 0]], 4)).toEqual([["doomed", 0, UNKNOWN_TOPIC_OR_PARTITION]]);
  } finally {
    c.close();
    await admin.disconnect();
  }
}, 60_000);
