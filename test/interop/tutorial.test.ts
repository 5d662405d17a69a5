/**
 * The tutorial's flows, run as its own scripts (examples/python with kafka-python 2.0.2 and Faker,
 * examples/kafkajs with kafkajs 2.2.4) against `kafkaspec cluster --brokers 3` as a child process.
 * Every script prints a JSON line per record sent (with the partition and offset the broker
 * acknowledged) or read, so each test checks that each message arrived exactly where it should.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ClusterProcess,
  EXAMPLES,
  freePortRange,
  inOffsetOrder,
  kafkajs,
  type Line,
  type LiveProcess,
  named,
  PYTHON,
  placements,
  python,
  spawnLive,
  startCluster,
} from "./support.ts";

let cluster: ClusterProcess;
const scratch = mkdtempSync(join(tmpdir(), "kafkaspec-tutorial-"));

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, port: await freePortRange(3) });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster?.dataDir) rmSync(cluster.dataDir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

const env = (topic: string, extra: Record<string, string> = {}) => ({
  KAFKA_BOOTSTRAP: cluster.bootstrap,
  TOPIC: topic,
  ...extra,
});

async function ok(result: Promise<{ code: number | null; stderr: string; lines: Line[] }>): Promise<Line[]> {
  const r = await result;
  expect(r.code, r.stderr).toBe(0);
  return r.lines;
}

const sentLines = (lines: Line[]) => lines.filter((l) => l.event === "sent");
const received = (lines: Line[]) => lines.filter((l) => l.event === "received");

/** The last assignment each member printed. */
function lastAssignments(members: LiveProcess[]): number[][] {
  return members.map((m) => {
    const a = m.lines.filter((l) => l.event === "assigned");
    return (a.at(-1)?.partitions as number[] | undefined) ?? [];
  });
}

