/**
 * The ZooKeeper metadata store: `MetadataStore` over a real ensemble through node-zookeeper-client
 * (pure JavaScript). Connect strings are Kafka's `zookeeper.connect`: "host:port[,host:port]/chroot";
 * a missing chroot is created on first connect, as Kafka does.
 *
 * Differences from the embedded store are ZooKeeper's own: operations issued while disconnected wait
 * for the reconnect instead of failing at once, and a `deleted` event reaches a function registered as
 * both data and child watcher of a path twice (the library keeps the two watch sets apart).
 */
import zookeeper from "node-zookeeper-client";
import {
  type CreateMode,
  type MetadataSession,
  type MetadataStore,
  type MultiOp,
  type SessionState,
  type Stat,
  StoreError,
  type StoreErrorCode,
  type WatchEvent,
  type Watcher,
} from "./store.ts";
import { validatePath } from "./tree.ts";

const { CreateMode: ZkCreateMode, Exception, Event } = zookeeper;
type Client = zookeeper.Client;
/** World-writable ACL, what Kafka uses without zookeeper.set.acl (missing from the library's typings). */
const OPEN_ACL_UNSAFE = (zookeeper.ACL as unknown as { OPEN_ACL_UNSAFE: zookeeper.ACL[] }).OPEN_ACL_UNSAFE;

const MODES: Record<CreateMode, number> = {
  persistent: ZkCreateMode.PERSISTENT,
  ephemeral: ZkCreateMode.EPHEMERAL,
  persistentSequential: ZkCreateMode.PERSISTENT_SEQUENTIAL,
  ephemeralSequential: ZkCreateMode.EPHEMERAL_SEQUENTIAL,
};

/** ZooKeeper's multi opcodes (jute OpCode), used to build transactions ourselves; see `multi`. */
const OP_CREATE = 1;
const OP_DELETE = 2;
const OP_SET_DATA = 5;
const OP_CHECK = 13;

const CODES: ReadonlyMap<number, StoreErrorCode> = new Map([
  [Exception.NO_NODE, "NO_NODE"],
  [Exception.NODE_EXISTS, "NODE_EXISTS"],
  [Exception.BAD_VERSION, "BAD_VERSION"],
  [Exception.NOT_EMPTY, "NOT_EMPTY"],
  [Exception.NO_CHILDREN_FOR_EPHEMERALS, "NO_CHILDREN_FOR_EPHEMERALS"],
  [Exception.SESSION_EXPIRED, "SESSION_EXPIRED"],
  [Exception.CONNECTION_LOSS, "CONNECTION_LOSS"],
  // A timed-out request, like a lost connection, leaves the outcome unknown.
  [Exception.OPERATION_TIMEOUT, "CONNECTION_LOSS"],
]);

/** Maps a library error to a StoreError; anything else (auth, marshalling) is passed on as is. */
export function toStoreError(err: unknown, path: string): unknown {
  if (err instanceof Exception) {
    const code = CODES.get(err.getCode());
    if (code !== undefined) return new StoreError(code, path);
  }
  return err;
}

/** "0x" and the 64-bit id in hex, without leading zeros: how ZooKeeper prints session ids. */
export function formatSessionId(id: Buffer): string {
  return `0x${id.readBigUInt64BE(0).toString(16)}`;
}

function toStat(s: zookeeper.Stat): Stat {
  const owner = s.ephemeralOwner.readBigUInt64BE(0);
  return {
    version: s.version,
    cversion: s.cversion,
    ephemeralOwner: owner === 0n ? "" : formatSessionId(s.ephemeralOwner),
    czxid: Number(s.czxid.readBigInt64BE(0)),
    mzxid: Number(s.mzxid.readBigInt64BE(0)),
  };
}

const EVENT_TYPES: ReadonlyMap<number, WatchEvent["type"]> = new Map([
  [Event.NODE_CREATED, "created"],
  [Event.NODE_DELETED, "deleted"],
  [Event.NODE_DATA_CHANGED, "dataChanged"],
  [Event.NODE_CHILDREN_CHANGED, "childrenChanged"],
]);

