/**
 * Metadata-store operations as data: a sans-IO core asks for them as effects and receives their results
 * as inputs. The simulator runs them on the embedded znode tree; the TCP broker on a MetadataSession.
 */
import type { CreateMode, MultiOp, Stat, StoreErrorCode, WatchEvent } from "../metadata/store.ts";

export type ZkRequest =
  | { op: "create"; path: string; data: Buffer; mode: CreateMode }
  /** Creates the path and any missing parents as persistent empty nodes; existing ones stay. */
  | { op: "mkdirp"; path: string }
  | { op: "get"; path: string; watch: boolean }
  | { op: "exists"; path: string; watch: boolean }
  | { op: "children"; path: string; watch: boolean }
  | { op: "set"; path: string; data: Buffer; version: number }
  | { op: "delete"; path: string; version: number }
  | { op: "multi"; ops: MultiOp[] };

export type ZkResult =
  | { ok: true; path?: string; data?: Buffer; stat?: Stat | null; children?: string[] | null }
  | { ok: false; code: StoreErrorCode };

export type ZkCallback = (result: ZkResult) => void;

/**
 * Keeps the continuations of in-flight store requests by id, so a core can write its multi-step
 * store conversations (read, then conditional write) as callbacks while staying free of I/O.
 */
export class ZkCalls {
  private nextId = 1;
  private readonly pending = new Map<number, ZkCallback>();

  constructor(private readonly emit: (id: number, request: ZkRequest) => void) {}

  call(request: ZkRequest, callback: ZkCallback): void {
    const id = this.nextId++;
    this.pending.set(id, callback);
    this.emit(id, request);
  }

  /** Returns false for a result nobody waits for (e.g. from before a session was replaced). */
  resolve(id: number, result: ZkResult): boolean {
    const cb = this.pending.get(id);
    if (cb === undefined) return false;
    this.pending.delete(id);
    cb(result);
    return true;
  }

  /** A new session: results of the old one's requests are dropped. */
  reset(): void {
    this.pending.clear();
  }
}

export type { WatchEvent };
