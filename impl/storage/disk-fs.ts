import * as nodefs from "node:fs";
import { dirname } from "node:path";
import type { FileHandle, FileSystem } from "./fs.ts";

/** Makes a directory's entries (creates, renames, removes) durable, as the FileSystem contract promises. */
function syncDir(dir: string): void {
  const fd = nodefs.openSync(dir, "r");
  try {
    nodefs.fsyncSync(fd);
  } finally {
    nodefs.closeSync(fd);
  }
}

/**
 * The real disk through node:fs synchronous calls. Paths are used as given. Keep one handle per file
 * open for writing: a handle tracks its own end of file.
 */
export class DiskFileSystem implements FileSystem {
  open(path: string, opts: { create?: boolean } = {}): FileHandle {
    // "a+" would force every write to the end but makes Linux ignore positions on write; we only
    // append, so "r+" after an optional create keeps reads positional and writes at our tracked end.
    if (opts.create && !nodefs.existsSync(path)) {
      nodefs.closeSync(nodefs.openSync(path, "a"));
      syncDir(dirname(path));
    }
    return new DiskFileHandle(path, nodefs.openSync(path, "r+"));
  }
  exists(path: string): boolean {
    return nodefs.existsSync(path);
  }
  list(dir: string): string[] {
    return nodefs.readdirSync(dir).sort();
  }
  remove(path: string): void {
    nodefs.rmSync(path, { force: true });
    syncDir(dirname(path));
  }
  rename(from: string, to: string): void {
    nodefs.renameSync(from, to);
    syncDir(dirname(to));
  }
  mkdir(path: string): void {
    nodefs.mkdirSync(path, { recursive: true });
  }
}

class DiskFileHandle implements FileHandle {
  private end: number;
  private fd: number;
  constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    this.end = nodefs.fstatSync(fd).size;
  }
  size(): number {
    return this.end;
  }
  append(data: Uint8Array): number {
    const at = this.end;
    let done = 0;
    while (done < data.length) {
      done += nodefs.writeSync(this.fd, data, done, data.length - done, at + done);
    }
    this.end += data.length;
    return at;
  }
  read(position: number, length: number): Buffer {
    const n = Math.max(0, Math.min(length, this.end - position));
    const buf = Buffer.allocUnsafe(n);
    let done = 0;
    while (done < n) {
      const r = nodefs.readSync(this.fd, buf, done, n - done, position + done);
      if (r === 0) break;
      done += r;
    }
    return done === n ? buf : buf.subarray(0, done);
  }
  truncate(size: number): void {
    if (size >= this.end) return;
    nodefs.ftruncateSync(this.fd, size);
    this.end = size;
  }
  fsync(): void {
    nodefs.fsyncSync(this.fd);
  }
  close(): void {
    if (this.fd >= 0) nodefs.closeSync(this.fd);
    this.fd = -1;
  }
}
