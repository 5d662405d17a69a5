/**
 * The client's own logic without a Kafka: version negotiation, what a connection reports when the
 * broker refuses, stays silent or hangs up (the difference between `failed` and `unknown` in the suite),
 * the ApiVersions fallback of KIP-511, and how a fetch response's batches become records.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { decodeFetchedRecords, KafkaClient } from "../../impl/client/client.ts";
import { BrokerConnection } from "../../impl/client/connection.ts";
import { negotiateVersions } from "../../impl/client/versions.ts";
import { decodeRequest, encodeApiVersionsFallback, encodeResponse } from "../../impl/protocol/codec.ts";
import { FrameReader } from "../../impl/protocol/framing.ts";
import { advertisedRanges, definedRange } from "../../impl/protocol/versions.ts";
import { encodeBatch } from "../../impl/records/batch.ts";

describe("negotiateVersions", () => {
  it("takes min(ours, theirs) per API and leaves out APIs with no common version or unknown to us", () => {
    const table = negotiateVersions([
      { apiKey: 0, minVersion: 0, maxVersion: 11 },
      { apiKey: 1, minVersion: 0, maxVersion: 4 },
      { apiKey: 3, minVersion: 50, maxVersion: 60 },
      { apiKey: 9999, minVersion: 0, maxVersion: 3 },
    ]);
    expect(table.get(0)).toBe(definedRange(0).max);
    expect(table.get(1)).toBe(4);
    expect(table.has(3)).toBe(false);
    expect([...table.keys()].sort()).toEqual([0, 1]);
  });
});

/** A fake broker: answers ApiVersions (optionally only at v0), then does `then` with each other request. */
function fakeBroker(
  then: (socket: Socket, apiKey: number, correlationId: number) => void,
  options: { apiVersionsMax?: number } = {},
): Promise<{ server: Server; port: number; seen: number[] }> {
  const seen: number[] = [];
  const server = createServer((socket) => {
    const reader = new FrameReader();
    socket.on("data", (chunk) => {
      const pushed = reader.push(chunk);
      if (!pushed.ok) return;
      for (const frame of pushed.frames) {
        const apiKey = frame.readInt16BE(0);
        const version = frame.readInt16BE(2);
        const correlationId = frame.readInt32BE(4);
        if (apiKey === 18) {
          seen.push(version);
          const max = options.apiVersionsMax ?? 3;
          if (version > max) {
            for (const c of encodeApiVersionsFallback(correlationId, { min: 0, max })) socket.write(c);
            continue;
          }
          const decoded = decodeRequest(frame);
          expect(decoded.ok).toBe(true);
          const body = { errorCode: 0, apiKeys: advertisedRanges(), throttleTimeMs: 0 };
          for (const c of encodeResponse(18, version, correlationId, body)) socket.write(c);
          continue;
        }
        then(socket, apiKey, correlationId);
      }
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve({ server, port: typeof a === "object" && a !== null ? a.port : 0, seen });
    }),
  );
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

const metadataBody = { topics: null, allowAutoTopicCreation: false };

describe("BrokerConnection", () => {
  it("reports refused when nothing listens: the request was never sent", async () => {
    const { server, port } = await fakeBroker(() => {});
    server.close();
    await new Promise((r) => setTimeout(r, 50));
    const c = new BrokerConnection("127.0.0.1", port, { clientId: "t" });
    const r = await c.request(3, metadataBody, { timeoutMs: 1000 });
    expect(r.kind).toBe("refused");
  });

  it("reports timeout when the broker keeps the request unanswered, and closed when it hangs up", async () => {
    const silent = await fakeBroker(() => {});
    servers.push(silent.server);
    const c1 = new BrokerConnection("127.0.0.1", silent.port, { clientId: "t" });
    const started = Date.now();
    expect((await c1.request(3, metadataBody, { timeoutMs: 300 })).kind).toBe("timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    c1.close();

    const hangUp = await fakeBroker((socket) => socket.destroy());
    servers.push(hangUp.server);
    const c2 = new BrokerConnection("127.0.0.1", hangUp.port, { clientId: "t" });
    expect((await c2.request(3, metadataBody, { timeoutMs: 5000 })).kind).toBe("closed");
  });

  it("answers to a request it gave up on are dropped; later requests still match their own answers", async () => {
    let n = 0;
    const fake = await fakeBroker((socket, _key, correlationId) => {
      n++;
      // The first heartbeat is answered late (after the client's timeout), the second at once.
      const answer = () => {
        for (const c of encodeResponse(12, 4, correlationId, {
          throttleTimeMs: 0,
          errorCode: n === 1 ? 27 : 0,
        }))
          socket.write(c);
      };
      if (n === 1) setTimeout(answer, 300);
      else answer();
    });
    servers.push(fake.server);
    const c = new BrokerConnection("127.0.0.1", fake.port, { clientId: "t" });
    const hb = { groupId: "g", generationId: 1, memberId: "m" };
    expect((await c.request(12, hb, { timeoutMs: 100 })).kind).toBe("timeout");
    await new Promise((r) => setTimeout(r, 300));
    const second = await c.request(12, hb, { timeoutMs: 1000 });
    expect(second).toMatchObject({ kind: "response", body: { errorCode: 0 } });
    c.close();
  });

  it("falls back to the ApiVersions version the broker names in its UNSUPPORTED_VERSION answer (KIP-511)", async () => {
    const fake = await fakeBroker(() => {}, { apiVersionsMax: 1 });
    servers.push(fake.server);
    const c = new BrokerConnection("127.0.0.1", fake.port, { clientId: "t" });
    expect(await c.open()).toBeNull();
    expect(fake.seen).toEqual([3, 1]);
    expect(c.versions.get(3)).toBe(definedRange(3).max);
    c.close();
  });
});

describe("KafkaClient lookups", () => {
  it("a lookup with no broker reachable is not-sent NETWORK_EXCEPTION (the operation never left)", async () => {
    const { server, port } = await fakeBroker(() => {});
    server.close();
    const client = new KafkaClient({ bootstrap: [`127.0.0.1:${port}`], clientId: "t", lookupTimeoutMs: 500 });
    const r = await client.fetch({ topic: "t", partition: 0, offset: 0, maxRecords: 1 });
    expect(r).toMatchObject({ ok: false, error: "NETWORK_EXCEPTION", delivery: "not-sent" });
    client.close();
  });
});

describe("decodeFetchedRecords", () => {
  const batch = (base: number, values: string[], control = false) =>
    encodeBatch(
      values.map((v) => ({ value: Buffer.from(v) })),
      { baseOffset: base, isControl: control },
    );

  it("skips records before the fetch offset inside the first batch, control batches, and a cut tail", () => {
    const a = batch(10, ["a", "b", "c"]);
    const marker = batch(13, ["m"], true);
    const b = batch(14, ["d", "e"]);
    const cut = batch(16, ["f"]).subarray(0, 20);
    const bytes = Buffer.concat([a, marker, b, cut]);
    const got = decodeFetchedRecords(bytes, 11, 10).map((r) => [r.offset, r.value?.toString()]);
    expect(got).toEqual([
      [11, "b"],
      [12, "c"],
      [14, "d"],
      [15, "e"],
    ]);
    expect(decodeFetchedRecords(bytes, 11, 3).map((r) => r.offset)).toEqual([11, 12, 14]);
    expect(decodeFetchedRecords(null, 0, 5)).toEqual([]);
  });
});
