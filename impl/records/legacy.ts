import { crc32 } from "@node-rs/crc32";
import { encodeBatch } from "./batch.ts";
import { decompress, ENCODABLE_COMPRESSION } from "./compression.ts";
import { RecordFormatError } from "./errors.ts";
import { COMPRESSION_BY_CODE, type CompressionType, type RecordInput } from "./types.ts";

const ENCODABLE = new Set<CompressionType>(ENCODABLE_COMPRESSION);

/**
 * Legacy message sets (magic 0 and 1), read just far enough to turn an old client's produce into a
 * RecordBatch v2. Layout of one message (big-endian):
 *   offset i64 | messageSize i32 | crc u32 (CRC32 of magic..end) | magic i8 | attributes i8 |
 *   [timestamp i64, magic 1 only] | key bytes (i32 length, -1 null) | value bytes (i32 length, -1 null)
 * A compressed message's value is a whole inner message set (a "wrapper"); for magic 1 the inner
 * offsets are relative and a LogAppendTime wrapper's timestamp applies to every inner message.
 */

export interface LegacyMessage {
  offset: number;
  magic: 0 | 1;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

const NO_TIMESTAMP = -1;
const MAX_NESTING = 1;

function readLenBytes(buf: Buffer, pos: number, end: number): [Buffer | null, number] {
  if (pos + 4 > end) throw new RecordFormatError("CORRUPT_MESSAGE", "legacy message field is cut");
  const len = buf.readInt32BE(pos);
  pos += 4;
  if (len < 0) return [null, pos];
  if (pos + len > end)
    throw new RecordFormatError("CORRUPT_MESSAGE", "legacy message field runs past the end");
  return [buf.subarray(pos, pos + len), pos + len];
}

/** Decodes every message in a magic 0/1 message set, unwrapping compressed wrappers. A cut tail is ignored. */
export function readLegacyMessageSet(buf: Buffer, depth = 0): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let pos = 0;
  while (pos + 12 <= buf.length) {
    const offset = Number(buf.readBigInt64BE(pos));
    const size = buf.readInt32BE(pos + 8);
    const start = pos + 12;
    const end = start + size;
    if (size < 0 || end > buf.length) break; // partial trailing message, as Kafka's fetch may send
    if (size < 14) throw new RecordFormatError("CORRUPT_MESSAGE", `legacy message size ${size} too small`);
    const storedCrc = buf.readUInt32BE(start);
    if (crc32(buf.subarray(start + 4, end)) !== storedCrc) {
      throw new RecordFormatError("CORRUPT_MESSAGE", "legacy message crc mismatch");
    }
    const magic = buf.readInt8(start + 4);
    if (magic !== 0 && magic !== 1) throw new RecordFormatError("CORRUPT_MESSAGE", `legacy magic ${magic}`);
    const attributes = buf.readInt8(start + 5);
    let p = start + 6;
    let timestamp = NO_TIMESTAMP;
    if (magic === 1) {
      timestamp = Number(buf.readBigInt64BE(p));
      p += 8;
    }
    const [key, afterKey] = readLenBytes(buf, p, end);
    const [value] = readLenBytes(buf, afterKey, end);
    const codec = COMPRESSION_BY_CODE[attributes & 0x07];
    if (codec === undefined) throw new RecordFormatError("CORRUPT_MESSAGE", "unknown legacy compression");
    if (codec === "none") {
      out.push({ offset, magic, timestamp, key, value });
    } else {
      if (depth >= MAX_NESTING || value === null) {
        throw new RecordFormatError("CORRUPT_MESSAGE", "bad compressed legacy wrapper");
      }
      const inner = readLegacyMessageSet(decompress(codec, value), depth + 1);
      const logAppendTime = magic === 1 && (attributes & 0x08) !== 0;
      const lastInner = inner.length > 0 ? inner[inner.length - 1].offset : 0;
      for (const m of inner) {
        out.push({
          ...m,
          // magic 1 inner offsets are relative; the wrapper carries the absolute last offset
          offset: magic === 1 ? offset - lastInner + m.offset : m.offset,
          timestamp: logAppendTime ? timestamp : m.timestamp,
        });
      }
    }
    pos = end;
  }
  return out;
}

/** Compression of the first wrapper in a legacy set, for keeping it on conversion. */
function legacyCompression(buf: Buffer): CompressionType {
  if (buf.length < 18) return "none";
  return COMPRESSION_BY_CODE[buf.readInt8(17) & 0x07] ?? "none";
}

/**
 * Up-converts a magic 0/1 message set to one RecordBatch v2 with offsets from 0, keeping the
 * producer's compression where this build can write it (zstd did not exist before magic 2).
 */
export function legacyToBatchV2(buf: Buffer): Buffer {
  const messages = readLegacyMessageSet(buf);
  if (messages.length === 0) throw new RecordFormatError("CORRUPT_MESSAGE", "empty legacy message set");
  const records: RecordInput[] = messages.map((m) => ({
    key: m.key,
    value: m.value,
    timestamp: m.timestamp,
  }));
  const c = legacyCompression(buf);
  return encodeBatch(records, { compression: ENCODABLE.has(c) ? c : "none" });
}

/** Encodes a legacy message set (uncompressed): for tests and for answering very old fetches. */
export function encodeLegacyMessageSet(
  messages: readonly { key: Buffer | null; value: Buffer | null; timestamp?: number }[],
  magic: 0 | 1,
  baseOffset = 0,
): Buffer {
  const parts: Buffer[] = [];
  messages.forEach((m, i) => {
    const keyLen = m.key ? m.key.length : 0;
    const valueLen = m.value ? m.value.length : 0;
    const size = 4 + 1 + 1 + (magic === 1 ? 8 : 0) + 4 + keyLen + 4 + valueLen;
    const b = Buffer.alloc(12 + size);
    b.writeBigInt64BE(BigInt(baseOffset + i), 0);
    b.writeInt32BE(size, 8);
    let p = 16;
    b.writeInt8(magic, p++);
    b.writeInt8(0, p++);
    if (magic === 1) {
      b.writeBigInt64BE(BigInt(m.timestamp ?? NO_TIMESTAMP), p);
      p += 8;
    }
    b.writeInt32BE(m.key ? keyLen : -1, p);
    p += 4;
    if (m.key) p += m.key.copy(b, p);
    b.writeInt32BE(m.value ? valueLen : -1, p);
    p += 4;
    if (m.value) p += m.value.copy(b, p);
    b.writeUInt32BE(crc32(b.subarray(16)), 12);
    parts.push(b);
  });
  return Buffer.concat(parts);
}
