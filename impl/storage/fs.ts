/**
 * The small synchronous file system the storage layer is written against. Two implementations:
 * DiskFileSystem (node:fs, production) and SimFileSystem (in memory, for the deterministic simulator,
 * where a crash drops every byte not fsynced). Synchronous so the simulator can step storage inline.
 *
 * Durability contract (what callers may rely on, and what SimFileSystem enforces):
 * - appended bytes survive a crash only after fsync() of that file;
 * - truncate() is a write like any other: durable after fsync();
 * - a new entry (mkdir, open with create, createFiles) is durable once its directory has been synced,
 *   which fsync() of a file beneath it that had writes to flush, rename() into it, or syncDirectory() of
 *   it (or of a directory beneath it) does, for every pending entry of that directory and of each
 *   directory above it at once. So creating thousands of empty logs costs no directory sync until data
 *   in them must be durable (or the caller syncs their parent once for the lot), and a file whose data
 *   was fsynced is always found (an empty file never written may not be);
 * - rename is durable when it returns (the target's directory and those above it are synced), remove
 *   too (its directory is synced); writeFileAtomic builds on that.
 */
export interface FileHandle {
  readonly path: string;
  /** Current size in bytes, including unflushed writes. */
  size(): number;
  /** Appends at the end; returns the position the data starts at. */
  append(data: Uint8Array): number;
  /** Reads up to `length` bytes at `position`; shorter at end of file. */
  read(position: number, length: number): Buffer;
  /** Cuts the file to `size` bytes (never grows it). */
  truncate(size: number): void;
  /** Makes every write so far durable. */
  fsync(): void;
  close(): void;
}

export interface FileSystem {
  /**
   * Opens a file for reading and appending; creates it (empty) when `create` and it is missing. A
   * `transient` file (a temporary one that a rename will make durable) is no pending entry of its
   * directory, and its fsync() syncs only its data.
   */
  open(path: string, opts?: { create?: boolean; transient?: boolean }): FileHandle;
  /** Creates each missing file empty (durable as the contract says: with its directory's next sync). */
  createFiles(paths: readonly string[]): void;
  /** Makes every pending entry of `dir` and of the directories above it durable. */
  syncDirectory(dir: string): void;
  exists(path: string): boolean;
  /** Entry names (not paths) in a directory, sorted. */
  list(dir: string): string[];
  remove(path: string): void;
  rename(from: string, to: string): void;
  /** Creates the directory and its parents (durable with their parents' next sync); no error if it exists. */
  mkdir(path: string): void;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

/** The directory holding `path` ("/" for a top-level entry). */
export function parentPath(path: string): string {
  const p = path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

/** Reads a whole file. */
export function readWholeFile(fs: FileSystem, path: string): Buffer {
  const h = fs.open(path);
  try {
    return h.read(0, h.size());
  } finally {
    h.close();
  }
}

/**
 * Replaces a file's contents so that after a crash it holds either the old or the new contents:
 * write a temporary file, fsync it, rename over the target (Kafka's checkpoint files do the same).
 */
export function writeFileAtomic(fs: FileSystem, path: string, data: Uint8Array): void {
  const tmp = `${path}.tmp`;
  if (fs.exists(tmp)) fs.remove(tmp);
  // The rename below makes the name durable: the temporary file's own entry never needs to be.
  const h = fs.open(tmp, { create: true, transient: true });
  try {
    h.append(data);
    h.fsync();
  } finally {
    h.close();
  }
  fs.rename(tmp, path);
}

/**
 * A handle on a file that is created on its first append: a segment's index files, which most small
 * partitions never write an entry to, then cost no file creation (a metadata write the disk journals)
 * until they have one, or until ensureCreated() (a segment that rolls or flushes data keeps both).
 * Until created, it reads as an empty file.
 */
export class CreateOnWriteFile implements FileHandle {
  private handle: FileHandle | null = null;
  private closed = false;

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
  ) {}

  /** Opens the file if it exists, else a handle that creates it on first write. */
  static open(fs: FileSystem, path: string): FileHandle {
    return fs.exists(path) ? fs.open(path) : new CreateOnWriteFile(fs, path);
  }

  get created(): boolean {
    return this.handle !== null;
  }

  ensureCreated(): FileHandle {
    if (this.closed) throw new Error(`${this.path}: file handle is closed`);
    this.handle ??= this.fs.open(this.path, { create: true });
    return this.handle;
  }

  size(): number {
    return this.handle?.size() ?? 0;
  }
  append(data: Uint8Array): number {
    return this.ensureCreated().append(data);
  }
  read(position: number, length: number): Buffer {
    return this.handle?.read(position, length) ?? Buffer.alloc(0);
  }
  truncate(size: number): void {
    this.handle?.truncate(size);
  }
  fsync(): void {
    this.handle?.fsync();
  }
  close(): void {
    this.closed = true;
    this.handle?.close();
  }
}
