/**
 * The broker's protocol edges over a real socket: pipelining answered in order, acks=0 answered not at
 * all, errors for frames that cannot be served (and the broker still serving afterwards), CRC and size
 * checks on produce, idempotent duplicates, and Fetch holding for minBytes up to maxWaitMs.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { KafkaConnection } from "../../impl/broker/peer/connection.ts";
import { FrameReader } from "../../impl/protocol/framing.ts";
import { concatFrame, decodeResponse, encodeRequest } from "../../impl/protocol/index.ts";
import { encodeBatch } from "../../impl/records/batch.ts";
import { freePortRange } from "../interop/support.ts";

let cluster: RunningCluster;
let port: number;
let dataDir: string;
const MAX_REQUEST = 64 * 1024;
const MAX_MESSAGE = 2048;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-protocol-test-"));
  port = await freePortRange(1);
  cluster = await startCluster({
    brokers: 1,
    port,
    dataDir,
    properties: {
      "socket.request.max.bytes": String(MAX_REQUEST),
      "message.max.bytes": String(MAX_MESSAGE),
      "offsets.topic.num.partitions": "1",
      "group.initial.rebalance.delay.ms": "0",
    },
    log: () => {},
  });
  const c = client();
  await c.request(19, 3, {
    topics: [{ name: "p", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 5000,
  });
  c.close();
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(): KafkaConnection {
  return new KafkaConnection(() => ({ host: "127.0.0.1", port }), "protocol-test");
}

/** A raw socket that collects whole response frames. */
function raw(): {
  socket: Socket;
  frames: Buffer[];
  closed: Promise<void>;
  next: (n: number) => Promise<Buffer[]>;
} {
  const socket = createConnection({ host: "127.0.0.1", port });
  const frames: Buffer[] = [];
  const reader = new FrameReader();
  let wake: () => void = () => {};
  socket.on("data", (d: Buffer) => {
    const r = reader.push(d);
    if (r.ok) frames.push(...r.frames);
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.on("error", () => {});
  const next = async (n: number) => {
    const deadline = Date.now() + 10_000;
    while (frames.length < n && Date.now() < deadline) {
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    return frames.splice(0, n);
  };
  return { socket, frames, closed, next };
}

function produceFrame(correlationId: number, acks: number, records: Buffer, topic = "p"): Buffer {
  return concatFrame(
    encodeRequest(
      { apiKey: 0, apiVersion: 7, correlationId, clientId: "t" },
      { acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] },
    ),
  );
}

function produceError(frame: Buffer): { errorCode: number; baseOffset: bigint } {
  const r = decodeResponse(0, 7, frame);
  if (!r.ok) throw new Error("bad produce response");
  const p = r.value.body.responses[0].partitionResponses[0];
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

const batch = (values: string[], opts = {}) =>
  encodeBatch(
    values.map((v) => ({ value: Buffer.from(v), timestamp: Date.now() })),
    opts,
  );

describe("ordering", () => {
  it("answers pipelined requests in request order, each with its correlation id", async () => {
    const s = raw();
    const frames: Buffer[] = [];
    for (let i = 0; i < 20; i++) {
      // Slow (a Fetch held 150 ms for data) and fast requests interleaved in one write.
      frames.push(
        i % 4 === 0
          ? concatFrame(
              encodeRequest(
                { apiKey: 1, apiVersion: 4, correlationId: i, clientId: "t" },
                {
                  replicaId: -1,
                  maxWaitMs: 150,
                  minBytes: 1_000_000,
                  maxBytes: 1 << 20,
                  topics: [
                    {
                      topic: "p",
                      partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }],
                    },
                  ],
                },
              ),
            )
          : concatFrame(
              encodeRequest(
                {
                  apiKey: i % 2 === 0 ? 18 : 3,
                  apiVersion: i % 2 === 0 ? 0 : 1,
                  correlationId: i,
                  clientId: "t",
                },
                {
                  topics: [],
                } as never,
              ),
            ),
      );
    }
    s.socket.write(Buffer.concat(frames));
    const got = await s.next(20);
    expect(got.map((f) => f.readInt32BE(0))).toEqual([...Array(20).keys()]);
    s.socket.destroy();
  });

  it("gives acks=0 no response, and the next request's answer still comes in order", async () => {
    const s = raw();
    const metadata = concatFrame(
      encodeRequest({ apiKey: 3, apiVersion: 1, correlationId: 2, clientId: "t" }, { topics: null }),
    );
    s.socket.write(Buffer.concat([produceFrame(1, 0, batch(["fire-and-forget"])), metadata]));
    const got = await s.next(1);
    expect(got[0].readInt32BE(0)).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.frames).toHaveLength(0);
    s.socket.destroy();
  });
});

