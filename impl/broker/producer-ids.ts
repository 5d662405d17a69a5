/**
 * Producer ids for InitProducerId, unique across the cluster: each broker takes blocks of ids from a
 * counter in the metadata store (Kafka's /latest_producer_id_block, claimed with a conditional write)
 * and hands them out one per request. It remembers the ids it issued, the
 * most recently used MAX_REMEMBERED_PRODUCER_IDS of them, so InitProducerId v3+ bumps the epoch only of
 * an id that is really ours.
 */
import type { MetadataSession } from "../metadata/store.ts";
import { StoreError } from "../metadata/store.ts";

export const PRODUCER_ID_BLOCK_PATH = "/latest_producer_id_block";
export const PRODUCER_ID_BLOCK_SIZE = 1000;
/** Issued ids remembered per broker; the least recently used beyond this are forgotten. */
export const MAX_REMEMBERED_PRODUCER_IDS = 10_000;

interface Block {
  next: number;
  end: number;
}

export class ProducerIds {
  private block: Block | null = null;
  private claiming: Promise<Block> | null = null;
  /** Issued ids, least recently used first (a Set keeps insertion order). */
  private readonly issued = new Set<number>();

  constructor(private readonly session: () => MetadataSession | null) {}

  async next(brokerId: number): Promise<number> {
    for (;;) {
      const b = this.block;
      if (b !== null && b.next <= b.end) {
        const id = b.next++;
        this.remember(id);
        return id;
      }
      this.claiming ??= this.claim(brokerId).finally(() => {
        this.claiming = null;
      });
      this.block = await this.claiming;
    }
  }

  /**
   * InitProducerId v3+ with an existing id and epoch: the id's next epoch, or null when this broker did
   * not issue the id (or has forgotten it), which Kafka answers with INVALID_PRODUCER_ID_MAPPING.
   */
  bumpEpoch(producerId: number, epoch: number): number | null {
    if (!this.issued.has(producerId)) return null;
    this.remember(producerId);
    return (epoch + 1) & 0x7fff;
  }

  private remember(id: number): void {
    this.issued.delete(id);
    this.issued.add(id);
    while (this.issued.size > MAX_REMEMBERED_PRODUCER_IDS) {
      const oldest = this.issued.values().next().value as number;
      this.issued.delete(oldest);
    }
  }

  /** Claims the next block with a versioned write; retries when another broker claimed first. */
  private async claim(brokerId: number): Promise<Block> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const s = this.session();
      if (s === null) throw new Error("no metadata session");
      const got = await s.get(PRODUCER_ID_BLOCK_PATH);
      let start = 0;
      if (got !== null && got.data.length > 0) {
        const o = JSON.parse(got.data.toString("utf8")) as { block_end?: number | string };
        start = Number(o.block_end ?? -1) + 1;
      }
      const end = start + PRODUCER_ID_BLOCK_SIZE - 1;
      const data = Buffer.from(
        JSON.stringify({ version: 1, broker: brokerId, block_start: String(start), block_end: String(end) }),
      );
      try {
        if (got === null) await s.create(PRODUCER_ID_BLOCK_PATH, data, "persistent");
        else await s.set(PRODUCER_ID_BLOCK_PATH, data, got.stat.version);
        return { next: start, end };
      } catch (e) {
        if (e instanceof StoreError && (e.code === "BAD_VERSION" || e.code === "NODE_EXISTS")) continue;
        throw e;
      }
    }
    throw new Error("could not claim a producer id block");
  }
}
