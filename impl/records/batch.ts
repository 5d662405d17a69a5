import { crc32c } from "@node-rs/crc32";
import { compress, decompress } from "./compression.ts";
import { RecordFormatError } from "./errors.ts";
import type {
  BatchHeader,
  BatchOptions,
  CompressionType,
  KafkaRecord,
  RecordInput,
  TimestampType,
} from "./types.ts";
import { COMPRESSION_BY_CODE, COMPRESSION_CODES } from "./types.ts";
import {
  type Cursor,
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  VarintError,
  writeVarint,
  writeVarlong,
} from "./varint.ts";

/**
 * RecordBatch v2 (magic 2) as pure functions over Buffers. Layout (big-endian):
 *   0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 | 17 crc u32 |
 *   21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64 |
 *   43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 | 57 recordCount i32 | 61 records
 * The CRC32C covers attributes..end, so baseOffset and partitionLeaderEpoch can be set in place.
 */

export const BATCH_HEADER_BYTES = 61;
/** baseOffset + batchLength: the bytes before what batchLength counts. */
export const LOG_OVERHEAD = 12;
export const MAGIC_V2 = 2;

const OFF_BASE_OFFSET = 0;
const OFF_LENGTH = 8;
const OFF_LEADER_EPOCH = 12;
const OFF_MAGIC = 16;
const OFF_CRC = 17;
const OFF_ATTRIBUTES = 21;
const OFF_LAST_OFFSET_DELTA = 23;
const OFF_BASE_TIMESTAMP = 27;
const OFF_MAX_TIMESTAMP = 35;
const OFF_PRODUCER_ID = 43;
const OFF_PRODUCER_EPOCH = 51;
const OFF_BASE_SEQUENCE = 53;
const OFF_RECORD_COUNT = 57;

const ATTR_COMPRESSION_MASK = 0x07;
const ATTR_LOG_APPEND_TIME = 0x08;
const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

export function compressionOf(attributes: number): CompressionType {
  const c = COMPRESSION_BY_CODE[attributes & ATTR_COMPRESSION_MASK];
  if (c === undefined)
    throw new RecordFormatError("CORRUPT_MESSAGE", `unknown compression code ${attributes & 7}`);
  return c;
}
export function timestampTypeOf(attributes: number): TimestampType {
  return attributes & ATTR_LOG_APPEND_TIME ? "LogAppendTime" : "CreateTime";
}
export function isTransactional(attributes: number): boolean {
  return (attributes & ATTR_TRANSACTIONAL) !== 0;
}
export function isControl(attributes: number): boolean {
  return (attributes & ATTR_CONTROL) !== 0;
}

function readI64(buf: Buffer, pos: number): number {
  return Number(buf.readBigInt64BE(pos));
}
function writeI64(buf: Buffer, pos: number, v: number): void {
  buf.writeBigInt64BE(BigInt(v), pos);
}

/** Total bytes of the batch starting at `pos`, from its length field; null if the 12-byte prefix is cut. */
export function batchSizeAt(buf: Buffer, pos = 0): number | null {
  if (pos + LOG_OVERHEAD > buf.length) return null;
  return buf.readInt32BE(pos + OFF_LENGTH) + LOG_OVERHEAD;
}

