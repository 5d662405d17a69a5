/**
 * The pure znode tree: properties over random operation sequences (fast-check prints the seed and the
 * shrunk sequence on failure) and the ZooKeeper rules that the contract suite cannot reach directly.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CreateMode, MultiOp } from "../../impl/metadata/store.ts";
import { StoreError } from "../../impl/metadata/store.ts";
import { parentOf, type TreeNotification, validatePath, ZnodeTree } from "../../impl/metadata/tree.ts";

const NAMES = ["a", "b", "c"];
const pathArb = fc
  .array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 })
  .map((parts) => `/${parts.join("/")}`);
const modeArb = fc.constantFrom<CreateMode>(
  "persistent",
  "ephemeral",
  "persistentSequential",
  "ephemeralSequential",
);
const versionArb = fc.constantFrom(-1, 0, 1, 2);
const dataArb = fc.constantFrom("", "x", "yy").map((s) => Buffer.from(s));

const multiOpArb: fc.Arbitrary<MultiOp> = fc.oneof(
  fc.record({ op: fc.constant("create" as const), path: pathArb, data: dataArb, mode: modeArb }),
  fc.record({ op: fc.constant("set" as const), path: pathArb, data: dataArb, version: versionArb }),
  fc.record({ op: fc.constant("delete" as const), path: pathArb, version: versionArb }),
  fc.record({ op: fc.constant("check" as const), path: pathArb, version: versionArb }),
);

type Step =
  | { kind: "op"; session: number; op: MultiOp }
  | { kind: "multi"; session: number; ops: MultiOp[] }
  | { kind: "watch"; session: number; path: string; how: "get" | "exists" | "children" }
  | { kind: "expire"; session: number }
  | { kind: "open" };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({ kind: fc.constant("op" as const), session: fc.nat(2), op: multiOpArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("multi" as const),
      session: fc.nat(2),
      ops: fc.array(multiOpArb, { maxLength: 4 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("watch" as const),
      session: fc.nat(2),
      path: pathArb,
      how: fc.constantFrom("get" as const, "exists" as const, "children" as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("expire" as const), session: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "open" as const }) },
);

/** Replays steps on a fresh tree; returns a transcript of results and notifications (watchers by label). */
function replay(steps: Step[]): { tree: ZnodeTree; transcript: string[] } {
  const tree = new ZnodeTree();
  const sessions = [tree.openSession(1000, 0), tree.openSession(1000, 0), tree.openSession(1000, 0)];
  const transcript: string[] = [];
  const labels = new Map<unknown, string>();
  const record = (what: string, f: () => unknown) => {
    try {
      transcript.push(`${what} -> ${JSON.stringify(f())}`);
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      transcript.push(`${what} -> ${e.code} ${e.path}`);
    }
    for (const n of tree.takeNotifications()) transcript.push(describeNotification(n, labels));
  };
  steps.forEach((step, i) => {
    const sid = "session" in step ? sessions[step.session % sessions.length]! : "";
    switch (step.kind) {
      case "op":
        record(`${i} ${sid} ${step.op.op} ${step.op.path}`, () => tree.multi(sid, [step.op]));
        break;
      case "multi":
        record(`${i} ${sid} multi`, () => tree.multi(sid, step.ops));
        break;
      case "watch": {
        const watcher = () => {};
        labels.set(watcher, `w${i}`);
        record(`${i} ${sid} ${step.how} ${step.path}`, () =>
          step.how === "children"
            ? tree.children(sid, step.path, watcher)
            : tree[step.how](sid, step.path, watcher),
        );
        break;
      }
      case "expire":
        record(`${i} expire ${sid}`, () => tree.expire(sid));
        break;
      case "open":
        sessions.push(tree.openSession(1000, 0));
        break;
    }
  });
  return { tree, transcript };
}

function describeNotification(n: TreeNotification, labels: Map<unknown, string>): string {
  return n.kind === "expired"
    ? `  expired ${n.sessionId}`
    : `  ${labels.get(n.watcher)} ${n.sessionId} ${n.event.type} ${n.event.path}`;
}

function snapshotText(tree: ZnodeTree) {
  return tree.snapshot().map((n) => ({ ...n, data: n.data.toString("hex") }));
}

