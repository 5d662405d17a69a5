import { crc32c } from "@node-rs/crc32";
import { BATCH_HEADER_BYTES, encodeBatch } from "../../impl/records/batch.ts";
import type { BatchOptions, RecordInput } from "../../impl/records/types.ts";

/**
 * Builds a batch whose records section is `compressBody(uncompressed records)` with compression code
 * `code`: for codecs or framings our encoder does not write (zstd, raw snappy), to test the decoder.
 */
export function batchWithBody(
  records: RecordInput[],
  code: number,
  compressBody: (plain: Buffer) => Buffer,
  opts: BatchOptions = {},
): Buffer {
  const plain = encodeBatch(records, { ...opts, compression: "none" });
  const body = compressBody(plain.subarray(BATCH_HEADER_BYTES));
  const out = Buffer.concat([plain.subarray(0, BATCH_HEADER_BYTES), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE((out.readInt16BE(21) & ~7) | code, 21);
  out.writeUInt32BE(crc32c(out.subarray(21)), 17);
  return out;
}

/**
 * A valid zstd frame made of raw (stored) blocks: what any zstd decoder must accept. Lets the zstd
 * read path be tested without a zstd encoder.
 */
export function zstdRawFrame(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(4 + 1 + 8);
  header.writeUInt32LE(0xfd2fb528, 0);
  header[4] = 0xe0; // frame content size in 8 bytes, single segment, no checksum, no dictionary
  header.writeBigUInt64LE(BigInt(data.length), 5);
  parts.push(header);
  const maxBlock = 128 * 1024;
  let off = 0;
  do {
    const chunk = data.subarray(off, off + maxBlock);
    off += chunk.length;
    const last = off >= data.length ? 1 : 0;
    const bh = (chunk.length << 3) | (0 << 1) | last; // block type 0 = raw
    parts.push(Buffer.from([bh & 0xff, (bh >> 8) & 0xff, (bh >> 16) & 0xff]), chunk);
  } while (off < data.length);
  return Buffer.concat(parts);
}