/** Splits "h1:2181,h2:2181/kafka" into servers and chroot ("" when none). */
export function parseConnectString(connect: string): { servers: string; chroot: string } {
  const slash = connect.indexOf("/");
  if (slash < 0) return { servers: connect, chroot: "" };
  const chroot = connect.slice(slash);
  return { servers: connect.slice(0, slash), chroot: chroot === "/" ? "" : chroot };
}

export interface ZooKeeperStoreOptions {
  /** How long connect() waits for the first connection. Default 10 s. */
  connectTimeoutMs?: number;
}

export class ZooKeeperStore implements MetadataStore {
  private readonly sessions = new Map<string, ZooKeeperSession>();
  private readonly connectTimeoutMs: number;
  private chrootReady = false;

  constructor(
    readonly connectString: string,
    options: ZooKeeperStoreOptions = {},
  ) {
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  async connect(options: { sessionTimeoutMs: number }): Promise<ZooKeeperSession> {
    if (!this.chrootReady) await this.ensureChroot(options.sessionTimeoutMs);
    const client = await openClient(this.connectString, {
      sessionTimeout: options.sessionTimeoutMs,
      connectTimeoutMs: this.connectTimeoutMs,
    });
    const session = new ZooKeeperSession(client);
    this.sessions.set(session.sessionId, session);
    return session;
  }

  /** Kafka creates its chroot if it is missing; so do we, through a connection without it. */
  private async ensureChroot(sessionTimeoutMs: number): Promise<void> {
    const { servers, chroot } = parseConnectString(this.connectString);
    if (chroot !== "") {
      const root = new ZooKeeperSession(
        await openClient(servers, {
          sessionTimeout: sessionTimeoutMs,
          connectTimeoutMs: this.connectTimeoutMs,
        }),
      );
      try {
        await root.mkdirp(chroot);
      } finally {
        await root.close();
      }
    }
    this.chrootReady = true;
  }

  /**
   * Expires a session of this store the way Kafka's tests do: a second connection presents the same
   * session id and password, which makes the server drop the first connection, and then closes the
   * session. The Java client waits up to a second before reconnecting, so there the trick just works;
   * node-zookeeper-client reconnects at once and would take the session back first, so we hold the
   * victim's reconnect until the session is closed. It then reconnects, is told the session expired,
   * and its expiry listeners run. Resolves once the victim has seen the expiry.
   */
  async expire(sessionId: string): Promise<void> {
    const victim = this.sessions.get(sessionId);
    if (victim === undefined) throw new Error(`expire: ${sessionId} is not a session of this store`);
    if (victim.state === "expired" || victim.state === "closed") return;
    const release = victim.holdReconnects();
    try {
      const impostor = await openClient(this.connectString, {
        sessionTimeout: victim.client.getSessionTimeout(),
        connectTimeoutMs: this.connectTimeoutMs,
        sessionId: victim.client.getSessionId(),
        sessionPassword: victim.client.getSessionPassword(),
      });
      await closeClient(impostor);
    } finally {
      release();
    }
    await victim.waitForExpiry(this.connectTimeoutMs);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
  }
}

interface OpenOptions {
  sessionTimeout: number;
  connectTimeoutMs: number;
  sessionId?: Buffer;
  sessionPassword?: Buffer;
}

function openClient(connect: string, options: OpenOptions): Promise<Client> {
  const { connectTimeoutMs, ...clientOptions } = options;
  // The library's typings omit the session id and password options it supports.
  const client = zookeeper.createClient(connect, { spinDelay: 200, retries: 0, ...clientOptions } as never);
  return new Promise<Client>((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeListener("connected", onConnected);
      client.close();
      reject(
        new StoreError("CONNECTION_LOSS", `zookeeper ${connect} (no connection in ${connectTimeoutMs} ms)`),
      );
    }, connectTimeoutMs);
    const onConnected = () => {
      clearTimeout(timer);
      resolve(client);
    };
    client.once("connected", onConnected);
    client.connect();
  });
}

