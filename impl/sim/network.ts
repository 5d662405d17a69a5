/**
 * The simulated network's rules: who can reach whom, and how long a message takes. Brokers are cut from
 * each other in pairs and from the metadata store one by one; clients reach every broker.
 */
import type { BrokerId } from "../../spec/operations.ts";
import type { Prng } from "./prng.ts";

export interface NetworkOptions {
  /** One-way delay of a message, drawn uniformly from [min, max] virtual milliseconds. */
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that a broker-to-broker message is dropped (default 0). */
  lossProbability: number;
  /** Probability that a broker-to-broker message is delivered twice (default 0). */
  duplicateProbability: number;
}

export const DEFAULT_NETWORK: NetworkOptions = {
  minDelayMs: 1,
  maxDelayMs: 3,
  lossProbability: 0,
  duplicateProbability: 0,
};

export class Network {
  private readonly cut = new Set<string>();
  private readonly cutFromStore = new Set<BrokerId>();

  constructor(
    readonly options: NetworkOptions,
    private readonly prng: Prng,
  ) {}

  delay(): number {
    return this.prng.int(this.options.minDelayMs, this.options.maxDelayMs);
  }

  /** Whether a broker-to-broker message is lost on the way (partition or random loss). */
  drops(from: BrokerId, to: BrokerId): boolean {
    if (from !== to && this.cut.size > 0 && this.cut.has(pair(from, to))) return true;
    return from !== to && this.prng.chance(this.options.lossProbability);
  }

  duplicates(): boolean {
    return this.prng.chance(this.options.duplicateProbability);
  }

  connected(a: BrokerId, b: BrokerId): boolean {
    return a === b || this.cut.size === 0 || !this.cut.has(pair(a, b));
  }

  reachesStore(broker: BrokerId): boolean {
    return !this.cutFromStore.has(broker);
  }

  /** No broker of `a` reaches one of `b`; the store stays with side `a`. */
  isolate(a: readonly BrokerId[], b: readonly BrokerId[]): void {
    for (const x of a) for (const y of b) if (x !== y) this.cut.add(pair(x, y));
    for (const y of b) if (!a.includes(y)) this.cutFromStore.add(y);
  }

  heal(): void {
    this.cut.clear();
    this.cutFromStore.clear();
  }

  describe(): { cut: string[]; cutFromStore: BrokerId[] } {
    return { cut: [...this.cut].sort(), cutFromStore: [...this.cutFromStore].sort((x, y) => x - y) };
  }
}

function pair(a: BrokerId, b: BrokerId): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