describe("ZnodeTree properties", () => {
  it("is deterministic: the same steps give the same results, notifications and tree", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (steps) => {
        const one = replay(steps);
        const two = replay(steps);
        expect(two.transcript).toEqual(one.transcript);
        expect(snapshotText(two.tree)).toEqual(snapshotText(one.tree));
      }),
      { numRuns: 150 },
    );
  });

  it("keeps the tree well formed: parents exist, ephemerals belong to live sessions, cversion counts changes", () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 50 }), (steps) => {
        const { tree } = replay(steps);
        const nodes = tree.snapshot();
        const paths = new Set(nodes.map((n) => n.path));
        const live = new Set(tree.liveSessions());
        for (const n of nodes) {
          if (n.path !== "/") expect(paths.has(parentOf(n.path))).toBe(true);
          if (n.stat.ephemeralOwner !== "") {
            expect(live.has(n.stat.ephemeralOwner)).toBe(true);
            expect(nodes.some((m) => m.path !== n.path && parentOf(m.path) === n.path)).toBe(false);
          }
          expect(n.stat.mzxid).toBeGreaterThanOrEqual(n.stat.czxid);
          expect(n.stat.mzxid).toBeLessThanOrEqual(tree.zxid);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("applies a multi entirely or not at all", () => {
    fc.assert(
      fc.property(
        fc.array(stepArb, { maxLength: 30 }),
        fc.array(multiOpArb, { minLength: 1, maxLength: 5 }),
        (setup, ops) => {
          const { tree } = replay(setup);
          tree.takeNotifications();
          const session = tree.liveSessions()[0] ?? tree.openSession(1000, 0);
          const before = snapshotText(tree);
          const zxid = tree.zxid;
          let failed = false;
          try {
            tree.multi(session, ops);
          } catch (e) {
            if (!(e instanceof StoreError)) throw e;
            failed = true;
          }
          if (failed) {
            expect(snapshotText(tree)).toEqual(before);
            expect(tree.zxid).toBe(zxid);
            expect(tree.takeNotifications()).toEqual([]);
          } else {
            // The same ops one by one, on a copy of the starting state, reach the same tree.
            const { tree: twin } = replay(setup);
            const twinSession = twin.liveSessions()[0] ?? twin.openSession(1000, 0);
            for (const op of ops) twin.multi(twinSession, [op]);
            const strip = (t: ZnodeTree) =>
              snapshotText(t).map(({ stat, ...rest }) => ({
                ...rest,
                v: stat.version,
                cv: stat.cversion,
                owner: stat.ephemeralOwner,
              }));
            expect(strip(tree)).toEqual(strip(twin));
            expect(tree.zxid).toBe(zxid + 1);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("ZnodeTree rules", () => {
  it("validates paths as ZooKeeper does", () => {
    for (const ok of ["/", "/a", "/a/b-1", "/brokers/ids/0"]) expect(() => validatePath(ok)).not.toThrow();
    for (const bad of ["", "a", "/a/", "//a", "/a//b"])
      expect(() => validatePath(bad)).toThrow(/invalid znode path/);
  });

  it("drops an expired session's watches and never notifies a closed session", () => {
    const tree = new ZnodeTree();
    const a = tree.openSession(100, 0);
    const b = tree.openSession(100, 0);
    tree.create(a, "/x", Buffer.alloc(0));
    let fired = 0;
    tree.get(b, "/x", () => fired++);
    tree.closeSession(b);
    tree.set(a, "/x", Buffer.from("1"));
    expect(tree.takeNotifications()).toEqual([]);
    expect(fired).toBe(0);
    expect(() => tree.get(b, "/x")).toThrow(/SESSION_EXPIRED/);
  });

  it("delivers one deleted event to a watcher registered for both data and children", () => {
    const tree = new ZnodeTree();
    const a = tree.openSession(100, 0);
    tree.create(a, "/x", Buffer.alloc(0));
    const w = () => {};
    tree.get(a, "/x", w);
    tree.children(a, "/x", w);
    tree.delete(a, "/x");
    expect(tree.takeNotifications()).toEqual([
      { kind: "watch", sessionId: a, watcher: w, event: { type: "deleted", path: "/x" } },
    ]);
  });

  it("holds a disconnected session's events until it reconnects, and drops them if it expires", () => {
    const tree = new ZnodeTree();
    const a = tree.openSession(100, 0);
    const b = tree.openSession(100, 0);
    tree.create(a, "/x", Buffer.alloc(0));
    tree.get(b, "/x", () => {});
    tree.disconnect(b, 10);
    tree.set(a, "/x", Buffer.from("1"));
    expect(tree.takeNotifications()).toEqual([]);
    expect(tree.reconnect(b, 50)).toBe("connected");
    expect(tree.takeNotifications().map((n) => n.kind === "watch" && n.event.type)).toEqual(["dataChanged"]);
    tree.get(b, "/x", () => {});
    tree.disconnect(b, 60);
    tree.set(a, "/x", Buffer.from("2"));
    expect(tree.tick(159)).toEqual([]);
    expect(tree.tick(160)).toEqual([b]);
    expect(tree.takeNotifications()).toEqual([{ kind: "expired", sessionId: b }]);
  });

  it("gives one zxid to a whole multi and to a session's ephemeral cleanup", () => {
    const tree = new ZnodeTree();
    const a = tree.openSession(100, 0);
    tree.multi(a, [
      { op: "create", path: "/e1", data: Buffer.alloc(0), mode: "ephemeral" },
      { op: "create", path: "/e2", data: Buffer.alloc(0), mode: "ephemeral" },
    ]);
    const [e1, e2] = tree.snapshot().filter((n) => n.path.startsWith("/e"));
    expect(e1!.stat.czxid).toBe(e2!.stat.czxid);
    expect(tree.zxid).toBe(1);
    tree.expire(a);
    expect(tree.zxid).toBe(2);
    expect(tree.paths()).toEqual(["/"]);
  });
});
