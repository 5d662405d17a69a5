import type { FileHandle } from "./fs.ts";
import { SparseIndex } from "./sparse-index.ts";

/**
 * The sparse time index of one segment: 12-byte entries (timestamp int64, offset relative to the
 * segment's base as int32). Timestamps strictly increase: an entry (t, o) says every record before
 * offset o has a timestamp of at most t, so a search for the first record at or after time T may
 * start at the offset of the greatest entry with t <= T. Keys are timestamps, values offsets.
 */
export const TIME_INDEX_ENTRY_BYTES = 12;

export class TimeIndex extends SparseIndex {
  constructor(file: FileHandle, baseOffset: number, maxEntries: number) {
    super(file, baseOffset, maxEntries, TIME_INDEX_ENTRY_BYTES);
  }

  /** The largest timestamp indexed, or -1. */
  get lastTimestamp(): number {
    return this.keys.length ? this.keys[this.keys.length - 1] : -1;
  }
  get lastOffset(): number {
    return this.values.length ? this.values[this.values.length - 1] : this.baseOffset;
  }

  /** Adds (timestamp, offset) if it raises the indexed maximum; otherwise does nothing. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp <= this.lastTimestamp) return;
    if (this.values.length && offset < this.lastOffset) return;
    this.push(timestamp, offset);
  }

  /** The offset of the greatest entry with timestamp <= `target`, or the segment's base offset. */
  lookup(target: number): number {
    const found = this.floor(target);
    return found < 0 ? this.baseOffset : this.values[found];
  }

  /** Drops entries for offsets at or above `offset`. */
  truncateTo(offset: number): void {
    this.dropFrom(this.values, offset);
  }

  /** Loads and checks entries (whole, timestamps strictly and offsets weakly increasing, in range). */
  load(nextOffset: number): boolean {
    return this.loadEntries(
      [-1, this.baseOffset],
      (ts, offset, prevTs, prevOffset) => ts > prevTs && offset >= prevOffset && offset < nextOffset,
    );
  }

  protected writeEntry(buf: Buffer, at: number, timestamp: number, offset: number): void {
    buf.writeBigInt64BE(BigInt(timestamp), at);
    buf.writeInt32BE(offset - this.baseOffset, at + 8);
  }

  protected readEntry(buf: Buffer, at: number): [number, number] {
    return [Number(buf.readBigInt64BE(at)), this.baseOffset + buf.readInt32BE(at + 8)];
  }
}
