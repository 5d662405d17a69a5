import type { FileHandle } from "./fs.ts";

/**
 * The sparse time index of one segment: 12-byte entries (timestamp int64, offset relative to the
 * segment's base as int32). Timestamps strictly increase: an entry (t, o) says every record before
 * offset o has a timestamp of at most t, so a search for the first record at or after time T may
 * start at the offset of the greatest entry with t <= T.
 */
export const TIME_INDEX_ENTRY_BYTES = 12;

export class TimeIndex {
  private timestamps: number[] = [];
  private offsets: number[] = [];
  /** Entries already in the file; the rest are pending until sync() (see OffsetIndex). */
  private written = 0;

  constructor(
    readonly file: FileHandle,
    readonly baseOffset: number,
    readonly maxEntries: number,
  ) {}

  get entries(): number {
    return this.timestamps.length;
  }
  get isFull(): boolean {
    return this.timestamps.length >= this.maxEntries;
  }
  /** The largest timestamp indexed, or -1. */
  get lastTimestamp(): number {
    return this.timestamps.length ? this.timestamps[this.timestamps.length - 1] : -1;
  }
  get lastOffset(): number {
    return this.offsets.length ? this.offsets[this.offsets.length - 1] : this.baseOffset;
  }

  /** Adds (timestamp, offset) if it raises the indexed maximum; otherwise does nothing. */
  maybeAppend(timestamp: number, offset: number): void {
    if (timestamp <= this.lastTimestamp) return;
    if (this.offsets.length && offset < this.lastOffset) return;
    this.timestamps.push(timestamp);
    this.offsets.push(offset);
  }

  /** Writes pending entries to the file (not fsynced). */
  sync(): void {
    const n = this.offsets.length - this.written;
    if (n <= 0) return;
    const buf = Buffer.allocUnsafe(n * TIME_INDEX_ENTRY_BYTES);
    for (let i = 0; i < n; i++) {
      buf.writeBigInt64BE(BigInt(this.timestamps[this.written + i]), i * TIME_INDEX_ENTRY_BYTES);
      buf.writeInt32BE(this.offsets[this.written + i] - this.baseOffset, i * TIME_INDEX_ENTRY_BYTES + 8);
    }
    this.file.append(buf);
    this.written = this.offsets.length;
  }

  /** The offset of the greatest entry with timestamp <= `target`, or the segment's base offset. */
  lookup(target: number): number {
    let lo = 0;
    let hi = this.timestamps.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid] <= target) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? this.baseOffset : this.offsets[found];
  }

  /** Drops entries for offsets at or above `offset`. */
  truncateTo(offset: number): void {
    let n = this.offsets.length;
    while (n > 0 && this.offsets[n - 1] >= offset) n--;
    this.truncateEntries(n);
  }

  reset(): void {
    this.truncateEntries(0);
  }

  private truncateEntries(n: number): void {
    this.offsets.length = Math.min(n, this.offsets.length);
    this.timestamps.length = this.offsets.length;
    if (n < this.written || this.file.size() !== this.written * TIME_INDEX_ENTRY_BYTES) {
      this.written = Math.min(this.written, n);
      this.file.truncate(this.written * TIME_INDEX_ENTRY_BYTES);
    }
  }

  /** Loads and checks entries (whole, timestamps strictly and offsets weakly increasing, in range). */
  load(nextOffset: number): boolean {
    const size = this.file.size();
    this.timestamps = [];
    this.offsets = [];
    this.written = 0;
    if (size % TIME_INDEX_ENTRY_BYTES !== 0) return false;
    const buf = this.file.read(0, size);
    let prevTs = -1;
    let prevOffset = this.baseOffset;
    for (let p = 0; p < size; p += TIME_INDEX_ENTRY_BYTES) {
      const ts = Number(buf.readBigInt64BE(p));
      const offset = this.baseOffset + buf.readInt32BE(p + 8);
      if (ts <= prevTs || offset < prevOffset || offset >= nextOffset) {
        this.timestamps = [];
        this.offsets = [];
        return false;
      }
      this.timestamps.push(ts);
      this.offsets.push(offset);
      prevTs = ts;
      prevOffset = offset;
    }
    this.written = this.offsets.length;
    return true;
  }
}
