import type { FileHandle, FileSystem } from "./fs.ts";

/**
 * An in-memory disk for the deterministic simulator. Each file keeps the bytes written (what reads
 * see) and the bytes made durable by fsync; crash() throws away everything not fsynced, as a power
 * loss does with the page cache. Given a PRNG, crash() may instead keep a random-length prefix of a
 * file's unflushed appends, cutting the last one at a random byte (a torn write). New entries (files,
 * directories) are lost in a crash until their directory is synced, as the contract in fs.ts says:
 * by fsync() of a file beneath it, rename() into it, remove() in it or syncDirectory(); renames and
 * removes are durable at once.
 */
export class SimFileSystem implements FileSystem {
  private readonly files = new Map<string, SimFile>();
  private readonly dirs = new Set<string>(["/"]);
  /** Bumped by crash(): handles from before the crash stop working, like a process that died. */
  private generation = 0;
  /** New entries not yet durable, by the directory holding them. */
  private readonly pending = new Map<string, Set<string>>();
  /** Counters for tests and the simulator's reports. */
  readonly stats = { fsyncs: 0, dirSyncs: 0, bytesWritten: 0, crashes: 0 };

  open(path: string, opts: { create?: boolean; transient?: boolean } = {}): FileHandle {
    let f = this.files.get(path);
    if (!f) {
      if (!opts.create) throw enoent(path);
      this.requireDir(parentOf(path));
      f = new SimFile();
      this.files.set(path, f);
      if (!opts.transient) this.addPending(path);
    }
    return new SimHandle(this, path, f, this.generation, opts.transient === true);
  }
  createFiles(paths: readonly string[]): void {
    for (const p of paths) this.open(p, { create: true }).close();
  }
  syncDirectory(dir: string): void {
    this.syncPending(normalizeDir(dir), false);
  }
  /** Syncs `dir` (when pending, or always with `force`) and every pending directory above it. */
  syncPending(dir: string, force: boolean): void {
    for (let d = dir, first = true; ; first = false) {
      if (this.pending.delete(d) || (first && force)) this.stats.dirSyncs++;
      if (d === "/") break;
      d = parentOf(d);
    }
  }
  /** Whether `path` was created and its directory not synced since (a crash would lose it). */
  isPending(path: string): boolean {
    return this.pending.get(parentOf(path))?.has(normalizeDir(path)) ?? false;
  }
  private addPending(path: string): void {
    const dir = parentOf(path);
    let set = this.pending.get(dir);
    if (set === undefined) {
      set = new Set();
      this.pending.set(dir, set);
    }
    set.add(normalizeDir(path));
  }
  exists(path: string): boolean {
    return this.files.has(path) || this.dirs.has(normalizeDir(path));
  }
  list(dir: string): string[] {
    const d = normalizeDir(dir);
    this.requireDir(d);
    const prefix = d === "/" ? "/" : `${d}/`;
    const names = new Set<string>();
    for (const p of [...this.files.keys(), ...this.dirs]) {
      if (p.startsWith(prefix) && p.length > prefix.length) names.add(p.slice(prefix.length).split("/")[0]);
    }
    return [...names].sort();
  }
  remove(path: string): void {
    if (!this.files.delete(path)) return;
    this.pending.get(parentOf(path))?.delete(path);
    this.syncPending(parentOf(path), true);
  }
  rename(from: string, to: string): void {
    const f = this.files.get(from);
    if (!f) throw enoent(from);
    this.requireDir(parentOf(to));
    this.files.delete(from);
    this.pending.get(parentOf(from))?.delete(from);
    this.files.set(to, f);
    this.syncPending(parentOf(to), true);
  }
  mkdir(path: string): void {
    let d = normalizeDir(path);
    while (d !== "/" && !this.dirs.has(d)) {
      this.dirs.add(d);
      this.addPending(d);
      d = parentOf(d);
    }
  }

  /**
   * Power loss: every file reverts to its durable contents. With `random` (a PRNG returning [0, 1)),
   * a file with unflushed appends keeps a random prefix of them instead, possibly ending mid-write.
   */
  crash(random?: () => number): void {
    this.generation++;
    this.stats.crashes++;
    // Entries whose directory was never synced are gone, and with a directory everything beneath it.
    const lost = [...this.pending.values()].flatMap((set) => [...set]);
    this.pending.clear();
    for (const path of lost) {
      const prefix = `${path}/`;
      this.files.delete(path);
      this.dirs.delete(path);
      for (const p of [...this.files.keys()]) if (p.startsWith(prefix)) this.files.delete(p);
      for (const p of [...this.dirs]) if (p.startsWith(prefix)) this.dirs.delete(p);
    }
    for (const f of this.files.values()) f.crash(random);
  }

