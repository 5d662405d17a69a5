import * as nodefs from "node:fs";
import { dirname } from "node:path";
import type { FileHandle, FileSystem } from "./fs.ts";

/**
 * Descriptors storage may hold open at once by default: 512, or a quarter of the process's soft
 * RLIMIT_NOFILE when that is lower, so sockets always keep most of the process's descriptors.
 */
export const DEFAULT_MAX_OPEN_FILES = Math.max(8, Math.min(512, Math.floor(softDescriptorLimit() / 4)));

/** The process's soft limit on open files (Linux: /proc/self/limits); Infinity when unknown. */
function softDescriptorLimit(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(nodefs.readFileSync("/proc/self/limits", "utf8"));
    return m === null ? Number.POSITIVE_INFINITY : Number(m[1]);
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
/** A descriptor unused this long is closed by the next sweep. */
export const DEFAULT_IDLE_CLOSE_MS = 30_000;

function outOfDescriptors(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === "EMFILE" || code === "ENFILE";
}

/**
 * The descriptors behind a DiskFileSystem's handles, opened on first use and closed least recently used
 * first past `maxOpen`, or when idle. A handle keeps only its path and its own end of file, so a closed
 * descriptor costs nothing to reopen ("r+", writes go to the tracked end). Closing a descriptor with
 * unflushed writes loses nothing: the bytes are in the page cache, and fsync through a later descriptor
 * flushes the file's dirty pages whichever descriptor wrote them.
 */
export class DescriptorPool {
  /** Open descriptors in least-recently-used-first order (Map keeps insertion order; a use re-inserts). */
  private readonly open = new Map<DiskFileHandle, { fd: number; lastUse: number }>();

  constructor(
    readonly maxOpen = DEFAULT_MAX_OPEN_FILES,
    readonly idleCloseMs = DEFAULT_IDLE_CLOSE_MS,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxOpen) || maxOpen < 1)
      throw new RangeError(`maxOpen ${maxOpen} must be at least 1`);
    pools.add(new WeakRef(this));
  }

  /** Descriptors this pool holds open now. */
  get size(): number {
    return this.open.size;
  }

  /** The handle's descriptor, opened if needed; marks it most recently used. */
  fdOf(h: DiskFileHandle): number {
    const now = this.now();
    const e = this.open.get(h);
    if (e !== undefined) {
      this.open.delete(h);
      e.lastUse = now;
      this.open.set(h, e);
      return e.fd;
    }
    this.closeIdle(now);
    while (this.open.size >= this.maxOpen) this.evictOldest();
    const fd = this.openFd(h.path, "r+");
    this.open.set(h, { fd, lastUse: now });
    return fd;
  }

  /** Closes the handle's descriptor if it has one. */
  release(h: DiskFileHandle): void {
    const e = this.open.get(h);
    if (e === undefined) return;
    this.open.delete(h);
    nodefs.closeSync(e.fd);
  }

  /** Closes descriptors unused for `idleCloseMs`; returns how many. */
  closeIdle(now = this.now()): number {
    let n = 0;
    for (const [h, e] of this.open) {
      if (now - e.lastUse < this.idleCloseMs) break;
      this.release(h);
      n++;
    }
    return n;
  }

  /** Closes every descriptor (handles reopen on next use); returns how many. */
  closeAll(): number {
    const n = this.open.size;
    for (const h of [...this.open.keys()]) this.release(h);
    return n;
  }

  /**
   * Opens `path`; when the process is out of descriptors, gives back this pool's own and tries once more,
   * so storage yields to sockets and to itself instead of failing while it holds idle descriptors.
   */
  openFd(path: string, flags: string): number {
    return this.withDescriptor(() => nodefs.openSync(path, flags));
  }

  /** Runs `fn`, which needs a descriptor for a moment (open, readdir); on EMFILE frees this pool's and retries once. */
  withDescriptor<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!outOfDescriptors(e) || this.open.size === 0) throw e;
      this.closeAll();
      return fn();
    }
  }

  private evictOldest(): void {
    const oldest = this.open.keys().next();
    if (!oldest.done) this.release(oldest.value);
  }
}

/** Every live pool in the process, for releaseStorageDescriptors. */
const pools = new Set<WeakRef<DescriptorPool>>();

/**
 * Closes every descriptor storage holds open in this process, returning how many: what a server that hit
 * EMFILE on accept() calls so that its next accept can succeed. Handles reopen their files on next use.
 */
export function releaseStorageDescriptors(): number {
  let n = 0;
  for (const ref of pools) {
    const pool = ref.deref();
    if (pool === undefined) pools.delete(ref);
    else n += pool.closeAll();
  }
  return n;
}

