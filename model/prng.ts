/**
 * A small seeded PRNG (mulberry32). The state is one 32-bit integer, so it can live in a machine's
 * context or be recorded beside a choice; the same seed gives the same run.
 */
export function prngNext(state: number): [value: number, next: number] {
  const next = (state + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [((t ^ (t >>> 14)) >>> 0) / 4294967296, next];
}

/** The mutable wrapper the imperative shell (ClusterModel) uses. */
export class Prng {
  constructor(private state: number) {}
  /** A float in [0, 1). */
  next(): number {
    const [v, s] = prngNext(this.state);
    this.state = s;
    return v;
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor(this.next() * n);
  }
  get seedState(): number {
    return this.state;
  }
}