/** Decodes the fixed header without touching the records. Needs the first 61 bytes. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (pos + BATCH_HEADER_BYTES > buf.length) {
    throw new RecordFormatError("CORRUPT_MESSAGE", "record batch header is truncated");
  }
  return {
    baseOffset: readI64(buf, pos + OFF_BASE_OFFSET),
    batchLength: buf.readInt32BE(pos + OFF_LENGTH),
    partitionLeaderEpoch: buf.readInt32BE(pos + OFF_LEADER_EPOCH),
    magic: buf.readInt8(pos + OFF_MAGIC),
    crc: buf.readUInt32BE(pos + OFF_CRC),
    attributes: buf.readInt16BE(pos + OFF_ATTRIBUTES),
    lastOffsetDelta: buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA),
    baseTimestamp: readI64(buf, pos + OFF_BASE_TIMESTAMP),
    maxTimestamp: readI64(buf, pos + OFF_MAX_TIMESTAMP),
    producerId: readI64(buf, pos + OFF_PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + OFF_PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + OFF_BASE_SEQUENCE),
    recordCount: buf.readInt32BE(pos + OFF_RECORD_COUNT),
  };
}

/** Cheap accessors for the hot path (no header object). */
export function baseOffsetOf(buf: Buffer, pos = 0): number {
  return readI64(buf, pos + OFF_BASE_OFFSET);
}
export function lastOffsetOf(buf: Buffer, pos = 0): number {
  return readI64(buf, pos + OFF_BASE_OFFSET) + buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA);
}
export function maxTimestampOf(buf: Buffer, pos = 0): number {
  return readI64(buf, pos + OFF_MAX_TIMESTAMP);
}
export function partitionLeaderEpochOf(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + OFF_LEADER_EPOCH);
}
export function magicAt(buf: Buffer, pos = 0): number {
  return buf.readInt8(pos + OFF_MAGIC);
}
export function recordCountOf(buf: Buffer, pos = 0): number {
  return buf.readInt32BE(pos + OFF_RECORD_COUNT);
}

/** Outside the CRC: the broker assigns it in place on append. */
export function setBaseOffset(buf: Buffer, pos: number, baseOffset: number): void {
  writeI64(buf, pos + OFF_BASE_OFFSET, baseOffset);
}
/** Outside the CRC: the leader stamps its epoch in place on append. */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + OFF_LEADER_EPOCH);
}
/** Marks the batch LogAppendTime with the broker's clock; both fields are inside the CRC, so it is redone. */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: number): void {
  const attrs = buf.readInt16BE(pos + OFF_ATTRIBUTES);
  buf.writeInt16BE(attrs | ATTR_LOG_APPEND_TIME, pos + OFF_ATTRIBUTES);
  writeI64(buf, pos + OFF_MAX_TIMESTAMP, timestampMs);
  const size = buf.readInt32BE(pos + OFF_LENGTH) + LOG_OVERHEAD;
  buf.writeUInt32BE(crc32c(buf.subarray(pos + OFF_ATTRIBUTES, pos + size)), pos + OFF_CRC);
}

export type BatchCheck = { ok: true; size: number } | { ok: false; reason: string; partial: boolean };

/**
 * Checks the batch at `pos`: whole (length fits in the buffer), magic 2, sane length, CRC32C.
 * `partial` is true when the bytes simply end before the batch does (a torn tail, not corruption).
 */
export function checkBatch(buf: Buffer, pos = 0): BatchCheck {
  const size = batchSizeAt(buf, pos);
  if (size === null) return { ok: false, reason: "batch prefix is cut", partial: true };
  if (size < BATCH_HEADER_BYTES)
    return { ok: false, reason: `batch length ${size - 12} too small`, partial: false };
  if (pos + OFF_MAGIC < buf.length && buf.readInt8(pos + OFF_MAGIC) !== MAGIC_V2) {
    return { ok: false, reason: `magic ${buf.readInt8(pos + OFF_MAGIC)} is not 2`, partial: false };
  }
  if (pos + size > buf.length) return { ok: false, reason: "batch is cut", partial: true };
  const stored = buf.readUInt32BE(pos + OFF_CRC);
  const actual = crc32c(buf.subarray(pos + OFF_ATTRIBUTES, pos + size));
  if (stored !== actual)
    return { ok: false, reason: `crc mismatch (${stored} != ${actual})`, partial: false };
  if (buf.readInt32BE(pos + OFF_LAST_OFFSET_DELTA) < 0) {
    return { ok: false, reason: "negative lastOffsetDelta", partial: false };
  }
  return { ok: true, size };
}

/** Throws CORRUPT_MESSAGE unless the batch at `pos` is whole and valid; returns its size. */
export function validateBatch(buf: Buffer, pos = 0): number {
  const c = checkBatch(buf, pos);
  if (!c.ok) throw new RecordFormatError("CORRUPT_MESSAGE", c.reason);
  return c.size;
}

