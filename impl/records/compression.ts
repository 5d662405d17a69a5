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

/**
 * The most bytes one decompression may produce by default. A batch is at most message.max.bytes
 * (1 MiB by default) compressed, but gzip and zstd can expand a thousandfold: without a cap a hostile
 * producer could make the broker allocate gigabytes from one small request.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/**
 * Decompresses one records section. Output beyond `maxBytes` fails with RECORD_LIST_TOO_LARGE before
 * it is allocated (each codec is stopped or checked against its own size prefixes); malformed input
 * fails with CORRUPT_MESSAGE.
 */
export function decompress(
  type: CompressionType,
  data: Buffer,
  maxBytes: number = DEFAULT_MAX_DECOMPRESSED_BYTES,
): Buffer {
  try {
    switch (type) {
      case "none":
        return data;
      case "gzip":
        return gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
      case "snappy":
        return isXerial(data) ? xerialDecompress(data, maxBytes) : snappyBlock(data, maxBytes);
      case "lz4":
        checkLz4Bound(data, maxBytes);
        return decompressFrameSync(data);
      case "zstd":
        return zstdCapped(data, maxBytes);
    }
  } catch (e) {
    if (e instanceof RecordFormatError) throw e;
    if ((e as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw tooLarge(type, maxBytes);
    throw new RecordFormatError("CORRUPT_MESSAGE", `cannot decompress ${type}: ${(e as Error).message}`);
  }
}

function tooLarge(type: CompressionType, maxBytes: number): RecordFormatError {
  return new RecordFormatError(
    "RECORD_LIST_TOO_LARGE",
    `${type} records decompress to more than the ${maxBytes}-byte limit`,
  );
}

/** A raw snappy block starts with its uncompressed length (a varint): check it before allocating. */
function snappyBlock(block: Buffer, maxBytes: number, before = 0): Buffer {
  let length = 0;
  for (let i = 0, shift = 0; ; i++, shift += 7) {
    if (i >= block.length || i >= 5) throw new RecordFormatError("CORRUPT_MESSAGE", "bad snappy length");
    length += (block[i] & 0x7f) * 2 ** shift;
    if ((block[i] & 0x80) === 0) break;
  }
  if (before + length > maxBytes) throw tooLarge("snappy", maxBytes);
  return snappyUncompress(block) as Buffer;
}

/*
 * Zstandard frames: magic, a header declaring the window (or, for a single segment, the content size),
 * then blocks of [3-byte LE header: last flag, type, size]. A raw block yields its size, an RLE block
 * its size from one byte, a compressed block at most min(window, 128 KiB). The decoder allocates the
 * window up front, so both the window and the sum of the block bounds are checked before decoding.
 */
const ZSTD_MAGIC = 0xfd2fb528;
const ZSTD_BLOCK_MAX = 128 * 1024;

function zstdCapped(data: Buffer, maxBytes: number): Buffer {
  walkFrames("zstd", data, maxBytes, ZSTD_MAGIC, (start, f) => {
    let pos = start;
    f.need(pos + 1, "header");
    const fhd = data[pos++];
    const singleSegment = (fhd & 0x20) !== 0;
    let window = 0;
    if (!singleSegment) {
      f.need(pos + 1, "window");
      const wd = data[pos++];
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    pos += [0, 1, 2, 4][fhd & 3];
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fhd >> 6];
    f.need(pos + fcsBytes, "content size");
    let contentSize = 0;
    for (let i = 0; i < fcsBytes; i++) contentSize += data[pos + i] * 2 ** (8 * i);
    if (fcsBytes === 2) contentSize += 256;
    pos += fcsBytes;
    if (singleSegment) window = contentSize;
    if (window > maxBytes || contentSize > maxBytes) throw tooLarge("zstd", maxBytes);
    for (let last = false; !last; ) {
      f.need(pos + 3, "block header");
      const header = data[pos] | (data[pos + 1] << 8) | (data[pos + 2] << 16);
      pos += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw f.corrupt("reserved block type");
      f.grow(type === 2 ? Math.min(window, ZSTD_BLOCK_MAX) : size);
      pos += type === 1 ? 1 : size;
    }
    return pos + (fhd & 0x04 ? 4 : 0);
  });
  const out = zstdDecompress(data);
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

interface FrameWalk {
  /** Throws CORRUPT_MESSAGE unless the body reaches `end`. */
  need(end: number, what: string): void;
  corrupt(why: string): RecordFormatError;
  /** Adds a block's output bound; throws RECORD_LIST_TOO_LARGE once the total passes the cap. */
  grow(bytes: number): void;
}

/**
 * Walks the frames of an lz4 or zstd body, skipping skippable frames (both formats allow them between
 * frames); `frame` reads one data frame from just after its magic and returns where it ends.
 */
function walkFrames(
  type: "lz4" | "zstd",
  data: Buffer,
  maxBytes: number,
  magic: number,
  frame: (pos: number, f: FrameWalk) => number,
): void {
  let bound = 0;
  const f: FrameWalk = {
    need(end, what) {
      if (end > data.length) throw f.corrupt(`truncated ${what}`);
    },
    corrupt: (why) => new RecordFormatError("CORRUPT_MESSAGE", `${type} frame: ${why}`),
    grow(bytes) {
      bound += bytes;
      if (bound > maxBytes) throw tooLarge(type, maxBytes);
    },
  };
  let pos = 0;
  while (pos < data.length) {
    f.need(pos + 4, "magic");
    const m = data.readUInt32LE(pos);
    pos += 4;
    if ((m & 0xfffffff0) === 0x184d2a50) {
      f.need(pos + 4, "skippable frame");
      pos += 4 + data.readUInt32LE(pos);
    } else if (m === magic) pos = frame(pos, f);
    else throw f.corrupt(`bad magic 0x${m.toString(16)}`);
  }
}

/*
 * LZ4 frames (the only lz4 form Kafka's v2 batches use): magic, FLG, BD, optional content size and
 * dictionary id, header checksum, then blocks of [uint32 LE size, high bit = stored uncompressed]
 * ending with a zero size. A block decompresses to at most the frame's block maximum (BD), and LZ4
 * cannot expand one input byte to more than 255 output bytes, so the sum of those bounds over the blocks
 * limits the output before the native decoder allocates anything.
 */
const LZ4_MAGIC = 0x184d2204;
const LZ4_BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];
// A match's length extension yields 255 bytes per input byte; a block's first token, offset and
// 19-byte match cost three bytes, so n compressed bytes never yield more than 255 * n.
const LZ4_MAX_RATIO = 255;

function checkLz4Bound(data: Buffer, maxBytes: number): void {
  walkFrames("lz4", data, maxBytes, LZ4_MAGIC, (start, f) => {
    f.need(start + 3, "header");
    const flg = data[start];
    const blockMax = LZ4_BLOCK_MAX[(data[start + 1] >> 4) & 7];
    if (blockMax === 0) throw f.corrupt("bad block maximum");
    let pos = start + 2 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0) + 1;
    const blockChecksum = flg & 0x10 ? 4 : 0;
    for (;;) {
      f.need(pos + 4, "block size");
      const word = data.readUInt32LE(pos);
      pos += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      f.grow(word & 0x80000000 ? size : Math.min(blockMax, size * LZ4_MAX_RATIO));
      pos += size + blockChecksum;
    }
    return pos + (flg & 0x04 ? 4 : 0);
  });
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

function xerialDecompress(data: Buffer, maxBytes: number): Buffer {
  const parts: Buffer[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new RecordFormatError("CORRUPT_MESSAGE", "truncated xerial block");
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length)
      throw new RecordFormatError("CORRUPT_MESSAGE", "bad xerial block");
    const block = snappyBlock(data.subarray(pos, pos + len), maxBytes, total);
    total += block.length;
    parts.push(block);
    pos += len;
  }
  return Buffer.concat(parts);
}