/** Closes the client's session and waits for the server to drop the connection (bounded). */
function closeClient(client: Client, timeoutMs = 5_000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    client.once("disconnected", () => {
      clearTimeout(timer);
      resolve();
    });
    client.close();
  });
}

/** The library's connection manager: reached into only to hold reconnects during `expire`. */
interface ConnectionManagerInternals {
  connect: () => void;
}

export class ZooKeeperSession implements MetadataSession {
  readonly sessionId: string;
  private current: SessionState = "connected";
  private readonly expiryListeners: Array<() => void> = [];
  private readonly expiryWaiters: Array<() => void> = [];
  /** One library watcher per user watcher, so registering the same function twice watches once. */
  private readonly wrapped = new WeakMap<Watcher, (event: zookeeper.Event) => void>();

  constructor(readonly client: Client) {
    this.sessionId = formatSessionId(client.getSessionId());
    client.on("connected", () => {
      if (this.current === "disconnected") this.current = "connected";
    });
    client.on("disconnected", () => {
      if (this.current === "connected") this.current = "disconnected";
    });
    client.on("expired", () => this.markExpired());
  }

  get state(): SessionState {
    return this.current;
  }

  private markExpired(): void {
    if (this.current === "expired" || this.current === "closed") return;
    this.current = "expired";
    for (const listener of this.expiryListeners) listener();
    for (const waiter of this.expiryWaiters.splice(0)) waiter();
  }

  /** Stops the library from reconnecting until the returned function is called. */
  holdReconnects(): () => void {
    const manager = (this.client as unknown as { connectionManager: ConnectionManagerInternals })
      .connectionManager;
    const original = manager.connect;
    let wanted = false;
    manager.connect = () => {
      wanted = true;
    };
    return () => {
      manager.connect = original;
      if (wanted) original.call(manager);
    };
  }

  /**
   * Cuts this client off from the ensemble (a network partition between it and ZooKeeper): drops the
   * connection and keeps it from reconnecting until the returned function is called. Past the session
   * timeout the server expires the session; the client learns it when it reconnects.
   */
  dropConnection(): () => void {
    const release = this.holdReconnects();
    (
      this.client as unknown as { connectionManager: { socket?: { destroy(): void } } }
    ).connectionManager.socket?.destroy();
    return release;
  }

