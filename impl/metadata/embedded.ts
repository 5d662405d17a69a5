/**
 * The embedded metadata store: ZooKeeper's semantics in one process, over the pure `ZnodeTree`.
 *
 * Every operation runs against the tree at the moment it is called; its result and the watch events it
 * fired are handed to the scheduler (watch events first, as a ZooKeeper server sends notifications
 * before the reply that caused them). The default scheduler is `queueMicrotask`; the simulator passes
 * its own event queue, so a whole run is reproducible from its seed.
 *
 * Time: sessions stay alive while connected. The simulator models a broker cut off from ZooKeeper with
 * `disconnect(sessionId)`, heals it with `reconnect(sessionId)` and lets timeouts pass with `tick()`.
 */
import type {
  CreateMode,
  MetadataSession,
  MetadataStore,
  MultiOp,
  SessionState,
  Stat,
  Watcher,
} from "./store.ts";
import { ZnodeTree } from "./tree.ts";

export type Scheduler = (fn: () => void) => void;

export interface EmbeddedStoreOptions {
  /** Where results and watch events are delivered: the simulator's event queue. Default queueMicrotask. */
  schedule?: Scheduler;
  /** The clock for session timeouts, in ms. Default Date.now; the simulator passes its virtual clock. */
  now?: () => number;
}

export class EmbeddedStore implements MetadataStore {
  /** The tree itself, for white-box inspection (observe(), tests). Mutate it only through sessions. */
  readonly tree = new ZnodeTree();
  /** Delivers callbacks: public so sessions and drivers share the one ordered queue. */
  readonly schedule: Scheduler;
  private readonly now: () => number;
  private readonly sessions = new Map<string, EmbeddedSession>();

  constructor(options: EmbeddedStoreOptions = {}) {
    this.schedule = options.schedule ?? queueMicrotask;
    this.now = options.now ?? Date.now;
  }

  connect(options: { sessionTimeoutMs: number }): Promise<EmbeddedSession> {
    return this.run(() => {
      const id = this.tree.openSession(options.sessionTimeoutMs, this.now());
      const session = new EmbeddedSession(this, id);
      this.sessions.set(id, session);
      return session;
    });
  }

  expire(sessionId: string): Promise<void> {
    return this.run(() => {
      this.tree.expire(sessionId);
    });
  }

  /** The session's client loses its connection; operations fail with CONNECTION_LOSS until reconnect. */
  disconnect(sessionId: string): void {
    this.tree.disconnect(sessionId, this.now());
  }

  /** The client is back: resumes the session if within its timeout (missed watch events follow), else it expires. */
  reconnect(sessionId: string): SessionState | undefined {
    const status = this.tree.reconnect(sessionId, this.now());
    this.flush();
    return status;
  }

  /** Lets time pass: expires disconnected sessions whose timeout has run out. Returns their ids. */
  tick(nowMs: number = this.now()): string[] {
    const expired = this.tree.tick(nowMs);
    this.flush();
    return expired;
  }

  /** Closes every live session (their ephemerals go). */
  close(): Promise<void> {
    return this.run(() => {
      for (const id of this.tree.liveSessions()) this.tree.closeSession(id);
    });
  }

  /**
   * Runs one operation now and settles its promise through the scheduler, after the watch events it
   * fired. Every public entry point goes through here, so delivery order is the tree's order.
   */
  run<T>(op: () => T): Promise<T> {
    let outcome: { ok: true; value: T } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: op() };
    } catch (error) {
      outcome = { ok: false, error };
    }
    this.flush();
    return new Promise<T>((resolve, reject) => {
      this.schedule(() => (outcome.ok ? resolve(outcome.value) : reject(outcome.error)));
    });
  }

  private flush(): void {
    for (const n of this.tree.takeNotifications()) {
      if (n.kind === "watch") {
        const { watcher, event } = n;
        this.schedule(() => watcher(event));
      } else {
        const session = this.sessions.get(n.sessionId);
        if (session) this.schedule(() => session.notifyExpired());
      }
    }
  }
}

export class EmbeddedSession implements MetadataSession {
  private readonly expiryListeners: Array<() => void> = [];
  private expiredNotified = false;

  constructor(
    private readonly store: EmbeddedStore,
    readonly sessionId: string,
  ) {}

  get state(): SessionState {
    return this.store.tree.sessionStatus(this.sessionId) ?? "closed";
  }

  create(path: string, data: Buffer, mode: CreateMode = "persistent"): Promise<string> {
    return this.store.run(() => this.store.tree.create(this.sessionId, path, data, mode));
  }

  mkdirp(path: string): Promise<void> {
    return this.store.run(() => this.store.tree.mkdirp(this.sessionId, path));
  }

  get(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: Stat } | null> {
    return this.store.run(() => this.store.tree.get(this.sessionId, path, watch));
  }

  exists(path: string, watch?: Watcher): Promise<Stat | null> {
    return this.store.run(() => this.store.tree.exists(this.sessionId, path, watch));
  }

  children(path: string, watch?: Watcher): Promise<string[] | null> {
    return this.store.run(() => this.store.tree.children(this.sessionId, path, watch));
  }

  set(path: string, data: Buffer, version = -1): Promise<Stat> {
    return this.store.run(() => this.store.tree.set(this.sessionId, path, data, version));
  }

  delete(path: string, version = -1): Promise<void> {
    return this.store.run(() => this.store.tree.delete(this.sessionId, path, version));
  }

  multi(ops: MultiOp[]): Promise<void> {
    return this.store.run(() => this.store.tree.multi(this.sessionId, ops));
  }

  onExpired(listener: () => void): void {
    this.expiryListeners.push(listener);
    // A listener added after expiry still hears of it, once.
    if (this.expiredNotified) this.store.schedule(listener);
  }

  close(): Promise<void> {
    return this.store.run(() => {
      this.store.tree.closeSession(this.sessionId);
    });
  }

  /** Called by the store, through its scheduler, when the tree reports this session expired. */
  notifyExpired(): void {
    if (this.expiredNotified) return;
    this.expiredNotified = true;
    for (const listener of this.expiryListeners) listener();
  }
}
