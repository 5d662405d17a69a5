import type { FileHandle } from "./fs.ts";

/**
 * The sparse offset index of one segment: 8-byte entries (offset relative to the segment's base as
 * int32, byte position in the .log as int32), in increasing order. An entry (o, p) means the batch
 * holding offset o starts at p, so a lookup for any target >= o may start scanning at p.
 * Kept in memory and appended to its file as entries are added.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export class OffsetIndex {
  private offsets: number[] = [];
  private positions: number[] = [];

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
    const buf = Buffer.allocUnsafe(OFFSET_INDEX_ENTRY_BYTES);
    buf.writeInt32BE(offset - this.baseOffset, 0);
    buf.writeInt32BE(position, 4);
    this.file.append(buf);
    this.offsets.push(offset);
    this.positions.push(position);
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
    if (n === this.offsets.length && this.file.size() === n * OFFSET_INDEX_ENTRY_BYTES) return;
    this.offsets.length = n;
    this.positions.length = n;
    this.file.truncate(n * OFFSET_INDEX_ENTRY_BYTES);
  }

  /**
   * Loads entries from the file and checks them against the log: whole entries, offsets strictly
   * increasing from the base, positions strictly increasing and inside the log. False (and empty) if not.
   */
  load(logSize: number): boolean {
    const size = this.file.size();
    this.offsets = [];
    this.positions = [];
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
    return true;
  }
}
