/**
 * A broker handed many partitions at once stays responsive and isolates failures: a LeaderAndIsr is
 * applied in slices of the event loop (other requests are answered while it runs, whether it came over
 * the wire or from the broker's own controller), and a partition whose log fails to open is answered
 * KAFKA_STORAGE_ERROR while the rest of the batch is applied (Kafka's ReplicaManager.makeLeaders).
 *
 * The "slow disk" below makes creating a segment cost a fixed 3 ms on top of the real fsyncs, so a batch
 * surely spans many slices on any machine: the tests assert orderings (answered while the batch was still
 * being applied), never wall-clock figures. bench/many-partitions.ts measures the timings.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, sep } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningBroker } from "../../impl/broker/broker.ts";
import { type RunningCluster, startCluster } from "../../impl/broker/cluster.ts";
import { brokerConfigFrom, ConfigError } from "../../impl/broker/config.ts";
import { KafkaConnection } from "../../impl/broker/peer/connection.ts";
import { PeerLinks } from "../../impl/broker/peer/links.ts";
import { leaderAndIsrBody, stopReplicaBody } from "../../impl/broker/peer/mapping.ts";
import type { PartitionStateMessage } from "../../impl/controller/messages.ts";
import { HW_CHECKPOINTS_PER_STEP } from "../../impl/node/broker-node.ts";
import { DEFAULT_MAX_OPEN_FILES, type DiskFileSystem } from "../../impl/storage/disk-fs.ts";
import { KafkaErrorCode } from "../../spec/errors.ts";
import { freePortRange } from "../interop/support.ts";

let cluster: RunningCluster;
let broker: RunningBroker;
let port: number;
let dataDir: string;
const logs: string[] = [];
const connections: KafkaConnection[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-many-partitions-test-"));
  port = await freePortRange(1);
  cluster = await startCluster({
    brokers: 1,
    port,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1", "kafkaspec.log.max.open.files": "64" },
    log: (l) => logs.push(l),
  });
  broker = cluster.brokers[0];
  await broker.runtime.ready();
});

afterAll(async () => {
  for (const c of connections) c.close();
  await cluster?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

function connect(name: string): KafkaConnection {
  const c = new KafkaConnection(() => ({ host: "127.0.0.1", port }), name, 120_000);
  connections.push(c);
  return c;
}

function fs(): DiskFileSystem {
  return broker.runtime.logs.fs;
}

/** Partition states this broker leads alone, as a controller would send them for a new topic. */
function states(topic: string, count: number, leaderEpoch = 0): PartitionStateMessage[] {
  return Array.from({ length: count }, (_, partition) => ({
    topic,
    partition,
    leader: 1,
    leaderEpoch,
    isr: [1],
    replicas: [1],
    partitionEpoch: leaderEpoch,
    config: { minInsyncReplicas: 1, uncleanLeaderElection: false },
  }));
}

/** A LeaderAndIsr (v2) over TCP, as the controller's PeerLinks sends it, under the current controller epoch. */
function sendLeaderAndIsr(c: KafkaConnection, partitions: PartitionStateMessage[]) {
  const m = {
    type: "leaderAndIsr" as const,
    controllerId: 1,
    controllerEpoch: broker.runtime.node.controller.epoch,
    partitions,
  };
  return c.request(
    4,
    2,
    leaderAndIsrBody(m, () => ({ host: "127.0.0.1", port })),
  );
}

function hosted(topic: string): number {
  let n = 0;
  for (const r of broker.runtime.node.replicas.values()) if (r.topic === topic) n++;
  return n;
}

/** Makes every new segment cost `ms` more (busy: the event loop is held, as by a slow fsync). */
function slowDisk(ms: number): () => void {
  const f = fs();
  const original = f.createFiles;
  f.createFiles = (paths) => {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // a disk slower than this machine's
    }
    original.call(f, paths);
  };
  return () => {
    f.createFiles = original;
  };
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

describe("a large LeaderAndIsr", () => {
  it("from the wire: ApiVersions is answered while it is being applied", async () => {
    const restore = slowDisk(3);
    try {
      const count = 120;
      const control = connect("controller");
      const client = connect("client");
      const applied = sendLeaderAndIsr(control, states("wire", count));
      await until(() => hosted("wire") > 0, "the first partitions");
      const versions = await client.request(18, 0, {} as never);
      const hostedWhenAnswered = hosted("wire");
      expect(versions.errorCode).toBe(0);
      expect(hostedWhenAnswered).toBeLessThan(count);
      const res = await applied;
      expect(res.errorCode).toBe(0);
      expect(res.partitionErrors.filter((p) => p.errorCode !== 0)).toEqual([]);
      expect(hosted("wire")).toBe(count);
      for (const r of broker.runtime.node.replicas.values())
        if (r.topic === "wire") expect(r.role).toBe("leader");
    } finally {
      restore();
    }
  });

  it("from its own controller (CreateTopics): ApiVersions is answered while it is being applied", async () => {
    const restore = slowDisk(3);
    try {
      const count = 120;
      const admin = connect("admin");
      const client = connect("client-2");
      const created = admin.request(19, 3, {
        topics: [{ name: "local", numPartitions: count, replicationFactor: 1, assignments: [], configs: [] }],
        timeoutMs: 60_000,
        validateOnly: false,
      } as never);
      await until(() => hosted("local") > 0, "the first partitions");
      const versions = await client.request(18, 0, {} as never);
      const hostedWhenAnswered = hosted("local");
      expect(versions.errorCode).toBe(0);
      expect(hostedWhenAnswered).toBeLessThan(count);
      const res = (await created) as { topics: Array<{ errorCode: number }> };
      expect(res.topics[0].errorCode).toBe(0);
      await until(() => hosted("local") === count, "every partition");
    } finally {
      restore();
    }
  });
});

