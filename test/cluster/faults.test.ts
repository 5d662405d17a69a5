/**
 * The cluster target's faults on real processes, seen where Kafka sees them, in ZooKeeper: a SIGSTOPped
 * broker and a broker cut off from ZooKeeper by a partition both lose their registration once the
 * session times out and get it back afterwards; an expired session is replaced by a new one at once;
 * kill -9 ends the process, and restart brings it back on its log dirs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster } from "../../impl/cluster-target/local-cluster.ts";
import { ZkPaths } from "../../impl/metadata/layout.ts";

let cluster: LocalCluster;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ownerOf(id: number): Promise<string | null> {
  const zk = await cluster.metadata();
  return (await zk.session.exists(ZkPaths.brokerId(id)))?.ephemeralOwner ?? null;
}

async function until(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(200);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

beforeAll(async () => {
  // A short session, so that losses show quickly; the registrations are what the tests watch.
  cluster = await LocalCluster.start({ brokers: 3, properties: { "zookeeper.session.timeout.ms": 3000 } });
  await until("three registrations", 30_000, async () =>
    (await Promise.all([1, 2, 3].map(ownerOf))).every((o) => o !== null),
  );
}, 60_000);

afterAll(() => cluster?.stop(), 30_000);

describe("cluster target faults on broker processes", () => {
  it("expireSession ends the broker's session at once; it registers again with a new one", async () => {
    const before = await ownerOf(2);
    expect(await cluster.expireSession(2)).toBe(before);
    await until("a new registration of broker 2", 20_000, async () => {
      const now = await ownerOf(2);
      return now !== null && now !== before;
    });
  }, 30_000);

  it("a paused broker loses its registration after the session timeout and regains it on resume", async () => {
    cluster.pause(3);
    try {
      await until("broker 3's registration to go", 20_000, async () => (await ownerOf(3)) === null);
    } finally {
      cluster.resume(3);
    }
    await until("broker 3 back", 20_000, async () => (await ownerOf(3)) !== null);
  }, 45_000);

  it("a partition takes ZooKeeper from side 1 only; heal gives it back", async () => {
    cluster.isolate([[1, 2], [3]]);
    try {
      await until("broker 3's registration to go", 20_000, async () => (await ownerOf(3)) === null);
      expect(await ownerOf(1)).not.toBeNull();
      expect(await ownerOf(2)).not.toBeNull();
    } finally {
      cluster.heal();
    }
    await until("broker 3 back", 20_000, async () => (await ownerOf(3)) !== null);
  }, 45_000);

  it("kill -9 ends the process; restart runs it again from the same properties", async () => {
    const pid = cluster.pid(1);
    await cluster.crash(1);
    expect(cluster.isAlive(1)).toBe(false);
    await cluster.restart(1);
    expect(cluster.isAlive(1)).toBe(true);
    expect(cluster.pid(1)).not.toBe(pid);
    await until("broker 1 registered", 20_000, async () => (await ownerOf(1)) !== null);
  }, 45_000);
});
