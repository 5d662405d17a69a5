/**
 * A kafkajs consumer group of three (examples/kafkajs/consumer-group-member.mjs, one process each) on a
 * 6-partition topic: it splits 2/2/2; when one member leaves, the other two get 3/3 and keep consuming,
 * and nothing produced before or after the rebalance is skipped.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  type ClusterProcess,
  EXAMPLES,
  freePortRange,
  inOffsetOrder,
  type LiveProcess,
  named,
  placements,
  spawnLive,
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

const TOPIC = named("rebalance-six");
const received = (m: LiveProcess) => m.lines.filter((l) => l.event === "received");
const lastAssignment = (m: LiveProcess) =>
  (m.lines.filter((l) => l.event === "assigned").at(-1)?.partitions as number[] | undefined) ?? [];

async function until(condition: () => boolean, what: string, output: () => string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("three members split six partitions 2/2/2; after one leaves the two left get 3/3 and read everything", async () => {
  const kafka = new Kafka({
    clientId: "rebalance-test",
    brokers: [cluster.bootstrap],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: 6, replicationFactor: 2 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  /** Sends `count` keyed messages (seq from..from+count-1) in batches of ten with acks=all. */
  const produce = async (from: number, count: number) => {
    for (let i = from; i < from + count; i += 10) {
      const messages = Array.from({ length: 10 }, (_, j) => ({
        key: `user-${i + j}`,
        value: JSON.stringify({ seq: i + j }),
      }));
      await producer.send({ topic: TOPIC, acks: -1, messages });
    }
  };

  const members: LiveProcess[] = [];
  const output = () => members.map((m) => m.output()).join("\n---\n");
  try {
    for (const member of ["c1", "c2", "c3"]) {
      members.push(
        spawnLive(process.execPath, [join(EXAMPLES, "kafkajs", "consumer-group-member.mjs")], {
          KAFKA_BOOTSTRAP: cluster.bootstrap,
          TOPIC,
          GROUP_ID: named("rebalance-group"),
          MEMBER: member,
          RUN_MS: "150000",
        }),
      );
    }
    await until(
      () =>
        members.every((m) => lastAssignment(m).length === 2) &&
        new Set(members.flatMap(lastAssignment)).size === 6,
      "a 2/2/2 split",
      output,
    );
    const split = members.map(lastAssignment);
    await produce(0, 60);
    const endOffsets = async () =>
      new Map((await adminOffsets(kafka)).map((p) => [p.partition, Number(p.offset)] as const));
    let ends = await endOffsets();
    const total = () => [...ends.values()].reduce((a, b) => a + b, 0);
    expect(total()).toBe(60);
    await until(() => members.flatMap(received).length >= 60, "60 records read by three", output);
    // Each member read only its own two partitions.
    members.forEach((m, i) => {
      expect(received(m).every((l) => split[i].includes(Number(l.partition)))).toBe(true);
    });

    // c3 leaves (SIGTERM: kafkajs disconnects, sending LeaveGroup); c1 and c2 take over its partitions.
    await members[2].stop();
    const [a, b] = members;
    await until(
      () =>
        lastAssignment(a).length === 3 &&
        lastAssignment(b).length === 3 &&
        new Set([...lastAssignment(a), ...lastAssignment(b)]).size === 6,
      "a 3/3 split between the two left",
      output,
    );
    await produce(60, 60);
    ends = await endOffsets();
    expect(total()).toBe(120);
    await until(() => members.flatMap(received).length >= 120, "120 records read in all", output);
    for (const m of [a, b]) {
      const after = received(m).filter((l) => Number(l.seq) >= 60);
      expect(after.every((l) => lastAssignment(m).includes(Number(l.partition)))).toBe(true);
      expect(after.length).toBeGreaterThan(0);
    }
    // Nothing skipped, nothing read twice: every offset below each partition's end, exactly once.
    const all = members.flatMap(received);
    const expected = [...ends].flatMap(([p, end]) =>
      Array.from({ length: end }, (_, o) => ({ event: "", partition: p, offset: o })),
    );
    expect(placements(all)).toEqual(placements(expected));
    expect(new Set(all.map((l) => l.seq)).size).toBe(120);
    for (const m of members) expect(inOffsetOrder(received(m))).toBe(true);
  } finally {
    await producer.disconnect();
    await Promise.all(members.map((m) => m.stop()));
  }
}, 180_000);

async function adminOffsets(kafka: Kafka) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.fetchTopicOffsets(TOPIC);
  } finally {
    await admin.disconnect();
  }
}