  waitForExpiry(timeoutMs: number): Promise<void> {
    if (this.current === "expired") return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`session ${this.sessionId} did not expire within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.expiryWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Fails fast on a dead session, as the embedded store does (the library would say CONNECTION_LOSS). */
  private live(path: string): void {
    validatePath(path);
    if (this.current === "expired" || this.current === "closed")
      throw new StoreError("SESSION_EXPIRED", path);
  }

  private watcherFor(watch: Watcher): (event: zookeeper.Event) => void {
    let w = this.wrapped.get(watch);
    if (w === undefined) {
      w = (event: zookeeper.Event) => {
        const type = EVENT_TYPES.get(event.getType());
        if (type !== undefined) watch({ type, path: event.getPath() });
      };
      this.wrapped.set(watch, w);
    }
    return w;
  }

  private call<T>(path: string, start: (done: (err: unknown, value?: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.live(path); // A throw here rejects the promise, as a failed request would.
      start((err, value) => (err ? reject(toStoreError(err, path)) : resolve(value as T)));
    });
  }

  create(path: string, data: Buffer, mode: CreateMode = "persistent"): Promise<string> {
    return this.call<string>(path, (done) => this.client.create(path, data, MODES[mode], done));
  }

  async mkdirp(path: string): Promise<void> {
    this.live(path);
    if (path === "/") return;
    let current = "";
    for (const part of path.split("/").slice(1)) {
      current = `${current}/${part}`;
      if (await this.exists(current)) continue;
      try {
        await this.create(current, Buffer.alloc(0), "persistent");
      } catch (err) {
        if (!(err instanceof StoreError && err.code === "NODE_EXISTS")) throw err;
      }
    }
  }

  get(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: Stat } | null> {
    return this.call(path, (done) => {
      const cb = (err: unknown, data: Buffer, stat: zookeeper.Stat) => {
        if (err instanceof Exception && err.getCode() === Exception.NO_NODE) done(null, null);
        else if (err) done(err);
        else done(null, { data: data ?? Buffer.alloc(0), stat: toStat(stat) });
      };
      if (watch) this.client.getData(path, this.watcherFor(watch), cb);
      else this.client.getData(path, cb);
    });
  }

  exists(path: string, watch?: Watcher): Promise<Stat | null> {
    return this.call(path, (done) => {
      const cb = (err: unknown, stat: zookeeper.Stat) =>
        err ? done(err) : done(null, stat ? toStat(stat) : null);
      if (watch) this.client.exists(path, this.watcherFor(watch), cb);
      else this.client.exists(path, cb);
    });
  }

  children(path: string, watch?: Watcher): Promise<string[] | null> {
    return this.call(path, (done) => {
      const cb = (err: unknown, children: string[]) => {
        if (err instanceof Exception && err.getCode() === Exception.NO_NODE) done(null, null);
        else if (err) done(err);
        else done(null, [...children].sort());
      };
      if (watch) this.client.getChildren(path, this.watcherFor(watch), cb);
      else this.client.getChildren(path, cb);
    });
  }

  set(path: string, data: Buffer, version = -1): Promise<Stat> {
    return this.call(path, (done) =>
      this.client.setData(path, data, version, (err, stat) => (err ? done(err) : done(null, toStat(stat)))),
    );
  }

  delete(path: string, version = -1): Promise<void> {
    return this.call(path, (done) => this.client.remove(path, version, (err) => done(err)));
  }

  /**
   * The library's Transaction methods turn version 0 into -1 (`version || -1`), which would make a
   * check on a fresh node unconditional; so the ops are put on the transaction as the library would,
   * with the version untouched.
   */
  multi(ops: MultiOp[]): Promise<void> {
    const first = ops[0]?.path ?? "/";
    return new Promise<void>((resolve, reject) => {
      for (const op of ops) this.live(op.path);
      const tx = this.client.transaction() as zookeeper.Transaction & { ops: unknown[] };
      for (const op of ops) {
        switch (op.op) {
          case "create":
            tx.ops.push({
              type: OP_CREATE,
              path: op.path,
              data: op.data,
              acls: OPEN_ACL_UNSAFE,
              mode: MODES[op.mode],
            });
            break;
          case "set":
            tx.ops.push({ type: OP_SET_DATA, path: op.path, data: op.data, version: op.version });
            break;
          case "delete":
            tx.ops.push({ type: OP_DELETE, path: op.path, version: op.version });
            break;
          case "check":
            tx.ops.push({ type: OP_CHECK, path: op.path, version: op.version });
            break;
        }
      }
      tx.commit((err, results: Array<{ err?: number }> | undefined) => {
        if (!err) return resolve();
        // Name the op that failed: the first result carrying a real error code.
        const index = (results ?? []).findIndex(
          (r) => r.err !== undefined && r.err !== Exception.OK && r.err !== Exception.RUNTIME_INCONSISTENCY,
        );
        reject(toStoreError(err, ops[index]?.path ?? first));
      });
    });
  }

  onExpired(listener: () => void): void {
    this.expiryListeners.push(listener);
    if (this.current === "expired") queueMicrotask(listener);
  }

  async close(): Promise<void> {
    if (this.current === "closed" || this.current === "expired") return;
    this.current = "closed";
    await closeClient(this.client);
  }
}
