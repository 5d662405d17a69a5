/**
 * The store contract and KafkaZk on the embedded store, plus what only it offers: delivery through an
 * injected scheduler (the simulator's queue) and session time driven by disconnect/reconnect/tick.
 */
import { describe, expect, it } from "vitest";
import { EmbeddedStore } from "../../impl/metadata/embedded.ts";
import { KafkaZk } from "../../impl/metadata/layout.ts";
import type { WatchEvent } from "../../impl/metadata/store.ts";
import { kafkaZkContract } from "./kafka-zk-contract.ts";
import { expectStoreError, storeContract } from "./store-contract.ts";

storeContract("embedded", async () => ({ store: new EmbeddedStore() }));
kafkaZkContract("embedded", async () => ({ store: new EmbeddedStore() }));

/** A manual event queue, like the simulator's: nothing runs until the test drains it. */
function manualQueue() {
  const queue: Array<() => void> = [];
  return {
    schedule: (fn: () => void) => {
      queue.push(fn);
    },
    pending: () => queue.length,
    /** Runs queued callbacks (and those they queue) until none are left, then lets promises settle. */
    async drain(): Promise<void> {
      for (let guard = 0; queue.length > 0; guard++) {
        if (guard > 10_000) throw new Error("event queue did not drain");
        queue.shift()!();
        await Promise.resolve();
      }
      await new Promise((r) => setImmediate(r));
    },
  };
}

describe("EmbeddedStore under an injected scheduler", () => {
  it("delivers nothing until the scheduler runs, then watch events before the reply", async () => {
    const q = manualQueue();
    const store = new EmbeddedStore({ schedule: q.schedule, now: () => 0 });
    const connecting = store.connect({ sessionTimeoutMs: 1000 });
    await q.drain();
    const s = await connecting;
    const order: string[] = [];
    const creating = s
      .exists("/x", (e) => order.push(`watch:${e.type}`))
      .then(() => s.create("/x", Buffer.from("1")).then(() => order.push("reply:create")));
    expect(order).toEqual([]);
    await q.drain();
    await creating;
    expect(order).toEqual(["watch:created", "reply:create"]);
    expect(q.pending()).toBe(0);
  });

  it("gives the same results and watch order for the same calls", async () => {
    async function run(): Promise<string[]> {
      const q = manualQueue();
      const store = new EmbeddedStore({ schedule: q.schedule, now: () => 0 });
      /** Settles one call: with a manual queue nothing resolves until the queue is drained. */
      const settle = async <T>(p: Promise<T>): Promise<T> => {
        await q.drain();
        return p;
      };
      const log: string[] = [];
      const sa = await settle(store.connect({ sessionTimeoutMs: 1000 }));
      const sb = await settle(store.connect({ sessionTimeoutMs: 1000 }));
      const w = (who: string) => (e: WatchEvent) => log.push(`${who} ${e.type} ${e.path}`);
      await settle(sa.mkdirp("/r/ids"));
      // Issued together, settled together: the log records the interleaving of replies and events.
      const ops: Promise<unknown>[] = [
        sb.children("/r/ids", w("b")),
        sa.exists("/r/ids/1", w("a")),
        sa.create("/r/ids/1", Buffer.alloc(0), "ephemeral"),
        sb.create("/r/seq-", Buffer.alloc(0), "ephemeralSequential"),
        sa.create("/r/seq-", Buffer.alloc(0), "persistentSequential"),
        sb.children("/r", w("b")),
        sa.create("/r/ids/1", Buffer.alloc(0), "ephemeral"),
        sb.exists("/r/ids/1", w("b")),
      ];
      for (const p of ops)
        p.then((v) => log.push(`ok ${JSON.stringify(v)}`)).catch((e) => log.push(`err ${e}`));
      await q.drain();
      await settle(store.expire(sa.sessionId));
      log.push(...store.tree.paths());
      return log;
    }
    const first = await run();
    expect(first).toContain("b childrenChanged /r/ids");
    expect(first).toContain("a created /r/ids/1");
    expect(first).toContain("b deleted /r/ids/1");
    expect(first).toContain("err StoreError: NODE_EXISTS /r/ids/1");
    expect(await run()).toEqual(first);
  });
});

describe("EmbeddedStore session time", () => {
  it("keeps a connected session alive however much time passes", async () => {
    let now = 0;
    const store = new EmbeddedStore({ now: () => now });
    const s = await store.connect({ sessionTimeoutMs: 100 });
    await s.create("/e", Buffer.alloc(0), "ephemeral");
    now = 10_000;
    expect(store.tick()).toEqual([]);
    expect(s.state).toBe("connected");
  });

  it("expires a disconnected session once its timeout passes, not before", async () => {
    let now = 0;
    const store = new EmbeddedStore({ now: () => now });
    const s = await store.connect({ sessionTimeoutMs: 100 });
    const other = await store.connect({ sessionTimeoutMs: 100 });
    await s.create("/e", Buffer.alloc(0), "ephemeral");
    let expired = 0;
    s.onExpired(() => {
      expired += 1;
    });
    now = 50;
    store.disconnect(s.sessionId);
    expect(s.state).toBe("disconnected");
    await expectStoreError(s.get("/e"), "CONNECTION_LOSS", "/e");
    now = 149;
    expect(store.tick()).toEqual([]);
    expect(await other.exists("/e")).not.toBeNull();
    now = 150;
    expect(store.tick()).toEqual([s.sessionId]);
    await other.exists("/e"); // let the expiry notification run
    expect(expired).toBe(1);
    expect(s.state).toBe("expired");
    expect(await other.exists("/e")).toBeNull();
    expect(store.reconnect(s.sessionId)).toBe("expired");
  });

  it("resumes a session that reconnects in time, delivering the watch events it missed", async () => {
    let now = 0;
    const store = new EmbeddedStore({ now: () => now });
    const s = await store.connect({ sessionTimeoutMs: 100 });
    const writer = await store.connect({ sessionTimeoutMs: 100 });
    await writer.create("/n", Buffer.from("0"));
    const seen: WatchEvent[] = [];
    await s.get("/n", (e) => seen.push(e));
    store.disconnect(s.sessionId);
    await writer.set("/n", Buffer.from("1"));
    expect(seen).toEqual([]);
    now = 99;
    expect(store.reconnect(s.sessionId)).toBe("connected");
    expect((await s.get("/n"))?.data.toString()).toBe("1");
    expect(seen).toEqual([{ type: "dataChanged", path: "/n" }]);
  });

  it("expires a session that comes back too late", async () => {
    let now = 0;
    const store = new EmbeddedStore({ now: () => now });
    const s = await store.connect({ sessionTimeoutMs: 100 });
    const zk = new KafkaZk(s);
    await zk.createTopLevelPaths();
    await zk.registerBroker({ id: 7, endpoints: [], rack: null, jmxPort: -1, timestampMs: 0, version: 4 });
    store.disconnect(s.sessionId);
    now = 100;
    expect(store.reconnect(s.sessionId)).toBe("expired");
    const observer = new KafkaZk(await store.connect({ sessionTimeoutMs: 100 }));
    expect(await observer.getLiveBrokerIds()).toEqual([]);
  });
});
