/**
 * Real clients over real sockets against a minimal server built on the codec alone: it answers
 * ApiVersions and Metadata (one broker, topic "orders" with 2 partitions) and closes the connection on
 * anything else. This proves the codec's framing, headers and bodies against kafkajs, kafka-python 2.0.2
 * and librdkafka (kcat) as they really negotiate, including the KIP-511 ApiVersions fallback.
 * Tests for a client that is not installed are skipped, saying which.
 */
import { execFile, execFileSync } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type AdvertiseOptions,
  advertisedRanges,
  decodeRequest,
  definedRange,
  encodeApiVersionsFallback,
  encodeResponse,
  FrameReader,
} from "../../impl/protocol/index.ts";

const run = promisify(execFile);

interface CodecServer {
  port: number;
  /** "Api vN" for every request received, in order. */
  seen: string[];
  close: () => Promise<void>;
}

async function startCodecServer(advertise: AdvertiseOptions = {}): Promise<CodecServer> {
  const ranges = advertisedRanges(advertise);
  const apiVersionsMax = ranges.find((r) => r.apiKey === 18)?.maxVersion ?? definedRange(18).max;
  const seen: string[] = [];
  const sockets = new Set<net.Socket>();
  let port = 0;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const reader = new FrameReader();
    socket.on("data", (chunk) => {
      const pushed = reader.push(chunk);
      if (!pushed.ok) return socket.destroy();
      for (const frame of pushed.frames) {
        const d = decodeRequest(frame);
        if (!d.ok) {
          const e = d.error;
          seen.push(`${e.apiKey} v${e.apiVersion} ${e.kind}`);
          if (e.kind === "unsupported-version" && e.apiKey === 18) {
            for (const c of encodeApiVersionsFallback(e.correlationId, { min: 0, max: apiVersionsMax }))
              socket.write(c);
            continue;
          }
          return socket.destroy();
        }
        const req = d.value;
        seen.push(`${req.apiKey} v${req.apiVersion}`);
        const id = req.header.correlationId;
        if (req.apiKey === 18 && req.apiVersion > apiVersionsMax) {
          for (const c of encodeApiVersionsFallback(id, { min: 0, max: apiVersionsMax })) socket.write(c);
        } else if (req.apiKey === 18) {
          for (const c of encodeResponse(18, req.apiVersion, id, {
            errorCode: 0,
            apiKeys: ranges,
            throttleTimeMs: 0,
          })) {
            socket.write(c);
          }
        } else if (req.apiKey === 3) {
          const partition = (i: number) => ({
            errorCode: 0,
            partitionIndex: i,
            leaderId: 1,
            leaderEpoch: 0,
            replicaNodes: [1],
            isrNodes: [1],
            offlineReplicas: [],
          });
          const body = {
            throttleTimeMs: 0,
            brokers: [{ nodeId: 1, host: "127.0.0.1", port, rack: null }],
            clusterId: "kafkaspec-codec",
            controllerId: 1,
            topics: [
              { errorCode: 0, name: "orders", isInternal: false, partitions: [partition(0), partition(1)] },
            ],
          };
          for (const c of encodeResponse(3, req.apiVersion, id, body)) socket.write(c);
        } else {
          socket.destroy();
          return;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as net.AddressInfo).port;
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function installed(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const hasKcat = installed("kcat", ["-V"]);
const hasKafkaPython = installed("python3", ["-c", "import kafka"]);

describe("real clients against the codec", () => {
  let server: CodecServer;
  beforeAll(async () => {
    server = await startCodecServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it("kafkajs negotiates with ApiVersions and reads Metadata", async () => {
    const kafka = new Kafka({
      brokers: [`127.0.0.1:${server.port}`],
      clientId: "interop",
      logLevel: logLevel.NOTHING,
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const meta = await admin.fetchTopicMetadata({ topics: ["orders"] });
      expect(meta.topics[0].name).toBe("orders");
      expect(meta.topics[0].partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
    } finally {
      await admin.disconnect();
    }
    // kafkajs opens with ApiVersions v2 and uses min(its 6, our 12) for Metadata.
    expect(server.seen).toContain("18 v2");
    expect(server.seen).toContain("3 v6");
  });

  it.skipIf(!hasKafkaPython)("kafka-python 2.0.2 probes with ApiVersions v0 and lists topics", async () => {
    const script = [
      "from kafka import KafkaConsumer",
      `c = KafkaConsumer(bootstrap_servers='127.0.0.1:${server.port}', request_timeout_ms=11000, api_version_auto_timeout_ms=5000)`,
      "print(sorted(c.topics())); print(c.config['api_version'])",
      "c.close()",
    ].join("\n");
    const { stdout } = await run("python3", ["-c", script], { timeout: 30_000 });
    expect(stdout).toContain("['orders']");
    // It infers the broker release from our ranges: Produce v8+ means 2.4, so RecordBatch v2 is used.
    expect(stdout).toContain("(2, 4, 0)");
    expect(server.seen).toContain("18 v0");
  });

  it.skipIf(!hasKcat)(
    "librdkafka (kcat -L) opens with flexible ApiVersions v3 and reads Metadata",
    async () => {
      const { stdout } = await run("kcat", ["-L", "-b", `127.0.0.1:${server.port}`, "-m", "10"], {
        timeout: 30_000,
      });
      expect(stdout).toMatch(/1 brokers:/);
      expect(stdout).toMatch(/topic "orders" with 2 partitions/);
      expect(server.seen).toContain("18 v3");
    },
  );
});

describe.skipIf(!hasKcat)("the KIP-511 fallback with a real client", () => {
  it("librdkafka retries at a version we serve after an UNSUPPORTED_VERSION answer in the v0 layout", async () => {
    // Advertise ApiVersions only up to v2, so librdkafka's opening v3 is answered with the fallback.
    const server = await startCodecServer({ cap: { 18: 2 } });
    try {
      const { stdout } = await run("kcat", ["-L", "-b", `127.0.0.1:${server.port}`, "-m", "10"], {
        timeout: 30_000,
      });
      expect(stdout).toMatch(/topic "orders" with 2 partitions/);
      // librdkafka 2.0 cannot parse the v0 layout as v3 and retries at v0; newer ones read our key-18
      // range and retry at min(3 - 1, 2) = v2. Either way the retry is a version we serve.
      expect(server.seen[0]).toBe("18 v3");
      expect(server.seen[1]).toMatch(/^18 v[02]$/);
    } finally {
      await server.close();
    }
  });
});