describe("errors never take the broker down", () => {
  it("answers an ApiVersions version it does not serve in the v0 layout with error 35 and key 18's range", async () => {
    const s = raw();
    const frame = Buffer.alloc(4 + 10);
    frame.writeInt32BE(10, 0);
    frame.writeInt16BE(18, 4);
    frame.writeInt16BE(99, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12);
    s.socket.write(frame);
    const [res] = await s.next(1);
    const r = decodeResponse(18, 0, res);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.correlationId).toBe(7);
    expect(r.value.body.errorCode).toBe(35);
    expect(r.value.body.apiKeys.map((k) => k.apiKey)).toEqual([18]);
    s.socket.destroy();
  });

  it("answers a malformed body with INVALID_REQUEST, closes on an unknown api key and on an oversized frame", async () => {
    const bad = raw();
    // Metadata v1 whose topic array claims 1000 entries and ends.
    const body = Buffer.alloc(4 + 2 + 2 + 4 + 2 + 4);
    body.writeInt32BE(body.length - 4, 0);
    body.writeInt16BE(3, 4);
    body.writeInt16BE(1, 6);
    body.writeInt32BE(11, 8);
    body.writeInt16BE(-1, 12);
    body.writeInt32BE(1000, 14);
    bad.socket.write(body);
    const [res] = await bad.next(1);
    expect(res.readInt32BE(0)).toBe(11);
    bad.socket.destroy();

    const unknown = raw();
    const u = Buffer.alloc(14);
    u.writeInt32BE(10, 0);
    u.writeInt16BE(999, 4);
    unknown.socket.write(u);
    await unknown.closed;

    const big = raw();
    const header = Buffer.alloc(4);
    header.writeInt32BE(MAX_REQUEST + 1, 0);
    big.socket.write(header);
    await big.closed;

    // Still serving.
    const c = client();
    const v = await c.request(18, 0, {});
    expect(v.errorCode).toBe(0);
    c.close();
  });
});

describe("produce checks", () => {
  it("rejects a batch whose CRC does not match with CORRUPT_MESSAGE", async () => {
    const b = batch(["x"]);
    b[b.length - 1] ^= 0xff;
    const s = raw();
    s.socket.write(produceFrame(1, 1, b));
    const [res] = await s.next(1);
    expect(produceError(res).errorCode).toBe(2);
    s.socket.destroy();
  });

  it("rejects a batch over message.max.bytes with MESSAGE_TOO_LARGE", async () => {
    const s = raw();
    s.socket.write(produceFrame(1, 1, batch(["y".repeat(MAX_MESSAGE)])));
    const [res] = await s.next(1);
    expect(produceError(res).errorCode).toBe(10);
    s.socket.destroy();
  });

  it("answers a retried idempotent batch with its original offset and appends it once", async () => {
    const c = client();
    const init = await c.request(22, 1, { transactionalId: null, transactionTimeoutMs: 60_000 });
    const pid = Number(init.producerId);
    const send = async (seq: number, values: string[]) => {
      const r = await c.request(0, 7, {
        acks: -1,
        timeoutMs: 5000,
        topicData: [
          {
            name: "p",
            partitionData: [
              { index: 0, records: batch(values, { producerId: pid, producerEpoch: 0, baseSequence: seq }) },
            ],
          },
        ],
      });
      return r.responses[0].partitionResponses[0];
    };
    const first = await send(0, ["a", "b"]);
    const retry = await send(0, ["a", "b"]);
    const next = await send(2, ["c"]);
    expect(first.errorCode).toBe(0);
    expect(retry).toMatchObject({ errorCode: 0, baseOffset: first.baseOffset });
    expect(next.baseOffset).toBe(first.baseOffset + 2n);
    const gap = await send(7, ["d"]);
    expect(gap.errorCode).toBe(45);
    c.close();
  });
});

describe("fetch", () => {
  it("holds a fetch at the log end until data arrives, and answers empty after maxWaitMs", async () => {
    const c = client();
    const end = await c.request(2, 1, {
      replicaId: -1,
      topics: [{ name: "p", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
    });
    const offset = end.topics[0].partitions[0].offset;
    const fetch = (maxWaitMs: number) =>
      c.request(1, 4, {
        replicaId: -1,
        maxWaitMs,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [
          { topic: "p", partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] },
        ],
      });
    let t0 = Date.now();
    const empty = await fetch(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(empty.responses[0].partitions[0].records?.length ?? 0).toBe(0);

    t0 = Date.now();
    const held = fetch(5000);
    const p = client();
    await new Promise((r) => setTimeout(r, 100));
    await p.request(0, 7, {
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: "p", partitionData: [{ index: 0, records: batch(["late"]) }] }],
    });
    const got = await held;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(got.responses[0].partitions[0].records?.length ?? 0).toBeGreaterThan(0);
    c.close();
    p.close();
  });
});
