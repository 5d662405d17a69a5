/**
 * A pure, synchronous znode tree: the sans-IO core of the embedded metadata store.
 *
 * It follows ZooKeeper's data model (persistent, ephemeral and sequential nodes, data and children
 * versions, one zxid per transaction, conditional writes, all-or-nothing multi, one-shot watches) and its
 * session model: a connected session is kept alive by its client, a disconnected one expires once its
 * timeout has passed, and expiry or close deletes the session's ephemeral nodes. There are no timers:
 * time enters only through `tick(nowMs)`, `disconnect(id, nowMs)` and `reconnect(id, nowMs)`.
 *
 * Watches do not run inside the tree. Fired watches become notifications that the caller drains with
 * `takeNotifications()` and delivers however it likes (the embedded store uses its scheduler). The same
 * calls always produce the same results and the same notification order.
 */
import {
  type CreateMode,
  type MultiOp,
  type Stat,
  StoreError,
  type WatchEvent,
  type Watcher,
} from "./store.ts";

export type SessionStatus = "connected" | "disconnected" | "expired" | "closed";

export type TreeNotification =
  | { kind: "watch"; sessionId: string; watcher: Watcher; event: WatchEvent }
  | { kind: "expired"; sessionId: string };

interface Znode {
  data: Buffer;
  stat: Stat;
  children: Set<string>;
  /**
   * Children ever created here. ZooKeeper stores this as the node's cversion and numbers sequential
   * children by it; the cversion clients see also counts deletions (creates * 2 - live children).
   */
  childCreates: number;
}

interface SessionRecord {
  readonly id: string;
  readonly timeoutMs: number;
  status: SessionStatus;
  /** When the server last heard from the client: refreshed by tick while connected. */
  lastHeardMs: number;
  ephemerals: Set<string>;
  /** Watch events that fired while the session was disconnected, delivered on reconnect. */
  held: TreeNotification[];
}

interface WatchRegistration {
  sessionId: string;
  watcher: Watcher;
}

/** A change that fires watches once its transaction commits. */
type Trigger =
  | { type: "created"; path: string }
  | { type: "deleted"; path: string }
  | { type: "dataChanged"; path: string };

/** ZooKeeper formats a sequential node's suffix as the parent's count of child creations, in ten digits. */
export const SEQUENCE_DIGITS = 10;

