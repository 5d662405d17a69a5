import type { FileHandle } from "./fs.ts";

/**
 * The sparse offset index of one segment: 8-byte entries (offset relative to the segment's base as
 * int32, byte position in the .log as int32), in increasing order. An entry (o, p) means the batch
 * holding offset o starts at p, so a lookup for any target >= o may start scanning at p.
 * Kept in memory; new entries reach the file in one write at sync() (flush, roll, close), since the
 * active segment's index is rebuilt by recovery anyway and a write per entry would double the syscalls
 * of the append path.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export class OffsetIndex {
  private offsets: number[] = [];
  private positions: number[] = [];
  /** Entries already in the file; the rest are pending. */
  private written = 0;

  constructor(
    readonly file: FileHandle,
    readonly baseOffset: number,
    readonly maxEntries: number,
  ) {}

  get entries(): number {
    return this.offsets.length;
  }
  get isFull(): boolean {
    return this.offsets.length >= this.maxEntries;
  }
  get lastOffset(): number {
    return this.offsets.length ? this.offsets[this.offsets.length - 1] : this.baseOffset;
  }

  append(offset: number, position: number): void {
    this.offsets.push(offset);
    this.positions.push(position);
  }

  /** Writes pending entries to the file (not fsynced). */
  sync(): void {
    const n = this.offsets.length - this.written;
    if (n <= 0) return;
    const buf = Buffer.allocUnsafe(n * OFFSET_INDEX_ENTRY_BYTES);
    for (let i = 0; i < n; i++) {
      buf.writeInt32BE(this.offsets[this.written + i] - this.baseOffset, i * OFFSET_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(this.positions[this.written + i], i * OFFSET_INDEX_ENTRY_BYTES + 4);
    }
    this.file.append(buf);
    this.written = this.offsets.length;
  }

  /** The greatest entry at or below `target`, or (baseOffset, 0) when there is none. */
  lookup(target: number): { offset: number; position: number } {
    let lo = 0;
    let hi = this.offsets.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.offsets[mid] <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0
      ? { offset: this.baseOffset, position: 0 }
      : { offset: this.offsets[found], position: this.positions[found] };
  }

  /** Drops entries for offsets at or above `offset`. */
  truncateTo(offset: number): void {
    let n = this.offsets.length;
    while (n > 0 && this.offsets[n - 1] >= offset) n--;
    this.truncateEntries(n);
  }

  /** Drops entries pointing at or past `position` (after the log was cut there). */
  truncateToPosition(position: number): void {
    let n = this.positions.length;
    while (n > 0 && this.positions[n - 1] >= position) n--;
    this.truncateEntries(n);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  private truncateEntries(n: number): void {
    this.offsets.length = Math.min(n, this.offsets.length);
    this.positions.length = this.offsets.length;
    if (n < this.written || this.file.size() !== this.written * OFFSET_INDEX_ENTRY_BYTES) {
      this.written = Math.min(this.written, n);
      this.file.truncate(this.written * OFFSET_INDEX_ENTRY_BYTES);
    }
  }

  /**
   * Loads entries from the file and checks them against the log: whole entries, offsets strictly
   * increasing from the base, positions strictly increasing and inside the log. False (and empty) if not.
   */
  load(logSize: number): boolean {
    const size = this.file.size();
    this.offsets = [];
    this.positions = [];
    this.written = 0;
    if (size % OFFSET_INDEX_ENTRY_BYTES !== 0) return false;
    const buf = this.file.read(0, size);
    let prevOffset = this.baseOffset - 1;
    let prevPos = -1;
    for (let p = 0; p < size; p += OFFSET_INDEX_ENTRY_BYTES) {
      const offset = this.baseOffset + buf.readInt32BE(p);
      const position = buf.readInt32BE(p + 4);
      if (offset <= prevOffset || position <= prevPos || position >= logSize) {
        this.offsets = [];
        this.positions = [];
        return false;
      }
      this.offsets.push(offset);
      this.positions.push(position);
      prevOffset = offset;
      prevPos = position;
    }
    this.written = this.offsets.length;
    return true;
  }
}
