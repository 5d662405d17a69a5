/**
 * The simulator's agenda: events ordered by virtual time, ties broken by insertion order, so two runs
 * that schedule the same events in the same order replay identically. A binary heap keeps it O(log n);
 * swaps go through a temporary, as a destructuring swap allocates an array until the JIT removes it.
 */
export interface ScheduledEvent {
  at: number;
  seq: number;
  /** "message" events are deliveries in flight; "timer" events wait for time to pass. */
  kind: "message" | "timer";
  run: () => void;
  cancelled: boolean;
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private seq = 0;
  /** The bound on queued events: a runaway feedback loop fails loudly instead of eating memory. */
  constructor(private readonly maxEvents = 1_000_000) {}

  get size(): number {
    return this.heap.length;
  }

  /** Events scheduled so far (a work measure for benchmarks). */
  get scheduled(): number {
    return this.seq;
  }

  schedule(at: number, kind: ScheduledEvent["kind"], run: () => void): ScheduledEvent {
    if (this.heap.length >= this.maxEvents) throw new Error(`event queue overflow (${this.maxEvents})`);
    const e: ScheduledEvent = { at, seq: this.seq++, kind, run, cancelled: false };
    this.heap.push(e);
    this.up(this.heap.length - 1);
    return e;
  }

  peek(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.heap[0];
  }

  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.take();
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.take();
  }

  private take(): ScheduledEvent | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      this.down(0);
    }
    return top;
  }

  private less(x: ScheduledEvent, y: ScheduledEvent): boolean {
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      const t = h[i];
      h[i] = h[p];
      h[p] = t;
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l], h[m])) m = l;
      if (r < h.length && this.less(h[r], h[m])) m = r;
      if (m === i) return;
      const t = h[i];
      h[i] = h[m];
      h[m] = t;
      i = m;
    }
  }
}
