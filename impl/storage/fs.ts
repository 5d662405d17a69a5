/**
 * The small synchronous file system the storage layer is written against. Two implementations:
 * DiskFileSystem (node:fs, production) and SimFileSystem (in memory, for the deterministic simulator,
 * where a crash drops every byte not fsynced). Synchronous so the simulator can step storage inline.
 *
 * Durability contract (what callers may rely on, and what SimFileSystem enforces):
 * - appended bytes survive a crash only after fsync() of that file;
 * - truncate() is a write like any other: durable after fsync();
 * - mkdir, create (open with create), rename and remove are durable when they return (as on a
 *   journaled file system with the directory synced); writeFileAtomic builds on that.
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
   * Opens a file for reading and appending; creates it (empty) when `create` and it is missing. With
   * `transient`, the creation need not be durable (a temporary file that a rename will make durable).
   */
  open(path: string, opts?: { create?: boolean; transient?: boolean }): FileHandle;
  /**
   * Creates each missing file empty, durable on return like `open` with `create`: one directory sync
   * per directory instead of one per file (a new segment's three files).
   */
  createFiles(paths: readonly string[]): void;
  exists(path: string): boolean;
  /** Entry names (not paths) in a directory, sorted. */
  list(dir: string): string[];
  remove(path: string): void;
  rename(from: string, to: string): void;
  /** Creates the directory and its parents; no error if it exists. */
  mkdir(path: string): void;
}

export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
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
  // The rename below syncs the directory: the temporary file's own creation need not be durable.
  const h = fs.open(tmp, { create: true, transient: true });
  try {
    h.append(data);
    h.fsync();
  } finally {
    h.close();
  }
  fs.rename(tmp, path);
}