export interface BatchSpan {
  position: number;
  size: number;
}

/**
 * Whole batches in `buf` by their length fields, stopping at a partial tail (as a fetch response's
 * last batch may be cut by maxBytes). Does not check CRCs; use checkBatch for that.
 */
export function* batchSpans(buf: Buffer): Generator<BatchSpan> {
  let pos = 0;
  while (true) {
    const size = batchSizeAt(buf, pos);
    if (size === null || size < LOG_OVERHEAD || pos + size > buf.length) return;
    yield { position: pos, size };
    pos += size;
  }
}

/** Bytes of the longest prefix of `buf` made of valid, whole batches; and why it stopped, if it did. */
export function validPrefix(buf: Buffer): { bytes: number; batches: number; stop?: string } {
  let pos = 0;
  let batches = 0;
  while (pos < buf.length) {
    const c = checkBatch(buf, pos);
    if (!c.ok) return { bytes: pos, batches, stop: c.reason };
    pos += c.size;
    batches++;
  }
  return { bytes: pos, batches };
}

function recordBodySize(r: RecordInput, tsDelta: number, offsetDelta: number): number {
  let n = 1 + sizeOfVarlong(tsDelta) + sizeOfVarint(offsetDelta);
  n += r.key == null ? sizeOfVarint(-1) : sizeOfVarint(r.key.length) + r.key.length;
  n += r.value == null ? sizeOfVarint(-1) : sizeOfVarint(r.value.length) + r.value.length;
  const headers = r.headers ?? [];
  n += sizeOfVarint(headers.length);
  for (const h of headers) {
    const k = Buffer.byteLength(h.key, "utf8");
    n += sizeOfVarint(k) + k;
    n += h.value == null ? sizeOfVarint(-1) : sizeOfVarint(h.value.length) + h.value.length;
  }
  return n;
}

function writeBytes(buf: Buffer, pos: number, b: Buffer | null | undefined): number {
  if (b == null) return writeVarint(buf, pos, -1);
  pos = writeVarint(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}

function encodeRecords(records: readonly RecordInput[], baseTimestamp: number): Buffer {
  const sizes: number[] = [];
  let total = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const body = recordBodySize(r, (r.timestamp ?? baseTimestamp) - baseTimestamp, i);
    sizes.push(body);
    total += sizeOfVarint(body) + body;
  }
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    pos = writeVarint(out, pos, sizes[i]);
    out[pos++] = 0; // record attributes: unused
    pos = writeVarlong(out, pos, (r.timestamp ?? baseTimestamp) - baseTimestamp);
    pos = writeVarint(out, pos, i);
    pos = writeBytes(out, pos, r.key);
    pos = writeBytes(out, pos, r.value);
    const headers = r.headers ?? [];
    pos = writeVarint(out, pos, headers.length);
    for (const h of headers) {
      pos = writeBytes(out, pos, Buffer.from(h.key, "utf8"));
      pos = writeBytes(out, pos, h.value);
    }
  }
  return out;
}

