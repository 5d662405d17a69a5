/**
 * Producer ids for InitProducerId, unique across the cluster: each broker takes blocks of ids from a
 * counter in the metadata store (Kafka's /latest_producer_id_block, claimed with a conditional write)
 * and hands them out one per request.
 */
import type { MetadataSession } from "../metadata/store.ts";
import { StoreError } from "../metadata/store.ts";

export const PRODUCER_ID_BLOCK_PATH = "/latest_producer_id_block";
export const PRODUCER_ID_BLOCK_SIZE = 1000;

interface Block {
  next: number;
  end: number;
}

export class ProducerIds {
  private block: Block | null = null;
  private claiming: Promise<Block> | null = null;

  constructor(private readonly session: () => MetadataSession | null) {}

  async next(brokerId: number): Promise<number> {
    for (;;) {
      const b = this.block;
      if (b !== null && b.next <= b.end) return b.next++;
      this.claiming ??= this.claim(brokerId).finally(() => {
        this.claiming = null;
      });
      this.block = await this.claiming;
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