/** fsyncs a directory, making its entries (creates, renames, removes) durable. */
function syncDir(pool: DescriptorPool, dir: string): void {
  const fd = pool.openFd(dir, "r");
  try {
    nodefs.fsyncSync(fd);
  } finally {
    nodefs.closeSync(fd);
  }
}

/**
 * fsyncs every path (files or directories), `concurrency` at a time, through the thread pool; returns
 * how many it synced (a path removed since has nothing left to make durable).
 */
async function fsyncAll(paths: readonly string[], concurrency: number): Promise<number> {
  let next = 0;
  let synced = 0;
  const worker = async () => {
    while (next < paths.length) {
      const path = paths[next++];
      const handle = await nodefs.promises.open(path, "r").catch((e: NodeJS.ErrnoException) => {
        if (e.code === "ENOENT") return null;
        throw e;
      });
      if (handle === null) continue;
      try {
        await handle.sync();
        synced++;
      } finally {
        await handle.close();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, paths.length)) }, worker));
  return synced;
}

/** Syscalls a DiskFileSystem made, for tests and benches (fsync of files and of directories). */
export interface DiskSyncStats {
  fsyncs: number;
  dirSyncs: number;
}

/**
 * The real disk through node:fs synchronous calls. Paths are used as given. Keep one handle per file
 * open for writing: a handle tracks its own end of file. Handles hold no descriptor at rest: the pool
 * opens one on use and bounds how many stay open (`maxOpenFiles`).
 *
 * New entries are made durable lazily, as the contract in fs.ts allows: a create or mkdir marks its
 * directory pending, and the directory is synced once, for all its new entries, when a file beneath it
 * is fsynced, something is renamed into it, or syncDirectory() asks. A partition created and left empty
 * costs no sync at all; a batch of them costs one sync of their parent if the caller wants them listed
 * after a crash.
 */
export class DiskFileSystem implements FileSystem {
  readonly descriptors: DescriptorPool;
  readonly stats: DiskSyncStats = { fsyncs: 0, dirSyncs: 0 };
  /** Directories with entries not yet durable. */
  private readonly pendingDirs = new Set<string>();
  /** Files this instance created that no handle has opened yet: their first handle starts clean. */
  private readonly fresh = new Set<string>();

  constructor(opts: { maxOpenFiles?: number; idleCloseMs?: number; now?: () => number } = {}) {
    this.descriptors = new DescriptorPool(opts.maxOpenFiles, opts.idleCloseMs, opts.now);
  }

  open(path: string, opts: { create?: boolean; transient?: boolean } = {}): FileHandle {
    if (opts.create && !nodefs.existsSync(path)) {
      nodefs.closeSync(this.descriptors.openFd(path, "a"));
      this.fresh.add(path);
      if (!opts.transient) this.pendingDirs.add(dirname(path));
    }
    // Throws ENOENT for a missing file, as opening it would.
    const size = nodefs.statSync(path).size;
    // A file created here is empty and clean; one that was there may hold an earlier process's
    // unflushed writes (kill -9 keeps them in the page cache), so its first fsync must happen.
    const clean = this.fresh.delete(path);
    return new DiskFileHandle(path, size, this.descriptors, this, !clean, opts.transient === true);
  }
  createFiles(paths: readonly string[]): void {
    for (const path of paths) {
      if (nodefs.existsSync(path)) continue;
      nodefs.closeSync(this.descriptors.openFd(path, "a"));
      this.fresh.add(path);
      this.pendingDirs.add(dirname(path));
    }
  }
  syncDirectory(dir: string): void {
    this.syncPending(dir, false);
  }
  /**
   * Syncs `dir` (always when `force`, else only if pending) and every pending directory above it: the
   * entries leading to `dir` must be durable for anything in it to be found after a crash.
   */
  syncPending(dir: string, force: boolean): void {
    if (!force && this.pendingDirs.size === 0) return;
    for (let d = dir, first = true; ; first = false) {
      if (this.pendingDirs.delete(d) || (first && force)) {
        this.syncDirNow(d);
      }
      const up = dirname(d);
      if (up === d) break;
      d = up;
    }
  }
  exists(path: string): boolean {
    return nodefs.existsSync(path);
  }
  list(dir: string): string[] {
    return this.descriptors.withDescriptor(() => nodefs.readdirSync(dir)).sort();
  }
  remove(path: string): void {
    // Nothing removed, nothing to make durable: a new segment clears leftovers that are usually absent.
    if (!nodefs.existsSync(path)) return;
    nodefs.rmSync(path, { force: true });
    this.fresh.delete(path);
    const dir = dirname(path);
    this.pendingDirs.delete(dir);
    this.syncDirNow(dir);
  }
  rename(from: string, to: string): void {
    nodefs.renameSync(from, to);
    this.fresh.delete(from);
    // A sync noted for the old name is for the data, which the new name now holds.
    if (this.batch?.files.delete(from)) this.batch.files.add(to);
    this.syncPending(dirname(to), true);
  }
  mkdir(path: string): void {
    const created: string[] = [];
    for (let d = path; !nodefs.existsSync(d); d = dirname(d)) {
      created.push(d);
      if (dirname(d) === d) break;
    }
    if (created.length === 0) return;
    nodefs.mkdirSync(path, { recursive: true });
    for (const d of created) this.pendingDirs.add(dirname(d));
  }
  /** Syncs a directory, or within syncInParallel, notes it for the parallel pass. */
  private syncDirNow(dir: string): void {
    if (this.batch !== null) {
      this.batch.dirs.add(dir);
      return;
    }
    syncDir(this.descriptors, dir);
    this.stats.dirSyncs++;
  }