/** Encodes one RecordBatch v2. Throws UNSUPPORTED_COMPRESSION_TYPE for zstd (see compression.ts). */
export function encodeBatch(records: readonly RecordInput[], opts: BatchOptions = {}): Buffer {
  if (records.length === 0)
    throw new RecordFormatError("INVALID_RECORD", "a batch needs at least one record");
  const compression = opts.compression ?? "none";
  const baseTimestamp = opts.baseTimestamp ?? records[0].timestamp ?? 0;
  let maxTimestamp = -1;
  for (const r of records) maxTimestamp = Math.max(maxTimestamp, r.timestamp ?? baseTimestamp);
  const body = compress(compression, encodeRecords(records, baseTimestamp));
  const out = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  let attributes = COMPRESSION_CODES[compression];
  if (opts.timestampType === "LogAppendTime") attributes |= ATTR_LOG_APPEND_TIME;
  if (opts.isTransactional) attributes |= ATTR_TRANSACTIONAL;
  if (opts.isControl) attributes |= ATTR_CONTROL;
  writeI64(out, OFF_BASE_OFFSET, opts.baseOffset ?? 0);
  out.writeInt32BE(out.length - LOG_OVERHEAD, OFF_LENGTH);
  out.writeInt32BE(opts.partitionLeaderEpoch ?? -1, OFF_LEADER_EPOCH);
  out.writeInt8(MAGIC_V2, OFF_MAGIC);
  out.writeInt16BE(attributes, OFF_ATTRIBUTES);
  out.writeInt32BE(records.length - 1, OFF_LAST_OFFSET_DELTA);
  writeI64(out, OFF_BASE_TIMESTAMP, baseTimestamp);
  writeI64(out, OFF_MAX_TIMESTAMP, maxTimestamp);
  writeI64(out, OFF_PRODUCER_ID, opts.producerId ?? -1);
  out.writeInt16BE(opts.producerEpoch ?? -1, OFF_PRODUCER_EPOCH);
  out.writeInt32BE(opts.baseSequence ?? -1, OFF_BASE_SEQUENCE);
  out.writeInt32BE(records.length, OFF_RECORD_COUNT);
  body.copy(out, BATCH_HEADER_BYTES);
  out.writeUInt32BE(crc32c(out.subarray(OFF_ATTRIBUTES)), OFF_CRC);
  return out;
}

function readBytes(c: Cursor): Buffer | null {
  const len = readVarint(c);
  if (len < 0) return null;
  if (c.pos + len > c.buf.length) throw new VarintError("field runs past the record");
  const b = c.buf.subarray(c.pos, c.pos + len);
  c.pos += len;
  return b;
}

/**
 * Decodes the records of the batch at `pos` lazily, one at a time. Keys and values are views into the
 * (decompressed) buffer, not copies. Throws CORRUPT_MESSAGE on a malformed record.
 */
export function* iterateRecords(buf: Buffer, pos = 0): Generator<KafkaRecord> {
  const h = readBatchHeader(buf, pos);
  const end = pos + h.batchLength + LOG_OVERHEAD;
  if (end > buf.length) throw new RecordFormatError("CORRUPT_MESSAGE", "batch is cut");
  const body = decompress(compressionOf(h.attributes), buf.subarray(pos + BATCH_HEADER_BYTES, end));
  const logAppend = timestampTypeOf(h.attributes) === "LogAppendTime";
  const c: Cursor = { buf: body, pos: 0 };
  for (let i = 0; i < h.recordCount; i++) {
    let rec: KafkaRecord;
    try {
      const len = readVarint(c);
      const recEnd = c.pos + len;
      if (len < 0 || recEnd > body.length) throw new VarintError("record runs past the batch");
      const rc: Cursor = { buf: body.subarray(0, recEnd), pos: c.pos + 1 };
      const tsDelta = readVarlong(rc);
      const offsetDelta = readVarint(rc);
      const key = readBytes(rc);
      const value = readBytes(rc);
      const headerCount = readVarint(rc);
      if (headerCount < 0 || headerCount > len) throw new VarintError("bad header count");
      const headers = [];
      for (let j = 0; j < headerCount; j++) {
        const k = readBytes(rc);
        if (k === null) throw new VarintError("null header key");
        headers.push({ key: k.toString("utf8"), value: readBytes(rc) });
      }
      if (rc.pos !== recEnd) throw new VarintError("record length does not match its fields");
      c.pos = recEnd;
      rec = {
        offset: h.baseOffset + offsetDelta,
        timestamp: logAppend ? h.maxTimestamp : h.baseTimestamp + tsDelta,
        key,
        value,
        headers,
      };
    } catch (e) {
      if (e instanceof VarintError) throw new RecordFormatError("CORRUPT_MESSAGE", e.message);
      throw e;
    }
    yield rec;
  }
}

export function decodeRecords(buf: Buffer, pos = 0): KafkaRecord[] {
  return [...iterateRecords(buf, pos)];
}

export function decodeBatch(buf: Buffer, pos = 0): { header: BatchHeader; records: KafkaRecord[] } {
  return { header: readBatchHeader(buf, pos), records: decodeRecords(buf, pos) };
}
