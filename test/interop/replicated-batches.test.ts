/**
 * Followers keep their leader's record batches byte for byte, as Kafka's do: kcat (librdkafka, idempotent)
 * produces gzip, snappy, lz4 and zstd batches to an RF=3 topic on three in-process brokers that replicate
 * over TCP, and every replica's segment file must end up identical to the leader's, holding the
 * producer's batches as sent (their compression, producer id and sequences; the leader stamps only the
 * base offset and leader epoch, which the CRC does not cover).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import {
  batchSpans,
  checkBatch,
  compressionOf,
  iterateRecords,
  readBatchHeader,
} from "../../impl/records/batch.ts";
import type { CompressionType } from "../../impl/records/types.ts";
import { freePortRange, kcat } from "./support.ts";

const TOPIC = "zipped";
const CODECS: CompressionType[] = ["gzip", "snappy", "lz4", "zstd"];
const PER_CODEC = 40;

let cluster: RunningCluster;
let dataDir: string;
let base: number;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-replicated-batches-"));
  base = await freePortRange(3);
  cluster = await startCluster({
    brokers: 3,
    port: base,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1" },
    log: () => {},
  });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const bootstrap = () => [1, 2, 3].map((id) => `127.0.0.1:${base + id - 1}`).join(",");

/** The partition's segment bytes on broker `id` (one segment: the test writes a few KiB). */
function segmentOf(id: number): Buffer {
  const dir = join(dataDir, `broker-${id}`, `${TOPIC}-0`);
  const logs = readdirSync(dir)
    .filter((f) => f.endsWith(".log"))
    .sort();
  return Buffer.concat(logs.map((f) => readFileSync(join(dir, f))));
}

async function until<T>(what: string, fn: () => Promise<T | null> | T | null, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await fn();
      if (v !== null) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it("every replica's segment holds the leader's compressed batches byte for byte", async () => {
  const kafka = new Kafka({
    clientId: "replicated-batches",
    brokers: bootstrap().split(","),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 3 }],
    waitForLeaders: true,
  });
  const md = await admin.fetchTopicMetadata({ topics: [TOPIC] });
  await admin.disconnect();
  const leader = md.topics[0].partitions[0].leader;

  const sent: string[] = [];
  for (const codec of CODECS) {
    const lines = Array.from({ length: PER_CODEC }, (_, i) => `k${i}:${codec} record ${i} ${"x".repeat(i)}`);
    const r = await kcat(
      [
        "-P",
        "-b",
        bootstrap(),
        "-t",
        TOPIC,
        "-p",
        "0",
        "-K",
        ":",
        "-z",
        codec,
        "-X",
        "enable.idempotence=true",
        "-X",
        "linger.ms=50",
      ],
      `${lines.join("\n")}\n`,
    );
    expect(r.code, r.stderr).toBe(0);
    for (const l of lines) sent.push(l.slice(l.indexOf(":") + 1));
  }

  // Followers fetch continuously: wait until each holds as many bytes as the leader, then compare.
  const leaderBytes = await until("the leader's segment to hold every record", () => {
    const b = segmentOf(leader);
    let n = 0;
    for (const s of batchSpans(b)) n += readBatchHeader(b, s.position).recordCount;
    return n === sent.length ? b : null;
  });
  for (const id of [1, 2, 3]) {
    if (id === leader) continue;
    const copy = await until(`broker ${id} to catch up`, () => {
      const b = segmentOf(id);
      return b.length >= leaderBytes.length ? b : null;
    });
    expect(copy.equals(leaderBytes), `broker ${id}'s segment differs from leader ${leader}'s`).toBe(true);
  }

  // The leader's batches are the producer's: each codec as sent, an idempotent producer id and
  // consecutive sequences, a valid CRC, and the records that were produced.
  const codecs = new Set<CompressionType>();
  const values: string[] = [];
  let expectedOffset = 0;
  for (const s of batchSpans(leaderBytes)) {
    expect(checkBatch(leaderBytes, s.position).ok).toBe(true);
    const h = readBatchHeader(leaderBytes, s.position);
    expect(h.baseOffset).toBe(expectedOffset);
    expect(h.producerId).toBeGreaterThanOrEqual(0);
    expect(h.baseSequence).toBeGreaterThanOrEqual(0);
    expect(h.partitionLeaderEpoch).toBeGreaterThanOrEqual(0);
    codecs.add(compressionOf(h.attributes));
    for (const r of iterateRecords(leaderBytes, s.position)) values.push(r.value?.toString() ?? "");
    expectedOffset += h.recordCount;
  }
  expect([...codecs].sort()).toEqual([...CODECS].sort());
  expect(values).toEqual(sent);

  // And a consumer reads them back through the brokers.
  const consumed = await kcat([
    "-C",
    "-b",
    bootstrap(),
    "-t",
    TOPIC,
    "-p",
    "0",
    "-o",
    "beginning",
    "-e",
    "-q",
  ]);
  expect(consumed.code, consumed.stderr).toBe(0);
  expect(consumed.stdout.trim().split("\n")).toEqual(sent);
}, 90_000);