  /** fsyncs a handle's file (called by handles), or within syncInParallel, notes it for the parallel pass. */
  fsyncFile(path: string, fd: () => number): void {
    if (this.batch !== null) {
      this.batch.files.add(path);
      return;
    }
    nodefs.fsyncSync(fd());
    this.stats.fsyncs++;
  }

  /** Syncs noted by syncInParallel, or null outside it. */
  private batch: { files: Set<string>; dirs: Set<string> } | null = null;

  /**
   * Runs `fn` with every fsync and directory sync it asks for noted instead of done, then does them all
   * at once, `concurrency` at a time on libuv's thread pool: files first, then directories. Closing
   * thousands of logs costs a few batched journal commits instead of thousands of serial ones (1000
   * fsyncs: 4 s one by one, 0.2 s four at a time, on this machine's disk under load). Durable when the
   * promise resolves; until then nothing `fn` wrote is promised, not even writeFileAtomic's old-or-new
   * (its temporary file may be renamed before its data is synced): use it only where a crash before the
   * end is recovered from anyway, as a shutdown is before its clean-shutdown marker.
   */
  async syncInParallel<T>(fn: () => T, concurrency = 8): Promise<T> {
    if (this.batch !== null) throw new Error("syncInParallel does not nest");
    const batch = { files: new Set<string>(), dirs: new Set<string>() };
    this.batch = batch;
    let result: T;
    try {
      result = fn();
    } finally {
      this.batch = null;
      this.stats.fsyncs += await fsyncAll([...batch.files], concurrency);
      this.stats.dirSyncs += await fsyncAll([...batch.dirs], concurrency);
    }
    return result;
  }
}

class DiskFileHandle implements FileHandle {
  private end: number;
  private closed = false;
  constructor(
    readonly path: string,
    size: number,
    private readonly pool: DescriptorPool,
    private readonly owner: DiskFileSystem,
    /** Writes since the last fsync (or, for a file this process did not create, possibly before it). */
    private dirty: boolean,
    private readonly transient: boolean,
  ) {
    this.end = size;
  }
  private fd(): number {
    if (this.closed) throw new Error(`${this.path}: file handle is closed`);
    return this.pool.fdOf(this);
  }
  size(): number {
    return this.end;
  }
  append(data: Uint8Array): number {
    const fd = this.fd();
    const at = this.end;
    let done = 0;
    while (done < data.length) {
      done += nodefs.writeSync(fd, data, done, data.length - done, at + done);
    }
    this.end += data.length;
    this.dirty = true;
    return at;
  }
  read(position: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.end - position));
    if (n === 0) return Buffer.alloc(0);
    const fd = this.fd();
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const r = nodefs.readSync(fd, buf, done, n - done, position + done);
      if (r === 0) break;
      done += r;
    }
    return done === n ? buf : buf.subarray(0, done);
  }
  truncate(size: number): void {
    if (size >= this.end) return;
    nodefs.ftruncateSync(this.fd(), size);
    this.end = size;
    this.dirty = true;
  }
  fsync(): void {
    // A clean handle has nothing to flush: skipping keeps flush ticks over idle partitions from opening
    // fds, and a new file never written needs no directory sync (nothing in it to find after a crash).
    if (!this.dirty) return;
    this.owner.fsyncFile(this.path, () => this.fd());
    if (!this.transient) this.owner.syncPending(dirname(this.path), false);
    this.dirty = false;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pool.release(this);
  }
}