describe("a partition whose log fails to open", () => {
  it("is answered KAFKA_STORAGE_ERROR; the rest of the batch is applied; a later LeaderAndIsr retries it", async () => {
    const f = fs();
    const original = f.mkdir;
    f.mkdir = (path) => {
      if (path.endsWith(`${sep}disk-3`)) {
        throw Object.assign(new Error(`EIO: i/o error, mkdir '${path}'`), { code: "EIO" });
      }
      original.call(f, path);
    };
    const control = connect("controller-2");
    try {
      const res = await sendLeaderAndIsr(control, states("disk", 8));
      const errors = res.partitionErrors.map((p) => [p.partitionIndex, p.errorCode]);
      expect(errors).toEqual(
        [0, 1, 2, 3, 4, 5, 6, 7].map((p) => [p, p === 3 ? KafkaErrorCode.KAFKA_STORAGE_ERROR : 0]),
      );
      expect(hosted("disk")).toBe(7);
      expect(logs.some((l) => l.includes("KAFKA_STORAGE_ERROR for disk-3 (EIO"))).toBe(true);

      const record = [{ key: null, value: Buffer.from("x") }];
      const produce = (partition: number) =>
        broker.runtime.call({
          api: "produce",
          topic: "disk",
          partition,
          acks: 1,
          timeoutMs: 5_000,
          records: record,
        });
      expect(await produce(3)).toMatchObject({ api: "produce", error: "KAFKA_STORAGE_ERROR" });
      expect(await produce(4)).toMatchObject({ api: "produce", error: null, baseOffset: 0 });
    } finally {
      f.mkdir = original;
    }
    // The disk is back: the next state change for the partition opens its log.
    const again = await sendLeaderAndIsr(control, states("disk", 8, 1).slice(3, 4));
    expect(again.partitionErrors).toEqual([{ topicName: "disk", partitionIndex: 3, errorCode: 0 }]);
    expect(hosted("disk")).toBe(8);
    const ok = await broker.runtime.call({
      api: "produce",
      topic: "disk",
      partition: 3,
      acks: 1,
      timeoutMs: 5_000,
      records: [{ key: null, value: Buffer.from("y") }],
    });
    expect(ok).toMatchObject({ api: "produce", error: null, baseOffset: 0 });
  });
});

describe("kafkaspec.log.max.open.files", () => {
  it("caps the storage's open descriptors: the broker passes it to its log store", () => {
    expect(fs().descriptors.maxOpen).toBe(64);
    expect(broker.runtime.config.ignored).not.toContain("kafkaspec.log.max.open.files");
  });

  it("defaults to the storage's own cap and refuses values below 1", () => {
    expect(brokerConfigFrom(new Map()).logMaxOpenFiles).toBe(DEFAULT_MAX_OPEN_FILES);
    expect(brokerConfigFrom(new Map([["kafkaspec.log.max.open.files", "1000"]])).logMaxOpenFiles).toBe(1000);
    expect(() => brokerConfigFrom(new Map([["kafkaspec.log.max.open.files", "0"]]))).toThrow(ConfigError);
    expect(() => brokerConfigFrom(new Map([["kafkaspec.log.max.open.files", "many"]]))).toThrow(ConfigError);
  });
});

/**
 * A proxy in front of the broker that cuts the first `drop` connections as soon as a request arrives on
 * them (the request is lost with its connection), then forwards.
 */
