import type { FileHandle } from "./fs.ts";
import { SparseIndex } from "./sparse-index.ts";

/**
 * The sparse offset index of one segment: 8-byte entries (offset relative to the segment's base as
 * int32, byte position in the .log as int32), in increasing order. An entry (o, p) means the batch
 * holding offset o starts at p, so a lookup for any target >= o may start scanning at p.
 * Keys are offsets, values positions.
 */
export const OFFSET_INDEX_ENTRY_BYTES = 8;

export class OffsetIndex extends SparseIndex {
  constructor(file: FileHandle, baseOffset: number, maxEntries: number) {
    super(file, baseOffset, maxEntries, OFFSET_INDEX_ENTRY_BYTES);
  }

  get lastOffset(): number {
    return this.keys.length ? this.keys[this.keys.length - 1] : this.baseOffset;
  }

  append(offset: number, position: number): void {
    this.push(offset, position);
  }

  /** The greatest entry at or below `target`, or (baseOffset, 0) when there is none. */
  lookup(target: number): { offset: number; position: number } {
    const found = this.floor(target);
    return found < 0
      ? { offset: this.baseOffset, position: 0 }
      : { offset: this.keys[found], position: this.values[found] };
  }

  /** Drops entries for offsets at or above `offset`. */
  truncateTo(offset: number): void {
    this.dropFrom(this.keys, offset);
  }

  /** Drops entries pointing at or past `position` (after the log was cut there). */
  truncateToPosition(position: number): void {
    this.dropFrom(this.values, position);
  }

  /**
   * Loads entries from the file and checks them against the log: whole entries, offsets strictly
   * increasing from the base, positions strictly increasing and inside the log. False (and empty) if not.
   */
  load(logSize: number): boolean {
    return this.loadEntries(
      [this.baseOffset - 1, -1],
      (offset, position, prevOffset, prevPos) =>
        offset > prevOffset && position > prevPos && position < logSize,
    );
  }

  protected writeEntry(buf: Buffer, at: number, offset: number, position: number): void {
    buf.writeInt32BE(offset - this.baseOffset, at);
    buf.writeInt32BE(position, at + 4);
  }

  protected readEntry(buf: Buffer, at: number): [number, number] {
    return [this.baseOffset + buf.readInt32BE(at), buf.readInt32BE(at + 4)];
  }
}
