/**
 * Hostile or extreme requests get a Kafka error, never a crashed broker: partition counts near 2^31,
 * client timeouts near 2^31 ms (beyond Node's timer range), producer ids the broker never issued; a
 * peer connection's replaced socket cannot kill its successor; a failing metadata snapshot is logged;
 * the idempotent-producer table is bounded; shutdown leaves no held request's timer running; requests
 * cannot make the cluster host more partitions than Kafka's per-request bound and max.partitions allow;
 * a broker out of file descriptors serves again once they free up.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { BrokerState } from "../../impl/broker/handlers/state.ts";
import { keepEmbeddedMetadata } from "../../impl/broker/metadata-snapshot.ts";
import { KafkaConnection } from "../../impl/broker/peer/connection.ts";
import { clampTimerMs, MAX_TIMER_MS } from "../../impl/broker/timer-limit.ts";
import { MAX_PARTITIONS_PER_TOPIC } from "../../impl/controller/controller.ts";
import { EmbeddedStore } from "../../impl/metadata/embedded.ts";
import { frame } from "../../impl/protocol/framing.ts";
import { KafkaErrorCode } from "../../spec/errors.ts";
import { freePortRange, kcat, spawnLive, waitForPort } from "../interop/support.ts";

let cluster: RunningCluster;
let port: number;
let dataDir: string;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-robustness-test-"));
  port = await freePortRange(1);
  cluster = await startCluster({
    brokers: 1,
    port,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1", "group.initial.rebalance.delay.ms": "300" },
    log: (l) => logs.push(l),
  });
});

afterAll(async () => {
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function client(): KafkaConnection {
  return new KafkaConnection(() => ({ host: "127.0.0.1", port }), "robustness-test");
}

describe("partition counts", () => {
  it("refuses CreateTopics and CreatePartitions above the per-topic bound with INVALID_PARTITIONS", async () => {
    const c = client();
    try {
      const huge = await c.request(19, 3, {
        topics: [
          { name: "huge", numPartitions: 2 ** 31 - 1, replicationFactor: 1, assignments: [], configs: [] },
          {
            name: "just-over",
            numPartitions: MAX_PARTITIONS_PER_TOPIC + 1,
            replicationFactor: 1,
            assignments: [],
            configs: [],
          },
          { name: "small", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] },
        ],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(huge.topics.map((t) => [t.name, t.errorCode])).toEqual([
        ["huge", KafkaErrorCode.INVALID_PARTITIONS],
        ["just-over", KafkaErrorCode.INVALID_PARTITIONS],
        ["small", 0],
      ]);
      const grow = await c.request(37, 1, {
        topics: [{ name: "small", count: 2 ** 31 - 1, assignments: null }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(grow.results[0].errorCode).toBe(KafkaErrorCode.INVALID_PARTITIONS);
      // Still serving, and the topic kept its two partitions.
      const md = await c.request(3, 1, { topics: [{ name: "small" }] });
      expect(md.topics[0].partitions).toHaveLength(2);
    } finally {
      c.close();
    }
  });
});

describe("partition budget (fuzz finding: seed 1560090197 grew a topic to 8196 partitions until EMFILE)", () => {
  const topic = (name: string, numPartitions: number) => ({
    name,
    numPartitions,
    replicationFactor: 1,
    assignments: [],
    configs: [],
  });

  it("refuses growing a topic to 8196 partitions with POLICY_VIOLATION (default max.partitions 4000) and keeps serving", async () => {
    const c = client();
    try {
      const made = await c.request(19, 3, {
        topics: [topic("fuzz-a", 4)],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(made.topics[0].errorCode).toBe(0);
      // The seed's request: CreatePartitions v1 for fuzz-a with count 4 + 2^13 (one flipped bit).
      const grow = await c.request(37, 1, {
        topics: [{ name: "fuzz-a", count: 8196, assignments: null }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(grow.results[0].errorCode).toBe(KafkaErrorCode.POLICY_VIOLATION);
      expect(grow.results[0].errorMessage).toMatch(/max\.partitions/);
      const versions = await c.request(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      expect(versions.errorCode).toBe(0);
      const md = await c.request(3, 1, { topics: [{ name: "fuzz-a" }] });
      expect(md.topics[0].partitions).toHaveLength(4);
      expect(logs.some((l) => /partition creation refused: max\.partitions is 4000/.test(l))).toBe(true);
    } finally {
      c.close();
    }
  });

  it("refuses a request of more than 10,000 metadata records whole, as Kafka's controller does", async () => {
    const c = client();
    try {
      // 3 x 3,334 partitions + 3 TopicRecords = 10,005 records; one invalid topic makes none and keeps its error.
      const r = await c.request(19, 3, {
        topics: [topic("big-1", 3334), topic("big-2", 3334), topic("big-3", 3334), topic("bad", 0)],
        timeoutMs: 5000,
        validateOnly: true,
      });
      expect(r.topics.map((t) => [t.name, t.errorCode, t.errorMessage])).toEqual(
        ["big-1", "big-2", "big-3", "bad"].map((n) => [
          n,
          KafkaErrorCode.POLICY_VIOLATION,
          "Unable to perform excessively large batch operation.",
        ]),
      );
      // Just under the bound (3 x 3,332 + 3 = 9,999) validates (validateOnly creates nothing).
      const fits = await c.request(19, 3, {
        topics: [topic("big-1", 3332), topic("big-2", 3332), topic("big-3", 3332)],
        timeoutMs: 5000,
        validateOnly: true,
      });
      expect(fits.topics.map((t) => t.errorCode)).toEqual([0, 0, 0]);
      const grow = await c.request(37, 1, {
        topics: [{ name: "small", count: 10_003, assignments: null }],
        timeoutMs: 5000,
        validateOnly: true,
      });
      expect(grow.results[0]).toMatchObject({
        errorCode: KafkaErrorCode.POLICY_VIOLATION,
        errorMessage: "Unable to perform excessively large batch operation.",
      });
    } finally {
      c.close();
    }
  });

  it("holds max.partitions under concurrent CreateTopics, CreatePartitions and Metadata auto-creation", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkaspec-budget-test-"));
    const p = await freePortRange(1);
    const own = await startCluster({
      brokers: 1,
      port: p,
      dataDir: dir,
      properties: { "max.partitions": "12", "offsets.topic.num.partitions": "1" },
      log: () => {},
    });
    const c = new KafkaConnection(() => ({ host: "127.0.0.1", port: p }), "budget-test");
    try {
      // Five requests of five partitions race for twelve: exactly two fit.
      const answers = await Promise.all(
        [1, 2, 3, 4, 5].map((i) =>
          c.request(19, 3, { topics: [topic(`race-${i}`, 5)], timeoutMs: 5000, validateOnly: false }),
        ),
      );
      const codes = answers.map((a) => a.topics[0].errorCode).sort();
      expect(codes).toEqual([0, 0, 44, 44, 44]);
      const refused = answers.find((a) => a.topics[0].errorCode === KafkaErrorCode.POLICY_VIOLATION);
      expect(refused?.topics[0].errorMessage).toMatch(/max\.partitions \(12\)/);
      const winner = answers.find((a) => a.topics[0].errorCode === 0)?.topics[0].name ?? "";
      // 10 of 12 used: growing by 3 is refused, by 2 fits; then auto-creation finds no room.
      const by3 = await c.request(37, 1, {
        topics: [{ name: winner, count: 8, assignments: null }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(by3.results[0].errorCode).toBe(KafkaErrorCode.POLICY_VIOLATION);
      const by2 = await c.request(37, 1, {
        topics: [{ name: winner, count: 7, assignments: null }],
        timeoutMs: 5000,
        validateOnly: false,
      });
      expect(by2.results[0].errorCode).toBe(0);
      const auto = await c.request(3, 9, { topics: [{ name: "auto-x" }], allowAutoTopicCreation: true });
      expect(auto.topics[0].errorCode).toBe(KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      const all = await c.request(3, 9, { topics: null, allowAutoTopicCreation: false });
      expect(all.topics.reduce((n, t) => n + t.partitions.length, 0)).toBe(12);
    } finally {
      c.close();
      await own.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(process.platform !== "linux")("out of file descriptors", () => {
  it("an accept() error reported by libuv is logged once, makes storage close idle descriptors, and the server keeps listening", async () => {
    // The net.Server behind BrokerServer: without a listener its "error" would be thrown at the emitter.
    const server = (cluster.brokers[0].server as unknown as { server: import("node:net").Server }).server;
    const before = logs.length;
    for (let i = 0; i < 5; i++)
      server.emit("error", Object.assign(new Error("accept EMFILE"), { code: "EMFILE", syscall: "accept" }));
    const lines = logs.slice(before).filter((l) => /accept failed \(EMFILE\)/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/closed \d+ idle storage descriptors; still listening/);
    const c = client();
    try {
      const versions = await c.request(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      expect(versions.errorCode).toBe(0);
    } finally {
      c.close();
    }
  });

  it("a broker limited to 256 descriptors hosts 100 partitions, survives 400 held connections, then serves again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkaspec-emfile-test-"));
    const p = await freePortRange(1);
    const broker = spawnLive(
      "bash",
      [
        "-c",
        `ulimit -n 256 && exec "${process.execPath}" bin/kafkaspec.mjs cluster --brokers 1 --port ${p} --data-dir "${dir}" --override offsets.topic.num.partitions=1`,
      ],
      {},
    );
    const sockets: Socket[] = [];
    let dropped = 0;
    const c = new KafkaConnection(() => ({ host: "127.0.0.1", port: p }), "emfile-test", 10_000);
    try {
      await waitForPort(p);
      // 100 partitions are 300 segment files: more than the process may open, fine when opened on use.
      const made = await c.request(19, 3, {
        topics: [{ name: "wide", numPartitions: 100, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 30_000,
        validateOnly: false,
      });
      expect(made.topics[0].errorCode).toBe(0);
      c.close();
      // 400 connections at once: the broker runs out of descriptors for accept().
      await Promise.all(
        Array.from(
          { length: 400 },
          () =>
            new Promise<void>((res) => {
              const s = createConnection({ host: "127.0.0.1", port: p });
              sockets.push(s);
              s.on("error", () => res());
              s.once("connect", () => res());
              s.once("close", () => {
                dropped++;
                res();
              });
            }),
        ),
      );
      await new Promise((r) => setTimeout(r, 500));
      // The broker could not accept them all: libuv accepted and closed what it had no descriptor for.
      expect(dropped).toBeGreaterThan(0);
      for (const s of sockets) s.destroy();
      // Descriptors free again: new connections are accepted and every partition still takes writes.
      const after = new KafkaConnection(() => ({ host: "127.0.0.1", port: p }), "emfile-test-after", 2_000);
      let versions: { errorCode: number } | null = null;
      for (let i = 0; i < 50 && versions === null; i++) {
        versions = await after
          .request(18, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" })
          .catch(() => null);
        if (versions === null) await new Promise((r) => setTimeout(r, 200));
      }
      after.close();
      expect(versions?.errorCode, broker.output().slice(-2000)).toBe(0);
      const values = Array.from({ length: 300 }, (_, i) => `v${i}`);
      const produced = await kcat(
        ["-b", `127.0.0.1:${p}`, "-P", "-t", "wide", "-X", "acks=all"],
        `${values.join("\n")}\n`,
      );
      expect(produced.code, produced.stderr).toBe(0);
      const consumed = await kcat([
        "-b",
        `127.0.0.1:${p}`,
        "-C",
        "-t",
        "wide",
        "-o",
        "beginning",
        "-e",
        "-f",
        "%s\\n",
      ]);
      expect(consumed.code, consumed.stderr).toBe(0);
      expect(consumed.stdout.trim().split("\n").sort()).toEqual([...values].sort());
      expect(broker.output()).not.toMatch(/uncaught|unhandled|FATAL/i);
    } finally {
      for (const s of sockets) s.destroy();
      c.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("timeouts beyond Node's timer range", () => {
  it("clamps to 2^31-1 ms", () => {
    expect(clampTimerMs(2 ** 31 - 1 + 30_000)).toBe(MAX_TIMER_MS);
    expect(clampTimerMs(-5)).toBe(0);
    expect(clampTimerMs(Number.NaN)).toBe(0);
    expect(clampTimerMs(1234)).toBe(1234);
  });

  it("a JoinGroup with rebalanceTimeoutMs 2^31-1 waits for the rebalance instead of timing out at once", async () => {
    const c = client();
    try {
      for (let i = 0; i < 100; i++) {
        const fc = await c.request(10, 1, { key: "g-huge", keyType: 0 });
        if (fc.errorCode === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const joined = await c.request(11, 3, {
        groupId: "g-huge",
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 2 ** 31 - 1,
        memberId: "",
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
      });
      expect(joined.errorCode).toBe(0);
      expect(joined.generationId).toBeGreaterThanOrEqual(1);
    } finally {
      c.close();
    }
  });
});

describe("InitProducerId v3+", () => {
  it("bumps the epoch of an id this broker issued and refuses any other with INVALID_PRODUCER_ID_MAPPING", async () => {
    const c = client();
    try {
      const base = { transactionalId: null, transactionTimeoutMs: 60_000 };
      const fresh = await c.request(22, 3, { ...base, producerId: -1n, producerEpoch: -1 });
      expect(fresh.errorCode).toBe(0);
      const bumped = await c.request(22, 3, { ...base, producerId: fresh.producerId, producerEpoch: 0 });
      expect(bumped).toMatchObject({ errorCode: 0, producerId: fresh.producerId, producerEpoch: 1 });
      for (const producerId of [fresh.producerId + 5000n, 2n ** 62n]) {
        const forged = await c.request(22, 3, { ...base, producerId, producerEpoch: 7 });
        expect(forged.errorCode).toBe(KafkaErrorCode.INVALID_PRODUCER_ID_MAPPING);
      }
    } finally {
      c.close();
    }
  });
});

describe("idempotent producer table", () => {
  it("forgets the least recently used producer beyond its bound", () => {
    const s = new BrokerState(3);
    const ok = Promise.resolve({ baseOffset: 0, error: null });
    for (const pid of [1, 2, 3]) s.record("t", 0, pid, 0, 0, 1, ok);
    // Producer 1 is used again, so producer 2 is the least recently used when 4 arrives.
    expect(s.check("t", 0, 1, 0, 0, 1).kind).toBe("duplicate");
    s.record("t", 0, 4, 0, 0, 1, ok);
    expect(s.size).toBe(3);
    expect(s.check("t", 0, 2, 0, 0, 1).kind).toBe("new");
    for (const pid of [1, 3, 4]) expect(s.check("t", 0, pid, 0, 0, 1).kind).toBe("duplicate");
  });
});

describe("peer connection", () => {
  it("a replaced socket's late close does not fail the request sent on its successor", async () => {
    let connections = 0;
    const sockets: Socket[] = [];
    const server = createServer((s) => {
      sockets.push(s);
      const n = ++connections;
      s.on("error", () => {});
      s.on("data", (d: Buffer) => {
        // The first connection answers with a frame of negative length (the client drops it); the
        // second echoes the correlation id of each request back as its whole response.
        if (n === 1) s.write(Buffer.from([0xff, 0xff, 0xff, 0xff]));
        else s.write(frame(d.subarray(4 + 4, 4 + 8)));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    const c = new KafkaConnection(() => ({ host: "127.0.0.1", port: address.port }), "t", 5_000);
    const encode = (corr: number) => {
      const b = Buffer.alloc(12);
      b.writeInt32BE(8, 0);
      b.writeInt32BE(0, 4);
      b.writeInt32BE(corr, 8);
      return [b];
    };
    const decode = (f: Buffer) => f.readInt32BE(0);
    try {
      // The retry is sent from the rejection, before the first socket's close event has fired.
      const second = await c.requestEncoded(encode, decode).then(
        () => Promise.reject(new Error("the first connection should have failed")),
        () => c.requestEncoded(encode, decode),
      );
      expect(second).toBe(2);
      expect(connections).toBe(2);
    } finally {
      c.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    }
  });
});

describe("embedded metadata snapshot", () => {
  it("logs a save that fails and keeps running", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkaspec-snapshot-test-"));
    const store = new EmbeddedStore();
    const lines: string[] = [];
    const keeper = await keepEmbeddedMetadata(store, join(dir, "gone", "snapshot.json"), 10, (l) =>
      lines.push(l),
    );
    try {
      const s = await store.connect({ sessionTimeoutMs: 10_000 });
      await s.create("/x", Buffer.from("y"), "persistent");
      await new Promise((r) => setTimeout(r, 60));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatch(/metadata snapshot .* not saved/);
      await s.close();
    } finally {
      expect(() => keeper.stop()).not.toThrow();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("shutdown", () => {
  it("ends a held wait at once instead of leaving its timer to run", async () => {
    const dir = mkdtempSync(join(tmpdir(), "kafkaspec-shutdown-test-"));
    const p = await freePortRange(1);
    const own = await startCluster({ brokers: 1, port: p, dataDir: dir, log: () => {} });
    try {
      const rt = own.brokers[0].runtime;
      // A held client fetch waits like this; ten minutes would keep the process alive after stop.
      const held = rt.waitForChange(600_000).then(() => "ended");
      await new Promise((r) => setTimeout(r, 50));
      await own.stop();
      const outcome = await Promise.race([
        held,
        new Promise((r) => setTimeout(() => r("still held"), 2_000)),
      ]);
      expect(outcome).toBe("ended");
      // And a wait that starts after shutdown (a fetch handler's next loop) does not start a timer.
      const late = rt.waitForChange(600_000).then(() => "ended");
      expect(await Promise.race([late, new Promise((r) => setTimeout(() => r("still held"), 500))])).toBe(
        "ended",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
