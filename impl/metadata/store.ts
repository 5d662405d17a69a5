/**
 * The metadata store: ZooKeeper's primitives, behind one interface with two backends
 * (a real ZooKeeper for clusters of processes, an embedded store for one process and the simulator).
 *
 * Brokers hold one `MetadataSession` each, like a ZooKeeper client handle: ephemeral nodes belong to
 * the session and vanish when it closes or expires. Paths follow Kafka's znode layout
 * (/brokers/ids/N, /brokers/topics/T, /brokers/topics/T/partitions/P/state, /controller,
 * /controller_epoch, /config/topics/T, /admin/delete_topics).
 */

export type CreateMode = "persistent" | "ephemeral" | "persistentSequential" | "ephemeralSequential";

export interface Stat {
  /** Data version: bumped by every set. Conditional writes compare against it. */
  version: number;
  /** Children version: bumped when a child is created or deleted. */
  cversion: number;
  /** Session id of the owner for ephemeral nodes, "" otherwise. */
  ephemeralOwner: string;
  /** Transaction ids of creation and last modification (ZooKeeper's czxid/mzxid). */
  czxid: number;
  mzxid: number;
}

export type WatchEventType = "created" | "deleted" | "dataChanged" | "childrenChanged";
export interface WatchEvent {
  type: WatchEventType;
  path: string;
}
/** One-shot, as in ZooKeeper: a watch fires once and must be set again. */
export type Watcher = (event: WatchEvent) => void;

/** Errors carry ZooKeeper's names so callers can branch on them. */
export type StoreErrorCode =
  | "NO_NODE"
  | "NODE_EXISTS"
  | "BAD_VERSION"
  | "NOT_EMPTY"
  | "NO_CHILDREN_FOR_EPHEMERALS"
  | "SESSION_EXPIRED"
  | "CONNECTION_LOSS";

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly path: string,
  ) {
    super(`${code} ${path}`);
    this.name = "StoreError";
  }
}

/** An operation inside `multi`: all apply or none (ZooKeeper's transactions). */
export type MultiOp =
  | { op: "create"; path: string; data: Buffer; mode: CreateMode }
  | { op: "set"; path: string; data: Buffer; version: number }
  | { op: "delete"; path: string; version: number }
  | { op: "check"; path: string; version: number };

export type SessionState = "connected" | "disconnected" | "expired" | "closed";

export interface MetadataSession {
  readonly sessionId: string;
  readonly state: SessionState;
  /** Returns the created path (with the sequence suffix for sequential modes). Parent must exist. */
  create(path: string, data: Buffer, mode?: CreateMode): Promise<string>;
  /** Creates missing parents as persistent empty nodes; existing nodes are left alone. */
  mkdirp(path: string): Promise<void>;
  get(path: string, watch?: Watcher): Promise<{ data: Buffer; stat: Stat } | null>;
  exists(path: string, watch?: Watcher): Promise<Stat | null>;
  children(path: string, watch?: Watcher): Promise<string[] | null>;
  /** version -1: unconditional. Throws BAD_VERSION when the node's version differs. */
  set(path: string, data: Buffer, version?: number): Promise<Stat>;
  delete(path: string, version?: number): Promise<void>;
  multi(ops: MultiOp[]): Promise<void>;
  /** Called once when the session expires (its ephemeral nodes are gone by then). */
  onExpired(listener: () => void): void;
  close(): Promise<void>;
}

/** Creates sessions against one store (one ZooKeeper ensemble or one embedded tree). */
export interface MetadataStore {
  connect(options: { sessionTimeoutMs: number }): Promise<MetadataSession>;
  /** Force a session to expire now (what the `expireSession` fault does). */
  expire(sessionId: string): Promise<void>;
  close(): Promise<void>;
}