async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 40_000,
  output = () => "",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("kafka-python: the tutorial's scripts", () => {
  it("producer with a JSON value_serializer and Faker data spreads a 2-partition topic; a group reads it all once", async () => {
    const topic = named("tutorial-py-two-partitions");
    await ok(python("create_topic.py", env(topic, { PARTITIONS: "2", REPLICATION: "3" })));
    const sent = sentLines(await ok(python("producer.py", env(topic, { COUNT: "30" }))));
    expect(sent.map((l) => l.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(new Set(sent.map((l) => l.partition))).toEqual(new Set([0, 1]));
    expect(inOffsetOrder(sent)).toBe(true);
    const read = received(
      await ok(
        python("consumer.py", env(topic, { GROUP_ID: named("tutorial-py"), COUNT: "30", IDLE_MS: "8000" })),
      ),
    );
    expect(placements(read)).toEqual(placements(sent));
    expect(inOffsetOrder(read)).toBe(true);
    // The JSON value came back intact: each offset holds the seq the producer sent there.
    const seqAt = new Map(sent.map((l) => [`${l.partition}@${l.offset}`, l.seq]));
    for (const l of read) expect(l.seq).toBe(seqAt.get(`${l.partition}@${l.offset}`));
    // The group committed: the next consumer in it finds nothing left.
    const again = received(
      await ok(python("consumer.py", env(topic, { GROUP_ID: named("tutorial-py"), IDLE_MS: "2500" }))),
    );
    expect(again).toHaveLength(0);
  }, 90_000);

  it("every message to partition 0 only", async () => {
    const topic = named("tutorial-py-partition0");
    await ok(python("create_topic.py", env(topic, { PARTITIONS: "2" })));
    const sent = sentLines(await ok(python("producer_partition0.py", env(topic, { COUNT: "12" }))));
    expect(sent.map((l) => [l.partition, l.offset, l.seq])).toEqual(
      Array.from({ length: 12 }, (_, i) => [0, i, i]),
    );
  }, 60_000);

  it("the custom partitioner gets key_bytes, all_partitions and available_partitions", async () => {
    const topic = named("tutorial-py-custom-partitioner");
    await ok(python("create_topic.py", env(topic, { PARTITIONS: "3", REPLICATION: "2" })));
    const sent = sentLines(await ok(python("producer_custom_partitioner.py", env(topic, { COUNT: "12" }))));
    const zero = sent.filter((l) => l.partitioner === "always_zero");
    const keyed = sent.filter((l) => l.partitioner === "by_last_key_byte");
    expect(zero.map((l) => [l.partition, l.offset])).toEqual(Array.from({ length: 12 }, (_, i) => [0, i]));
    // Every partition is available, so the choice is [0, 1, 2][last key byte % 3].
    for (const l of keyed) {
      const key = String(l.key);
      expect(l.partition).toBe(key.charCodeAt(key.length - 1) % 3);
    }
    expect(new Set(keyed.map((l) => l.partition))).toEqual(new Set([0, 1, 2]));
    const read = received(await ok(python("consumer.py", env(topic, { COUNT: "24", IDLE_MS: "5000" }))));
    expect(placements(read)).toEqual(placements(sent));
  }, 60_000);

  it("a consumer with no group id reads every partition, commits nothing, and reads it all again", async () => {
    const topic = named("tutorial-py-no-group");
    await ok(python("create_topic.py", env(topic, { PARTITIONS: "2" })));
    const sent = sentLines(await ok(python("producer.py", env(topic, { COUNT: "15" }))));
    for (let round = 0; round < 2; round++) {
      const read = received(await ok(python("consumer.py", env(topic, { COUNT: "15", IDLE_MS: "5000" }))));
      expect(read.every((l) => l.group === null)).toBe(true);
      expect(placements(read)).toEqual(placements(sent));
      expect(inOffsetOrder(read)).toBe(true);
    }
  }, 60_000);

  it("1 topic, 1 partition, 1 consumer: every message in send order at offsets 0..n-1", async () => {
    const topic = named("tutorial-py-one-partition");
    await ok(python("create_topic.py", env(topic, { PARTITIONS: "1" })));
    const sent = sentLines(await ok(python("producer.py", env(topic, { COUNT: "20" }))));
    expect(sent.map((l) => [l.partition, l.offset])).toEqual(Array.from({ length: 20 }, (_, i) => [0, i]));
    const read = received(
      await ok(
        python(
          "consumer.py",
          env(topic, { GROUP_ID: named("tutorial-py-one"), COUNT: "20", IDLE_MS: "8000" }),
        ),
      ),
    );
    expect(read.map((l) => [l.partition, l.offset, l.seq])).toEqual(
      Array.from({ length: 20 }, (_, i) => [0, i, i]),
    );
  }, 60_000);

  it("a group of 3 consumers shares a 3-partition topic: one partition each, every message read once", async () => {
    const topic = named("tutorial-py-group-of-3");
    await ok(python("create_topic.py", env(topic, { PARTITIONS: "3", REPLICATION: "2" })));
    const stopFile = join(scratch, "stop-py-group");
    // Members start one after another (each once the previous is connected and polling): three
    // interpreters importing at once on a loaded machine can exceed kafka-python's 2 s version probe.
    const members: LiveProcess[] = [];
    for (const member of ["c1", "c2", "c3"]) {
      const m = spawnLive(
        PYTHON,
        [join(EXAMPLES, "python", "consumer_group_member.py")],
        env(topic, {
          GROUP_ID: named("tutorial-py-3"),
          MEMBER: member,
          STOP_FILE: stopFile,
          IDLE_MS: "60000",
        }),
        join(EXAMPLES, "python"),
      );
      members.push(m);
      await m.waitFor((l) => l.event === "assigned");
    }
    const output = () => members.map((m) => m.output()).join("\n---\n");
    try {
      await until(
        () => {
          const a = lastAssignments(members);
          return a.every((p) => p.length === 1) && new Set(a.flat()).size === 3;
        },
        "one partition per member",
        60_000,
        output,
      );
      const sent = sentLines(await ok(python("producer.py", env(topic, { COUNT: "30" }))));
      await until(
        () => members.flatMap((m) => received(m.lines)).length >= 30,
        "30 records read",
        40_000,
        output,
      );
      // The assignment while the records were read: stopping members makes the rest rebalance.
      const assigned = lastAssignments(members);
      writeFileSync(stopFile, "");
      // Each member sees the stop file within its 500 ms poll and leaves cleanly.
      for (const m of members) expect(await m.exited).toBe(0);
      expect(assigned.flat().sort()).toEqual([0, 1, 2]);
      const all = members.flatMap((m) => received(m.lines));
      expect(placements(all)).toEqual(placements(sent));
      members.forEach((m, i) => {
        const mine = received(m.lines);
        expect(mine.every((l) => l.partition === assigned[i][0])).toBe(true);
        expect(inOffsetOrder(mine)).toBe(true);
      });
    } finally {
      writeFileSync(stopFile, "");
      await Promise.all(members.map((m) => m.stop()));
    }
  }, 120_000);
});

describe("kafkajs: the tutorial's flows", () => {
  it("a producer spreads a 2-partition topic; PARTITION=0 sends every message to partition 0", async () => {
    const topic = named("tutorial-js-two-partitions");
    await ok(kafkajs("create-topic.mjs", env(topic, { PARTITIONS: "2", REPLICATION: "3" })));
    const spread = sentLines(await ok(kafkajs("producer.mjs", env(topic, { COUNT: "12" }))));
    expect(new Set(spread.map((l) => l.partition))).toEqual(new Set([0, 1]));
    expect(inOffsetOrder(spread)).toBe(true);
    const zero = sentLines(await ok(kafkajs("producer.mjs", env(topic, { COUNT: "6", PARTITION: "0" }))));
    const before = spread.filter((l) => l.partition === 0).length;
    expect(zero.map((l) => [l.partition, l.offset])).toEqual(
      Array.from({ length: 6 }, (_, i) => [0, before + i]),
    );
  }, 60_000);

  it("a group of 3 members shares a 3-partition topic: one partition each, every message read once", async () => {
    const topic = named("tutorial-js-group-of-3");
    await ok(kafkajs("create-topic.mjs", env(topic, { PARTITIONS: "3", REPLICATION: "2" })));
    const members = ["c1", "c2", "c3"].map((member) =>
      spawnLive(
        process.execPath,
        [join(EXAMPLES, "kafkajs", "consumer-group-member.mjs")],
        env(topic, { GROUP_ID: named("tutorial-js-3"), MEMBER: member, RUN_MS: "90000" }),
      ),
    );
    const output = () => members.map((m) => m.output()).join("\n---\n");
    try {
      await until(
        () => {
          const a = lastAssignments(members);
          return a.every((p) => p.length === 1) && new Set(a.flat()).size === 3;
        },
        "one partition per member",
        60_000,
        output,
      );
      const sent = sentLines(await ok(kafkajs("producer.mjs", env(topic, { COUNT: "15", KEYED: "1" }))));
      await until(
        () => members.flatMap((m) => received(m.lines)).length >= 15,
        "15 records read",
        40_000,
        output,
      );
      const assigned = lastAssignments(members);
      for (const m of members) await m.stop();
      expect(assigned.flat().sort()).toEqual([0, 1, 2]);
      const all = members.flatMap((m) => received(m.lines));
      expect(placements(all)).toEqual(placements(sent));
      members.forEach((m, i) => {
        const mine = received(m.lines);
        expect(mine.every((l) => l.partition === assigned[i][0])).toBe(true);
        expect(inOffsetOrder(mine)).toBe(true);
      });
    } finally {
      await Promise.all(members.map((m) => m.stop()));
    }
  }, 120_000);
});
