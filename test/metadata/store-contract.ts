/**
 * The metadata store contract: one suite, run against every backend (embedded and ZooKeeper), so the
 * simulator's store and the real one cannot drift apart. Each test gets a fresh, empty namespace.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type MetadataSession,
  type MetadataStore,
  StoreError,
  type StoreErrorCode,
  type WatchEvent,
} from "../../impl/metadata/store.ts";

export interface StoreFixture {
  store: MetadataStore;
  /** Releases whatever the fixture holds beyond the store (the store itself is closed by the suite). */
  dispose?: () => Promise<void>;
}

const b = (s: string) => Buffer.from(s, "utf8");

export async function expectStoreError(
  p: Promise<unknown>,
  code: StoreErrorCode,
  path?: string,
): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, `expected ${code}`).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  if (path !== undefined) expect((err as StoreError).path).toBe(path);
}

/** Collects watch events; `next()` waits for the next one (bounded, so a missing event fails the test). */
export class EventLog {
  readonly events: WatchEvent[] = [];
  private waiters: Array<() => void> = [];
  /** How many events `next()` has handed out: each call returns the one after. */
  private consumed = 0;
  readonly watcher = (e: WatchEvent) => {
    this.events.push(e);
    for (const w of this.waiters.splice(0)) w();
  };
  async next(timeoutMs = 5_000): Promise<WatchEvent> {
    this.consumed += 1;
    const count = this.consumed;
    const deadline = Date.now() + timeoutMs;
    while (this.events.length < count) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`watch event #${count} did not arrive in ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.events[count - 1]!;
  }
}

/** Waits (bounded) until `cond` holds: for effects that arrive on another connection. */
export async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function storeContract(backend: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`MetadataStore contract: ${backend}`, () => {
    let fixture: StoreFixture;
    let store: MetadataStore;
    let a: MetadataSession;
    let c: MetadataSession;

    beforeEach(async () => {
      fixture = await makeFixture();
      store = fixture.store;
      a = await store.connect({ sessionTimeoutMs: 6_000 });
      c = await store.connect({ sessionTimeoutMs: 6_000 });
    });
    afterEach(async () => {
      await store.close();
      await fixture.dispose?.();
    });

    describe("create modes", () => {
      it("creates persistent nodes and reads them back with a fresh stat", async () => {
        expect(await a.create("/p", b("one"))).toBe("/p");
        const node = await c.get("/p");
        expect(node?.data.toString()).toBe("one");
        expect(node?.stat).toMatchObject({ version: 0, cversion: 0, ephemeralOwner: "" });
        expect(node!.stat.czxid).toBe(node!.stat.mzxid);
      });

      it("marks ephemeral nodes with their owner session", async () => {
        await a.create("/e", b("x"), "ephemeral");
        expect((await c.exists("/e"))?.ephemeralOwner).toBe(a.sessionId);
      });

      it("numbers sequential nodes by the parent's child creations, in ten digits", async () => {
        await a.create("/q", b(""));
        expect(await a.create("/q/n-", b("1"), "persistentSequential")).toBe("/q/n-0000000000");
        expect(await a.create("/q/n-", b("2"), "persistentSequential")).toBe("/q/n-0000000001");
        await a.create("/q/plain", b(""));
        await a.delete("/q/plain");
        // The visible cversion counts the delete too (4), but ZooKeeper numbers by creations (3).
        expect((await a.exists("/q"))?.cversion).toBe(4);
        expect(await c.create("/q/n-", b("3"), "ephemeralSequential")).toBe("/q/n-0000000003");
        expect(await a.children("/q")).toEqual(["n-0000000000", "n-0000000001", "n-0000000003"]);
        expect((await a.exists("/q/n-0000000003"))?.ephemeralOwner).toBe(c.sessionId);
      });

      it("refuses a missing parent, an existing node and children of ephemerals", async () => {
        await expectStoreError(a.create("/no/child", b("")), "NO_NODE");
        await a.create("/dup", b(""));
        await expectStoreError(c.create("/dup", b("")), "NODE_EXISTS", "/dup");
        await a.create("/eph", b(""), "ephemeral");
        await expectStoreError(a.create("/eph/kid", b("")), "NO_CHILDREN_FOR_EPHEMERALS");
      });

      it("mkdirp creates missing ancestors and the node, and leaves existing ones alone", async () => {
        await a.create("/m", b("keep"));
        await a.mkdirp("/m/x/y");
        await a.mkdirp("/m/x/y");
        expect((await a.get("/m"))?.data.toString()).toBe("keep");
        expect(await a.children("/m/x")).toEqual(["y"]);
      });

      it("answers null for missing nodes and lists children sorted", async () => {
        expect(await a.get("/missing")).toBeNull();
        expect(await a.exists("/missing")).toBeNull();
        expect(await a.children("/missing")).toBeNull();
        await a.create("/s", b(""));
        for (const name of ["c", "a", "b"]) await a.create(`/s/${name}`, b(""));
        expect(await a.children("/s")).toEqual(["a", "b", "c"]);
      });
    });

    describe("versions and conditional writes", () => {
      it("bumps version on set and cversion on child changes; zxids only grow", async () => {
        await a.create("/v", b("0"));
        const s1 = await a.set("/v", b("1"));
        const s2 = await a.set("/v", b("2"), 1);
        expect([s1.version, s2.version]).toEqual([1, 2]);
        expect(s2.mzxid).toBeGreaterThan(s1.mzxid);
        expect(s1.mzxid).toBeGreaterThan(s1.czxid);
        await a.create("/v/k", b(""));
        await a.delete("/v/k");
        const stat = await a.exists("/v");
        expect(stat).toMatchObject({ version: 2, cversion: 2 });
      });

      it("fails a set or delete naming a stale version, and changes nothing", async () => {
        await a.create("/w", b("0"));
        await a.set("/w", b("1"), 0);
        await expectStoreError(c.set("/w", b("stale"), 0), "BAD_VERSION", "/w");
        await expectStoreError(c.delete("/w", 0), "BAD_VERSION", "/w");
        expect((await c.get("/w"))?.data.toString()).toBe("1");
        await c.delete("/w", 1);
        expect(await a.exists("/w")).toBeNull();
      });

      it("refuses to delete a node with children, or a missing one", async () => {
        await a.create("/d", b(""));
        await a.create("/d/k", b(""));
        await expectStoreError(a.delete("/d"), "NOT_EMPTY", "/d");
        await expectStoreError(a.delete("/nothing"), "NO_NODE", "/nothing");
        await expectStoreError(a.set("/nothing", b("")), "NO_NODE", "/nothing");
      });
    });

    describe("multi", () => {
      it("applies all ops together", async () => {
        await a.create("/t", b("0"));
        await a.multi([
          { op: "check", path: "/t", version: 0 },
          { op: "create", path: "/t/x", data: b("x"), mode: "persistent" },
          { op: "set", path: "/t", data: b("1"), version: 0 },
          { op: "create", path: "/t/e", data: b("e"), mode: "ephemeral" },
          { op: "delete", path: "/t/x", version: 0 },
        ]);
        const t = await c.get("/t");
        expect(t?.data.toString()).toBe("1");
        expect(await c.children("/t")).toEqual(["e"]);
        expect((await c.exists("/t/e"))?.ephemeralOwner).toBe(a.sessionId);
      });

      it("applies nothing when one op fails, and names the failing op's path", async () => {
        await a.create("/u", b("0"));
        await a.set("/u", b("1"));
        const before = await a.exists("/u");
        // A check against version 0 must fail now that the version is 1 (a client that drops
        // version 0 to "any version" would let this through).
        await expectStoreError(
          a.multi([
            { op: "create", path: "/u/new", data: b(""), mode: "persistent" },
            { op: "set", path: "/u", data: b("2"), version: -1 },
            { op: "check", path: "/u", version: 0 },
          ]),
          "BAD_VERSION",
          "/u",
        );
        expect(await c.exists("/u/new")).toBeNull();
        expect(await c.exists("/u")).toEqual(before);
        await expectStoreError(
          a.multi([
            { op: "delete", path: "/u", version: -1 },
            { op: "create", path: "/elsewhere/x", data: b(""), mode: "persistent" },
          ]),
          "NO_NODE",
          "/elsewhere/x",
        );
        expect(await c.exists("/u")).toEqual(before);
      });
    });

    describe("watches", () => {
      it("fires a data watch once, however many changes follow", async () => {
        await a.create("/w", b("0"));
        const log = new EventLog();
        await c.get("/w", log.watcher);
        await a.set("/w", b("1"));
        expect(await log.next()).toEqual({ type: "dataChanged", path: "/w" });
        await a.set("/w", b("2"));
        // A watcher sees the event before it sees the data that caused it: reading version 2 on the
        // watching session proves a second event, had there been one, would have arrived already.
        expect((await c.get("/w"))?.stat.version).toBe(2);
        expect(log.events).toHaveLength(1);
      });

      it("fires child watches on create and delete of a child, once each registration", async () => {
        await a.create("/cw", b(""));
        const log = new EventLog();
        await c.children("/cw", log.watcher);
        await a.create("/cw/1", b(""));
        expect(await log.next()).toEqual({ type: "childrenChanged", path: "/cw" });
        await c.children("/cw", log.watcher);
        await a.delete("/cw/1");
        expect(await log.next()).toEqual({ type: "childrenChanged", path: "/cw" });
        await a.create("/cw/2", b(""));
        expect(await c.children("/cw")).toEqual(["2"]);
        expect(log.events).toHaveLength(2);
      });

      it("fires an exists watch on creation, and a data watch on deletion", async () => {
        const log = new EventLog();
        expect(await c.exists("/later", log.watcher)).toBeNull();
        await a.create("/later", b(""));
        expect(await log.next()).toEqual({ type: "created", path: "/later" });
        await c.exists("/later", log.watcher);
        await a.delete("/later");
        expect(await log.next()).toEqual({ type: "deleted", path: "/later" });
      });

      it("fires nothing for a failed multi", async () => {
        await a.create("/f", b("0"));
        const log = new EventLog();
        await c.get("/f", log.watcher);
        await expectStoreError(
          a.multi([
            { op: "set", path: "/f", data: b("1"), version: 0 },
            { op: "check", path: "/f", version: 7 },
          ]),
          "BAD_VERSION",
        );
        expect((await c.get("/f"))?.stat.version).toBe(0);
        expect(log.events).toEqual([]);
        await a.set("/f", b("2"));
        expect(await log.next()).toEqual({ type: "dataChanged", path: "/f" });
      });
    });

    describe("sessions", () => {
      it("removes a closed session's ephemerals and tells watchers", async () => {
        await a.create("/live", b(""));
        await a.create("/live/a", b(""), "ephemeral");
        const log = new EventLog();
        await c.children("/live", log.watcher);
        await a.close();
        expect(a.state).toBe("closed");
        expect(await log.next()).toEqual({ type: "childrenChanged", path: "/live" });
        expect(await c.children("/live")).toEqual([]);
      });

      it("on expiry removes ephemerals, calls the expiry listener once, and refuses further ops", async () => {
        await a.create("/brk", b(""));
        await a.create("/brk/1", b("me"), "ephemeral");
        await a.create("/brk/keep", b("persistent stays"));
        let expiries = 0;
        a.onExpired(() => {
          expiries += 1;
        });
        const log = new EventLog();
        await c.exists("/brk/1", log.watcher);
        await store.expire(a.sessionId);
        expect(await log.next()).toEqual({ type: "deleted", path: "/brk/1" });
        await eventually(() => expiries > 0);
        expect(a.state).toBe("expired");
        expect(await c.children("/brk")).toEqual(["keep"]);
        await expectStoreError(a.get("/brk"), "SESSION_EXPIRED");
        await expectStoreError(a.create("/brk/2", b(""), "ephemeral"), "SESSION_EXPIRED");
        await store.expire(a.sessionId);
        await new Promise((r) => setTimeout(r, 50));
        expect(expiries).toBe(1);
        // A session opened after the expiry may register the same ephemeral again.
        const again = await store.connect({ sessionTimeoutMs: 6_000 });
        await again.create("/brk/1", b("me again"), "ephemeral");
        expect((await c.exists("/brk/1"))?.ephemeralOwner).toBe(again.sessionId);
      });

      it("keeps other sessions' ephemerals when one session expires", async () => {
        await a.create("/mix", b(""));
        await a.create("/mix/a", b(""), "ephemeral");
        await c.create("/mix/c", b(""), "ephemeral");
        await store.expire(a.sessionId);
        expect(await c.children("/mix")).toEqual(["c"]);
      });
    });
  });
}
