import type { FileHandle } from "./fs.ts";

/**
 * What the offset and time indexes share: a sparse index of one segment kept in memory as two columns
 * of fixed-size entries, the searched `keys` strictly increasing, with `values` beside them. New
 * entries reach the file in one write at sync() (flush, roll, close): the active segment's index is
 * rebuilt by recovery anyway, and a write per entry would double the syscalls of the append path.
 * Subclasses say how an entry is laid out and which entries a loaded file may hold.
 */
export abstract class SparseIndex {
  protected keys: number[] = [];
  protected values: number[] = [];
  /** Entries already in the file; the rest are pending. */
  private written = 0;

  constructor(
    readonly file: FileHandle,
    readonly baseOffset: number,
    readonly maxEntries: number,
    private readonly entryBytes: number,
  ) {}

  protected abstract writeEntry(buf: Buffer, at: number, key: number, value: number): void;
  protected abstract readEntry(buf: Buffer, at: number): [key: number, value: number];

  get entries(): number {
    return this.keys.length;
  }
  get isFull(): boolean {
    return this.keys.length >= this.maxEntries;
  }

  protected push(key: number, value: number): void {
    this.keys.push(key);
    this.values.push(value);
  }

  /** Writes pending entries to the file (not fsynced). */
  sync(): void {
    const n = this.keys.length - this.written;
    if (n <= 0) return;
    const buf = Buffer.allocUnsafe(n * this.entryBytes);
    for (let i = 0; i < n; i++)
      this.writeEntry(buf, i * this.entryBytes, this.keys[this.written + i], this.values[this.written + i]);
    this.file.append(buf);
    this.written = this.keys.length;
  }

  /** The index of the greatest entry whose key is at or below `target`, or -1. */
  protected floor(target: number): number {
    let lo = 0;
    let hi = this.keys.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** Drops the trailing entries whose `column` value is at or above `limit`. */
  protected dropFrom(column: readonly number[], limit: number): void {
    let n = column.length;
    while (n > 0 && column[n - 1] >= limit) n--;
    this.truncateEntries(n);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  private truncateEntries(n: number): void {
    this.keys.length = Math.min(n, this.keys.length);
    this.values.length = this.keys.length;
    if (n < this.written || this.file.size() !== this.written * this.entryBytes) {
      this.written = Math.min(this.written, n);
      this.file.truncate(this.written * this.entryBytes);
    }
  }

  /**
   * Loads the file's entries: false (and empty) unless it holds whole entries and each one is
   * `accepted` after the one before it (the first after `first`).
   */
  protected loadEntries(
    first: [key: number, value: number],
    accepted: (key: number, value: number, prevKey: number, prevValue: number) => boolean,
  ): boolean {
    const size = this.file.size();
    this.keys = [];
    this.values = [];
    this.written = 0;
    if (size % this.entryBytes !== 0) return false;
    const buf = this.file.read(0, size);
    let [prevKey, prevValue] = first;
    for (let p = 0; p < size; p += this.entryBytes) {
      const [key, value] = this.readEntry(buf, p);
      if (!accepted(key, value, prevKey, prevValue)) {
        this.keys = [];
        this.values = [];
        return false;
      }
      this.push(key, value);
      prevKey = key;
      prevValue = value;
    }
    this.written = this.keys.length;
    return true;
  }
}
