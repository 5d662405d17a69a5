/**
 * The store contract and KafkaZk against a real ZooKeeper (Debian's package, started here; or the one
 * at ZOOKEEPER_CONNECT). Each test gets its own chroot, so tests never see each other's znodes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConnectString, ZooKeeperStore } from "../../impl/metadata/zookeeper.ts";
import { startZooKeeper, type ZooKeeperServer, zookeeperForTests } from "../support/zookeeper.ts";
import { kafkaZkContract } from "./kafka-zk-contract.ts";
import { EventLog, eventually, type StoreFixture, storeContract } from "./store-contract.ts";

let server: ZooKeeperServer;
let namespaces = 0;

beforeAll(async () => {
  server = await zookeeperForTests();
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

async function fixture(): Promise<StoreFixture> {
  namespaces += 1;
  const chroot = `/kafkaspec-test-${process.pid}-${Date.now()}-${namespaces}`;
  return { store: new ZooKeeperStore(`${server.connectString}${chroot}`) };
}

storeContract("zookeeper", fixture);
kafkaZkContract("zookeeper", fixture);

describe("ZooKeeperStore specifics", () => {
  it("parses Kafka's zookeeper.connect with and without a chroot", () => {
    expect(parseConnectString("h1:2181,h2:2181/kafka/prod")).toEqual({
      servers: "h1:2181,h2:2181",
      chroot: "/kafka/prod",
    });
    expect(parseConnectString("localhost:2181")).toEqual({ servers: "localhost:2181", chroot: "" });
  });

  it("creates the chroot on first connect and keeps everything under it", async () => {
    const chroot = `/chroot-${process.pid}-${Date.now()}`;
    const scoped = new ZooKeeperStore(`${server.connectString}${chroot}/nested`);
    const root = new ZooKeeperStore(server.connectString);
    try {
      const s = await scoped.connect({ sessionTimeoutMs: 6_000 });
      expect(await s.create("/brokers", Buffer.alloc(0))).toBe("/brokers");
      const r = await root.connect({ sessionTimeoutMs: 6_000 });
      expect(await r.children(`${chroot}/nested`)).toEqual(["brokers"]);
    } finally {
      await scoped.close();
      await root.close();
    }
  });

  it("reports an unreachable server as CONNECTION_LOSS within the connect timeout", async () => {
    const store = new ZooKeeperStore("127.0.0.1:1", { connectTimeoutMs: 300 });
    await expect(store.connect({ sessionTimeoutMs: 6_000 })).rejects.toMatchObject({
      code: "CONNECTION_LOSS",
    });
  });

  it("lets the server expire a session cut off for longer than its timeout", async () => {
    const store = new ZooKeeperStore(`${server.connectString}/cutoff-${process.pid}-${Date.now()}`);
    try {
      const victim = await store.connect({ sessionTimeoutMs: 800 });
      const observer = await store.connect({ sessionTimeoutMs: 6_000 });
      await victim.create("/eph", Buffer.alloc(0), "ephemeral");
      let expired = false;
      victim.onExpired(() => {
        expired = true;
      });
      const deleted = new EventLog();
      await observer.exists("/eph", deleted.watcher);
      const cutAt = Date.now();
      const reconnect = victim.dropConnection();
      await eventually(() => victim.state === "disconnected");
      expect(await deleted.next(10_000)).toEqual({ type: "deleted", path: "/eph" });
      // The server waits out the negotiated timeout (give or take a tick) before expiring.
      expect(Date.now() - cutAt).toBeGreaterThanOrEqual(500);
      expect(expired).toBe(false);
      reconnect();
      await eventually(() => expired);
      expect(victim.state).toBe("expired");
    } finally {
      await store.close();
    }
  });

  it("says clearly when ZooKeeper is not installed", async () => {
    await expect(startZooKeeper({ serverScript: "/nonexistent/zkServer.sh" })).rejects.toThrow(
      /ZooKeeper is not installed .*ZOOKEEPER_CONNECT/,
    );
  });

  it("refuses to expire a session it did not open", async () => {
    const store = new ZooKeeperStore(server.connectString);
    await expect(store.expire("0x1234")).rejects.toThrow(/not a session of this store/);
  });
});
