/**
 * A replica's log as an immutable value with cheap appends. Views share one append-only backing array and
 * each sees only its first `length` entries, so appending to the newest view pushes in place (O(1)) while
 * every older snapshot still reads exactly what it held. Appending to a view that is not the newest (after a
 * truncation, or from an old snapshot) copies its prefix first. Entries themselves are never mutated.
 */
export interface LogEntry {
  offset: number;
  epoch: number;
  value: string;
  key: string | null;
  headers?: Record<string, string>;
}

export class ReplicaLog {
  private constructor(
    private readonly backing: LogEntry[],
    readonly length: number,
  ) {}

  static readonly EMPTY = new ReplicaLog([], 0);

  static of(entries: readonly LogEntry[]): ReplicaLog {
    return new ReplicaLog([...entries], entries.length);
  }

  /** The entry at an offset (the model keeps no retention, so offset = index). */
  at(offset: number): LogEntry {
    if (offset < 0 || offset >= this.length)
      throw new RangeError(`offset ${offset} outside log of ${this.length}`);
    return this.backing[offset];
  }

  append(entry: LogEntry): ReplicaLog {
    return this.appendAll([entry]);
  }

  appendAll(entries: readonly LogEntry[]): ReplicaLog {
    if (entries.length === 0) return this;
    const backing = this.backing.length === this.length ? this.backing : this.backing.slice(0, this.length);
    for (const e of entries) backing.push(e);
    return new ReplicaLog(backing, this.length + entries.length);
  }

  truncate(to: number): ReplicaLog {
    return to >= this.length ? this : new ReplicaLog(this.backing, Math.max(0, to));
  }

  slice(from: number, to = this.length): LogEntry[] {
    return this.backing.slice(Math.max(0, from), Math.min(to, this.length));
  }

  map<T>(fn: (e: LogEntry) => T): T[] {
    const out = new Array<T>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = fn(this.backing[i]);
    return out;
  }

  toArray(): LogEntry[] {
    return this.backing.slice(0, this.length);
  }

  toJSON(): LogEntry[] {
    return this.toArray();
  }
}