/** Throws on a malformed path: a programming error, as in ZooKeeper's clients. */
export function validatePath(path: string): void {
  const ok =
    path === "/" ||
    (path.startsWith("/") && !path.endsWith("/") && !path.includes("//") && !path.includes("\0"));
  if (!ok) throw new Error(`invalid znode path: ${JSON.stringify(path)}`);
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function copyStat(stat: Stat): Stat {
  return { ...stat };
}

export class ZnodeTree {
  private readonly nodes = new Map<string, Znode>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly dataWatches = new Map<string, WatchRegistration[]>();
  private readonly childWatches = new Map<string, WatchRegistration[]>();
  private outbox: TreeNotification[] = [];
  private lastZxid = 0;
  private lastSession = 0;

  constructor() {
    this.nodes.set("/", {
      data: Buffer.alloc(0),
      stat: { version: 0, cversion: 0, ephemeralOwner: "", czxid: 0, mzxid: 0 },
      children: new Set(),
      childCreates: 0,
    });
  }

  /** The zxid of the last committed transaction. */
  get zxid(): number {
    return this.lastZxid;
  }

  // ---- sessions ----

  openSession(timeoutMs: number, nowMs: number): string {
    if (!(timeoutMs > 0)) throw new Error(`session timeout must be positive, got ${timeoutMs}`);
    this.lastSession += 1;
    const id = `0x${this.lastSession.toString(16)}`;
    this.sessions.set(id, {
      id,
      timeoutMs,
      status: "connected",
      lastHeardMs: nowMs,
      ephemerals: new Set(),
      held: [],
    });
    return id;
  }

  sessionStatus(sessionId: string): SessionStatus | undefined {
    return this.sessions.get(sessionId)?.status;
  }

  /** Session ids that are connected or disconnected, in creation order. */
  liveSessions(): string[] {
    return [...this.sessions.values()]
      .filter((s) => s.status === "connected" || s.status === "disconnected")
      .map((s) => s.id);
  }

  /** The client lost its connection: the session's clock starts running. */
  disconnect(sessionId: string, nowMs: number): void {
    const s = this.sessions.get(sessionId);
    if (s?.status !== "connected") return;
    s.status = "disconnected";
    s.lastHeardMs = nowMs;
  }

  /**
   * The client reaches the server again. Within the timeout the session resumes and receives the watch
   * events it missed; past it the session expires now (as ZooKeeper tells a late client).
   */
  reconnect(sessionId: string, nowMs: number): SessionStatus | undefined {
    const s = this.sessions.get(sessionId);
    if (s?.status !== "disconnected") return s?.status;
    if (nowMs - s.lastHeardMs >= s.timeoutMs) {
      this.expire(sessionId);
      return "expired";
    }
    s.status = "connected";
    s.lastHeardMs = nowMs;
    this.outbox.push(...s.held);
    s.held = [];
    return "connected";
  }

  /** Advances time: expires every disconnected session whose timeout has passed. Returns their ids. */
  tick(nowMs: number): string[] {
    const expired: string[] = [];
    for (const s of this.sessions.values()) {
      if (s.status === "connected") s.lastHeardMs = Math.max(s.lastHeardMs, nowMs);
      else if (s.status === "disconnected" && nowMs - s.lastHeardMs >= s.timeoutMs) expired.push(s.id);
    }
    for (const id of expired) this.expire(id);
    return expired;
  }

  /** Expires a live session now: its ephemerals go, watches fire, then it is told. False if not live. */
  expire(sessionId: string): boolean {
    return this.endSession(sessionId, "expired");
  }

  /** Closes a live session as its client would: like expiry, but the client is not notified. */
  closeSession(sessionId: string): boolean {
    return this.endSession(sessionId, "closed");
  }

  private endSession(sessionId: string, status: "expired" | "closed"): boolean {
    const s = this.sessions.get(sessionId);
    if (s === undefined || (s.status !== "connected" && s.status !== "disconnected")) return false;
    s.status = status;
    s.held = [];
    this.dropWatches(sessionId);
    const ephemerals = [...s.ephemerals].sort();
    if (ephemerals.length > 0) {
      // ZooKeeper removes a session's ephemerals in one closeSession transaction.
      const triggers: Trigger[] = [];
      for (const path of ephemerals) this.applyDelete(path, -1, triggers, []);
      this.lastZxid += 1;
      this.fire(triggers);
    }
    if (status === "expired") this.outbox.push({ kind: "expired", sessionId });
    return true;
  }

  private dropWatches(sessionId: string): void {
    for (const table of [this.dataWatches, this.childWatches]) {
      for (const [path, regs] of table) {
        const kept = regs.filter((r) => r.sessionId !== sessionId);
        if (kept.length === 0) table.delete(path);
        else table.set(path, kept);
      }
    }
  }

  private requireConnected(sessionId: string, path: string): SessionRecord {
    const s = this.sessions.get(sessionId);
    if (s === undefined || s.status === "expired" || s.status === "closed") {
      throw new StoreError("SESSION_EXPIRED", path);
    }
    if (s.status === "disconnected") throw new StoreError("CONNECTION_LOSS", path);
    return s;
  }

  // ---- reads ----

  get(sessionId: string, path: string, watcher?: Watcher): { data: Buffer; stat: Stat } | null {
    validatePath(path);
    this.requireConnected(sessionId, path);
    const node = this.nodes.get(path);
    if (node === undefined) return null;
    if (watcher) this.addWatch(this.dataWatches, path, sessionId, watcher);
    return { data: Buffer.from(node.data), stat: copyStat(node.stat) };
  }

  /** Sets the watch whether or not the node exists: it fires on creation, change or deletion. */
  exists(sessionId: string, path: string, watcher?: Watcher): Stat | null {
    validatePath(path);
    this.requireConnected(sessionId, path);
    if (watcher) this.addWatch(this.dataWatches, path, sessionId, watcher);
    const node = this.nodes.get(path);
    return node === undefined ? null : copyStat(node.stat);
  }

  /** Children names, sorted (ZooKeeper leaves the order unspecified; sorting keeps runs deterministic). */
  children(sessionId: string, path: string, watcher?: Watcher): string[] | null {
    validatePath(path);
    this.requireConnected(sessionId, path);
    const node = this.nodes.get(path);
    if (node === undefined) return null;
    if (watcher) this.addWatch(this.childWatches, path, sessionId, watcher);
    return [...node.children].sort();
  }

  private addWatch(
    table: Map<string, WatchRegistration[]>,
    path: string,
    sessionId: string,
    watcher: Watcher,
  ): void {
    const regs = table.get(path) ?? [];
    // One registration per (session, watcher, path, kind), as ZooKeeper's watch sets.
    if (!regs.some((r) => r.sessionId === sessionId && r.watcher === watcher))
      regs.push({ sessionId, watcher });
    table.set(path, regs);
  }

  // ---- writes ----

  create(sessionId: string, path: string, data: Buffer, mode: CreateMode = "persistent"): string {
    return this.transact(sessionId, path, (triggers, undo) =>
      this.applyCreate(sessionId, path, data, mode, triggers, undo),
    );
  }

  /** Creates `path` and any missing ancestors as persistent empty nodes, each in its own transaction. */
  mkdirp(sessionId: string, path: string): void {
    validatePath(path);
    this.requireConnected(sessionId, path);
    if (path === "/") return;
    const parts = path.split("/").slice(1);
    let current = "";
    for (const part of parts) {
      current = `${current}/${part}`;
      if (!this.nodes.has(current)) this.create(sessionId, current, Buffer.alloc(0), "persistent");
    }
  }

  set(sessionId: string, path: string, data: Buffer, version = -1): Stat {
    return this.transact(sessionId, path, (triggers, undo) =>
      this.applySet(path, data, version, triggers, undo),
    );
  }

  delete(sessionId: string, path: string, version = -1): void {
    this.transact(sessionId, path, (triggers, undo) => this.applyDelete(path, version, triggers, undo));
  }

  /** Applies every op or none; on failure throws the first failing op's error, naming its path. */
  multi(sessionId: string, ops: MultiOp[]): void {
    this.transact(sessionId, ops[0]?.path ?? "/", (triggers, undo) => {
      for (const op of ops) {
        switch (op.op) {
          case "create":
            this.applyCreate(sessionId, op.path, op.data, op.mode, triggers, undo);
            break;
          case "set":
            this.applySet(op.path, op.data, op.version, triggers, undo);
            break;
          case "delete":
            this.applyDelete(op.path, op.version, triggers, undo);
            break;
          case "check":
            this.applyCheck(op.path, op.version);
            break;
        }
      }
    });
  }

  /**
   * Runs one transaction: all its changes get the next zxid and fire watches after it commits; if it
   * throws, its changes are undone in reverse order and nothing fires.
   */
  private transact<T>(
    sessionId: string,
    path: string,
    body: (triggers: Trigger[], undo: Array<() => void>) => T,
  ): T {
    validatePath(path);
    this.requireConnected(sessionId, path);
    const triggers: Trigger[] = [];
    const undo: Array<() => void> = [];
    let result: T;
    try {
      result = body(triggers, undo);
    } catch (err) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw err;
    }
    this.lastZxid += 1;
    this.fire(triggers);
    return result;
  }

  private applyCreate(
    sessionId: string,
    requested: string,
    data: Buffer,
    mode: CreateMode,
    triggers: Trigger[],
    undo: Array<() => void>,
  ): string {
    validatePath(requested);
    if (requested === "/") throw new StoreError("NODE_EXISTS", requested);
    const parentPath = parentOf(requested);
    const parent = this.nodes.get(parentPath);
    if (parent === undefined) throw new StoreError("NO_NODE", requested);
    if (parent.stat.ephemeralOwner !== "") throw new StoreError("NO_CHILDREN_FOR_EPHEMERALS", requested);
    const sequential = mode === "persistentSequential" || mode === "ephemeralSequential";
    const ephemeral = mode === "ephemeral" || mode === "ephemeralSequential";
    const path = sequential
      ? requested + String(parent.childCreates).padStart(SEQUENCE_DIGITS, "0")
      : requested;
    if (this.nodes.has(path)) throw new StoreError("NODE_EXISTS", path);
    const zxid = this.lastZxid + 1;
    const node: Znode = {
      data: Buffer.from(data),
      stat: { version: 0, cversion: 0, ephemeralOwner: ephemeral ? sessionId : "", czxid: zxid, mzxid: zxid },
      children: new Set(),
      childCreates: 0,
    };
    const parentStat = copyStat(parent.stat);
    this.nodes.set(path, node);
    parent.children.add(nameOf(path));
    parent.stat.cversion += 1;
    parent.childCreates += 1;
    const session = this.sessions.get(sessionId)!;
    if (ephemeral) session.ephemerals.add(path);
    undo.push(() => {
      this.nodes.delete(path);
      parent.children.delete(nameOf(path));
      parent.stat = parentStat;
      parent.childCreates -= 1;
      session.ephemerals.delete(path);
    });
    triggers.push({ type: "created", path });
    return path;
  }

  private applySet(
    path: string,
    data: Buffer,
    version: number,
    triggers: Trigger[],
    undo: Array<() => void>,
  ): Stat {
    validatePath(path);
    const node = this.nodes.get(path);
    if (node === undefined) throw new StoreError("NO_NODE", path);
    if (version !== -1 && version !== node.stat.version) throw new StoreError("BAD_VERSION", path);
    const before = { data: node.data, stat: copyStat(node.stat) };
    node.data = Buffer.from(data);
    node.stat.version += 1;
    node.stat.mzxid = this.lastZxid + 1;
    undo.push(() => {
      node.data = before.data;
      node.stat = before.stat;
    });
    triggers.push({ type: "dataChanged", path });
    return copyStat(node.stat);
  }

  private applyDelete(path: string, version: number, triggers: Trigger[], undo: Array<() => void>): void {
    validatePath(path);
    if (path === "/") throw new Error("the root znode cannot be deleted");
    const node = this.nodes.get(path);
    if (node === undefined) throw new StoreError("NO_NODE", path);
    if (version !== -1 && version !== node.stat.version) throw new StoreError("BAD_VERSION", path);
    if (node.children.size > 0) throw new StoreError("NOT_EMPTY", path);
    const parent = this.nodes.get(parentOf(path))!;
    const parentStat = copyStat(parent.stat);
    this.nodes.delete(path);
    parent.children.delete(nameOf(path));
    parent.stat.cversion += 1;
    const owner = node.stat.ephemeralOwner === "" ? undefined : this.sessions.get(node.stat.ephemeralOwner);
    owner?.ephemerals.delete(path);
    undo.push(() => {
      this.nodes.set(path, node);
      parent.children.add(nameOf(path));
      parent.stat = parentStat;
      owner?.ephemerals.add(path);
    });
    triggers.push({ type: "deleted", path });
  }

  private applyCheck(path: string, version: number): void {
    validatePath(path);
    const node = this.nodes.get(path);
    if (node === undefined) throw new StoreError("NO_NODE", path);
    if (version !== -1 && version !== node.stat.version) throw new StoreError("BAD_VERSION", path);
  }

  // ---- watches ----

  /** Turns committed changes into notifications, in change order, then registration order. */
  private fire(triggers: Trigger[]): void {
    for (const t of triggers) {
      const event: WatchEvent = { type: t.type, path: t.path };
      if (t.type === "deleted") {
        // A deleted node's data and child watchers hear one "deleted" each, deduplicated.
        const regs = [...this.take(this.dataWatches, t.path), ...this.take(this.childWatches, t.path)];
        const seen: WatchRegistration[] = [];
        for (const r of regs) {
          if (seen.some((s) => s.sessionId === r.sessionId && s.watcher === r.watcher)) continue;
          seen.push(r);
          this.notify(r, event);
        }
      } else {
        for (const r of this.take(this.dataWatches, t.path)) this.notify(r, event);
      }
      if (t.type !== "dataChanged" && t.path !== "/") {
        const parent = parentOf(t.path);
        const childEvent: WatchEvent = { type: "childrenChanged", path: parent };
        for (const r of this.take(this.childWatches, parent)) this.notify(r, childEvent);
      }
    }
  }

  private take(table: Map<string, WatchRegistration[]>, path: string): WatchRegistration[] {
    const regs = table.get(path) ?? [];
    table.delete(path);
    return regs;
  }

  private notify(reg: WatchRegistration, event: WatchEvent): void {
    const s = this.sessions.get(reg.sessionId);
    const n: TreeNotification = { kind: "watch", sessionId: reg.sessionId, watcher: reg.watcher, event };
    if (s?.status === "connected") this.outbox.push(n);
    else if (s?.status === "disconnected") s.held.push(n);
  }

  /** Drains the notifications produced so far, oldest first. */
  takeNotifications(): TreeNotification[] {
    const out = this.outbox;
    this.outbox = [];
    return out;
  }

  // ---- inspection (tests, the simulator's observe) ----

  /** Every path in the tree, sorted. */
  paths(): string[] {
    return [...this.nodes.keys()].sort();
  }

  /** Every node with a copy of its data and stat, sorted by path: what a test or observer compares. */
  snapshot(): Array<{ path: string; data: Buffer; stat: Stat }> {
    return this.paths().map((path) => {
      const node = this.nodes.get(path)!;
      return { path, data: Buffer.from(node.data), stat: copyStat(node.stat) };
    });
  }
}
