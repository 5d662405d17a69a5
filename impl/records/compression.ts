import { gunzipSync, gzipSync } from "node:zlib";
import { decompress as zstdDecompress } from "fzstd";
import { compressFrameSync, decompressFrameSync } from "lz4-napi";
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from "snappy";
import { RecordFormatError } from "./errors.ts";
import type { CompressionType } from "./types.ts";

/**
 * Codecs for the records section of a batch. Everything is synchronous so the deterministic simulator
 * can run it. Encoding zstd needs a native encoder this project does not have (Node 20's zlib has no
 * zstd; fzstd only decodes), so compress("zstd") throws UNSUPPORTED_COMPRESSION_TYPE; decoding works.
 */

/** Codecs this build can write. */
export const ENCODABLE_COMPRESSION: readonly CompressionType[] = ["none", "gzip", "snappy", "lz4"];

// xerial snappy-java's stream framing: magic, version 1, min-compatible version 1, then
// [int32 compressed length][raw snappy block] repeated. The Java client writes this.
const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
const XERIAL_BLOCK_BYTES = 32 * 1024;

export function compress(type: CompressionType, data: Buffer): Buffer {
  switch (type) {
    case "none":
      return data;
    case "gzip":
      return gzipSync(data);
    case "snappy":
      return xerialCompress(data);
    case "lz4":
      return compressFrameSync(data);
    case "zstd":
      throw new RecordFormatError(
        "UNSUPPORTED_COMPRESSION_TYPE",
        "zstd encoding is not available in this build (no native zstd encoder); zstd batches can be read",
      );
  }
}

export function decompress(type: CompressionType, data: Buffer): Buffer {
  try {
    switch (type) {
      case "none":
        return data;
      case "gzip":
        return gunzipSync(data);
      case "snappy":
        return isXerial(data) ? xerialDecompress(data) : (snappyUncompress(data) as Buffer);
      case "lz4":
        return decompressFrameSync(data);
      case "zstd": {
        const out = zstdDecompress(data);
        return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
      }
    }
  } catch (e) {
    if (e instanceof RecordFormatError) throw e;
    throw new RecordFormatError("CORRUPT_MESSAGE", `cannot decompress ${type}: ${(e as Error).message}`);
  }
}

function isXerial(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_BYTES && data.subarray(0, 8).equals(XERIAL_MAGIC);
}

function xerialCompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(XERIAL_HEADER_BYTES);
  XERIAL_MAGIC.copy(header, 0);
  header.writeInt32BE(1, 8);
  header.writeInt32BE(1, 12);
  parts.push(header);
  for (let off = 0; off < data.length; off += XERIAL_BLOCK_BYTES) {
    const block = snappyCompress(data.subarray(off, off + XERIAL_BLOCK_BYTES));
    const len = Buffer.alloc(4);
    len.writeInt32BE(block.length, 0);
    parts.push(len, block);
  }
  return Buffer.concat(parts);
}

function xerialDecompress(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new RecordFormatError("CORRUPT_MESSAGE", "truncated xerial block");
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length)
      throw new RecordFormatError("CORRUPT_MESSAGE", "bad xerial block");
    parts.push(snappyUncompress(data.subarray(pos, pos + len)) as Buffer);
    pos += len;
  }
  return Buffer.concat(parts);
}
