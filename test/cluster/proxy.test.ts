/**
 * CuttableProxy over real loopback sockets: it forwards both ways, refuses and severs connections by
 * who opened them (the client id of the first Kafka request), and holds new connections on request.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CuttableProxy } from "../../impl/cluster-target/proxy.ts";
import { brokerOfClientId, kafkaClientId } from "../../impl/cluster-target/wire-sniff.ts";

function request(clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(14 + id.length);
  b.writeInt32BE(10 + id.length, 0);
  b.writeInt16BE(18, 4);
  b.writeInt32BE(1, 8);
  b.writeInt16BE(id.length, 12);
  id.copy(b, 14);
  return b;
}

let echo: Server;
let proxy: CuttableProxy;

async function start(): Promise<number> {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
  const port = (echo.address() as { port: number }).port;
  proxy = new CuttableProxy({
    upstreamHost: "127.0.0.1",
    upstreamPort: port,
    identify: (first) => {
      const id = kafkaClientId(first);
      return id === null ? null : (brokerOfClientId(id) ?? "client");
    },
  });
  return proxy.listen();
}

afterEach(async () => {
  await proxy?.close();
  await new Promise<void>((r) => echo?.close(() => r()));
});

/** Sends the request and resolves with what came back, or "closed" if the proxy hung up. */
function roundTrip(port: number, clientId: string, socketOut?: (s: Socket) => void): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: "127.0.0.1", port });
    socketOut?.(s);
    let got = Buffer.alloc(0);
    const expected = request(clientId);
    s.on("connect", () => s.write(expected));
    s.on("data", (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= expected.length) resolve(got.equals(expected) ? "echoed" : "garbled");
    });
    s.on("close", () => resolve("closed"));
    s.on("error", () => resolve("closed"));
  });
}

describe("CuttableProxy", () => {
  it("forwards, refuses a cut peer, severs its live connections, and lets clients through", async () => {
    const port = await start();
    expect(await roundTrip(port, "broker-2-fetcher")).toBe("echoed");

    let live: Socket | undefined;
    const open = roundTrip(port, "broker-2-controller", (s) => {
      live = s;
    });
    expect(await open).toBe("echoed");
    const closed = new Promise((r) => live!.once("close", r));
    proxy.setPolicy((source) => source !== 2);
    await closed;
    expect(await roundTrip(port, "broker-2-fetcher")).toBe("closed");
    expect(await roundTrip(port, "broker-3-fetcher")).toBe("echoed");
    expect(await roundTrip(port, "kcat")).toBe("echoed");

    proxy.setPolicy(() => true);
    expect(await roundTrip(port, "broker-2-fetcher")).toBe("echoed");
  });

  it("holds new connections until released", async () => {
    const port = await start();
    const release = proxy.hold();
    let done = false;
    const r = roundTrip(port, "broker-1-fetcher").then((x) => {
      done = true;
      return x;
    });
    await new Promise((res) => setTimeout(res, 300));
    expect(done).toBe(false);
    release();
    expect(await r).toBe("echoed");
  });
});