  /** Bytes written to `path` but not yet fsynced (0 for a missing file). */
  unflushedBytes(path: string): number {
    const f = this.files.get(path);
    return f ? f.unflushed() : 0;
  }

  /** Flips one byte in place, durable at once: a media fault for corruption tests. */
  corrupt(path: string, position: number): void {
    const f = this.files.get(path);
    if (!f || position >= f.len) throw new Error(`cannot corrupt ${path} at ${position}`);
    f.flip(position);
  }

  /** Total bytes held across files (for the simulator's memory budget). */
  totalBytes(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.len;
    return n;
  }

  checkGeneration(gen: number, path: string): void {
    if (gen !== this.generation)
      throw new Error(`stale handle for ${path}: the disk crashed since it was opened`);
  }

  private requireDir(d: string): void {
    if (!this.dirs.has(d)) throw enoent(d);
  }
}

class SimFile {
  data: Buffer = Buffer.alloc(0);
  len = 0;
  durableLen = 0;
  /** Set when a truncate cut into durable bytes: until the next fsync, a crash restores this image. */
  durableImage: Buffer | null = null;

  append(bytes: Uint8Array): number {
    const at = this.len;
    if (this.len + bytes.length > this.data.length) {
      const grown = Buffer.alloc(Math.max(this.len + bytes.length, this.data.length * 2, 256));
      this.data.copy(grown, 0, 0, this.len);
      this.data = grown;
    }
    this.data.set(bytes, this.len);
    this.len += bytes.length;
    return at;
  }
  truncate(size: number): void {
    if (size >= this.len) return;
    if (size < this.durableLen && this.durableImage === null) {
      this.durableImage = Buffer.from(this.data.subarray(0, this.durableLen));
    }
    this.len = size;
  }
  fsync(): void {
    this.durableLen = this.len;
    this.durableImage = null;
  }
  unflushed(): number {
    return this.durableImage ? this.len : this.len - this.durableLen;
  }
  flip(position: number): void {
    this.data[position] ^= 0xff;
    if (position < this.durableLen && this.durableImage) this.durableImage[position] ^= 0xff;
  }
  crash(random?: () => number): void {
    if (this.durableImage) {
      this.data = this.durableImage;
      this.len = this.durableImage.length;
    } else {
      let keep = this.durableLen;
      if (random && this.len > this.durableLen) {
        keep += Math.floor(random() * (this.len - this.durableLen + 1));
      }
      this.len = keep;
    }
    this.durableLen = this.len;
    this.durableImage = null;
  }
}

class SimHandle implements FileHandle {
  private closed = false;
  constructor(
    private readonly fs: SimFileSystem,
    readonly path: string,
    private readonly file: SimFile,
    private readonly generation: number,
    private readonly transient: boolean,
  ) {}
  private live(): SimFile {
    if (this.closed) throw new Error(`${this.path} is closed`);
    this.fs.checkGeneration(this.generation, this.path);
    return this.file;
  }
  size(): number {
    return this.live().len;
  }
  append(data: Uint8Array): number {
    this.fs.stats.bytesWritten += data.length;
    return this.live().append(data);
  }
  read(position: number, length: number): Buffer {
    const f = this.live();
    const end = Math.min(f.len, position + length);
    // a copy, so a later truncate-and-append cannot change bytes a caller already holds
    return Buffer.from(f.data.subarray(Math.min(position, end), end));
  }
  truncate(size: number): void {
    this.live().truncate(size);
  }
  fsync(): void {
    this.fs.stats.fsyncs++;
    const f = this.live();
    const hadWrites = f.durableImage !== null || f.len !== f.durableLen;
    f.fsync();
    if (hadWrites && !this.transient) this.fs.syncPending(parentOf(this.path), false);
  }
  close(): void {
    this.closed = true;
  }
}

function normalizeDir(p: string): string {
  return p.length > 1 && p.endsWith("/") ? p.slice(0, -1) : p;
}
function parentOf(p: string): string {
  const d = normalizeDir(p);
  const i = d.lastIndexOf("/");
  return i <= 0 ? "/" : d.slice(0, i);
}
function enoent(path: string): Error {
  return Object.assign(new Error(`ENOENT: no such file or directory, ${path}`), { code: "ENOENT" });
}