async function lossyProxy(
  drop: number,
): Promise<{ port: number; connections: () => number; close: () => void }> {
  let seen = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((inbound) => {
    sockets.push(inbound);
    if (++seen <= drop) {
      inbound.once("data", () => inbound.destroy());
      return;
    }
    const out = createConnection({ host: "127.0.0.1", port });
    sockets.push(out);
    inbound.pipe(out).pipe(inbound);
    inbound.on("error", () => out.destroy());
    out.on("error", () => inbound.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no proxy port");
  return {
    port: address.port,
    connections: () => seen,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

describe("a controller request lost on the way to a live broker", () => {
  const lost = (topic: string) => ({
    type: "leaderAndIsr" as const,
    controllerId: 1,
    controllerEpoch: broker.runtime.node.controller.epoch,
    partitions: states(topic, 2),
  });

  it("is sent again until the broker answers it (Kafka's controller channel retries)", async () => {
    const proxy = await lossyProxy(2);
    const lines: string[] = [];
    const links = new PeerLinks(
      9,
      () => ({ host: "127.0.0.1", port: proxy.port }),
      () => {},
      500,
      (l) => lines.push(l),
      undefined,
      () => true,
    );
    try {
      links.send(1, lost("resent"));
      await until(() => hosted("resent") === 2, "the resent LeaderAndIsr", 10_000);
      expect(proxy.connections()).toBe(3);
      expect(lines.some((l) => l.includes("leaderAndIsr to broker 1: sending again"))).toBe(true);
    } finally {
      links.close();
      proxy.close();
    }
  });

  it("is dropped once it is no longer wanted (the controller resigned or the broker is gone)", async () => {
    const proxy = await lossyProxy(1);
    let wanted = true;
    const links = new PeerLinks(
      9,
      () => ({ host: "127.0.0.1", port: proxy.port }),
      () => {},
      500,
      () => {},
      undefined,
      () => wanted,
    );
    try {
      links.send(1, lost("dropped"));
      await until(() => proxy.connections() === 1, "the first attempt");
      // The first attempt is lost; before the retry (100 ms on), the controller resigns.
      wanted = false;
      await new Promise((r) => setTimeout(r, 500));
      expect(proxy.connections()).toBe(1);
      expect(hosted("dropped")).toBe(0);
    } finally {
      links.close();
      proxy.close();
    }
  });
});

describe("high watermark checkpoints of many partitions", () => {
  it("are written a few per step, the rest in continuation timers, not all in one step", async () => {
    const count = 100;
    for (let partition = 0; partition < count; partition++) {
      const r = await broker.runtime.call({
        api: "produce",
        topic: "wire",
        partition,
        acks: 1,
        timeoutMs: 5_000,
        records: [{ key: null, value: Buffer.from("hw") }],
      });
      expect(r).toMatchObject({ error: null });
    }
    const dir = broker.runtime.config.logDirs[0];
    // Each checkpoint records the replica's high watermark in the log dir's table; the store writes the
    // table as one replication-offset-checkpoint file (Kafka's layout) once the round is done.
    const hws = broker.runtime.logs.highWatermarks;
    const written = () => {
      let n = 0;
      for (let p = 0; p < count; p++) if (hws.get(`wire-${p}`) === 1) n++;
      return n;
    };
    // Driven by hand in one turn, so the broker's own 5 s timer cannot interleave.
    const node = broker.runtime.node;
    const now = Date.now();
    let effects = node.onTimer("hwCheckpoint", now);
    let steps = 1;
    const replicas = node.replicas.size;
    expect(written()).toBeGreaterThan(0);
    expect(written()).toBeLessThanOrEqual(HW_CHECKPOINTS_PER_STEP);
    while (effects.some((e) => e.type === "timer" && e.key === "hwCheckpoint:more")) {
      effects = node.onTimer("hwCheckpoint:more", now);
      steps++;
    }
    expect(written()).toBe(count);
    expect(steps).toBe(Math.ceil(replicas / HW_CHECKPOINTS_PER_STEP));
    broker.runtime.logs.flushHighWatermarks();
    const file = readFileSync(join(dir, "replication-offset-checkpoint"), "utf8");
    for (let p = 0; p < count; p++) expect(file).toContain(`\nwire ${p} 1\n`);
    expect(existsSync(join(dir, "wire-0", "high-watermark-checkpoint"))).toBe(false);
  });
});

describe("a large StopReplica (topic deletion)", () => {
  it("is applied in slices, and a log that cannot be deleted is answered KAFKA_STORAGE_ERROR", async () => {
    const logs = broker.runtime.logs;
    const original = logs.delete;
    logs.delete = (topic, partition) => {
      const until = performance.now() + 3;
      while (performance.now() < until) {
        // a disk slower than this machine's
      }
      if (partition === 7) throw Object.assign(new Error("EIO: i/o error, rmdir"), { code: "EIO" });
      original.call(logs, topic, partition);
    };
    try {
      const count = 120;
      expect(hosted("wire")).toBe(count);
      const control = connect("controller-3");
      const client = connect("client-3");
      const m = {
        type: "stopReplica" as const,
        controllerId: 1,
        controllerEpoch: broker.runtime.node.controller.epoch,
        deletePartitions: true,
        partitions: Array.from({ length: count }, (_, partition) => ({ topic: "wire", partition })),
      };
      const stopped = control.request(5, 1, stopReplicaBody(m));
      await until(() => hosted("wire") < count, "the first deletions");
      const versions = await client.request(18, 0, {} as never);
      expect(versions.errorCode).toBe(0);
      expect(hosted("wire")).toBeGreaterThan(0);
      const res = await stopped;
      expect(res.partitionErrors.filter((p) => p.errorCode !== 0)).toEqual([
        { topicName: "wire", partitionIndex: 7, errorCode: KafkaErrorCode.KAFKA_STORAGE_ERROR },
      ]);
      expect(hosted("wire")).toBe(0);
    } finally {
      logs.delete = original;
    }
  });
});
