/**
 * Zig-zag variable-length integers as RecordBatch v2 uses them (protobuf style, least significant
 * group first). Varints are int32; varlongs are int64 carried in a JS number, exact for every safe
 * integer (|v| < 2^53), which covers every timestamp and offset delta a real producer sends.
 */

/** A cursor over a Buffer: decoders advance `pos` as they read. */
export interface Cursor {
  buf: Buffer;
  pos: number;
}

export class VarintError extends Error {}

/** Reads a zig-zag varint (int32). Throws VarintError on a truncated or over-long encoding. */
export function readVarint(c: Cursor): number {
  let raw = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    if (c.pos >= c.buf.length) throw new VarintError("truncated varint");
    const b = c.buf[c.pos++];
    raw |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return (raw >>> 1) ^ -(raw & 1);
    shift += 7;
  }
  throw new VarintError("varint longer than 5 bytes");
}

/**
 * Reads a zig-zag varlong (int64) into a number. Up to 7 bytes (49 bits) stay in float arithmetic;
 * longer encodings go through BigInt so every safe integer decodes exactly.
 */
export function readVarlong(c: Cursor): number {
  let raw = 0;
  let mul = 1;
  const start = c.pos;
  for (let i = 0; i < 7; i++) {
    if (c.pos >= c.buf.length) throw new VarintError("truncated varlong");
    const b = c.buf[c.pos++];
    raw += (b & 0x7f) * mul;
    // zig-zag: even -> raw/2, odd -> -(raw+1)/2
    if ((b & 0x80) === 0) return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
    mul *= 128;
  }
  c.pos = start;
  return readVarlongBig(c);
}

function readVarlongBig(c: Cursor): number {
  let raw = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= c.buf.length) throw new VarintError("truncated varlong");
    const b = c.buf[c.pos++];
    raw |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return Number((raw >> 1n) ^ -(raw & 1n));
    shift += 7n;
  }
  throw new VarintError("varlong longer than 10 bytes");
}

/** Beyond this magnitude 2|v| is not exact in a double: use BigInt. */
const FLOAT_SAFE = 2 ** 52;

function zigzagBig(value: number): bigint {
  const v = BigInt(value);
  return v >= 0n ? v << 1n : (-v << 1n) - 1n;
}

/** Bytes a zig-zag varint takes. */
export function sizeOfVarint(value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  let n = 1;
  while (raw >= 0x80) {
    raw >>>= 7;
    n++;
  }
  return n;
}

/** Bytes a zig-zag varlong takes. */
export function sizeOfVarlong(value: number): number {
  if (Math.abs(value) >= FLOAT_SAFE) {
    let big = zigzagBig(value);
    let n = 1;
    while (big >= 0x80n) {
      big >>= 7n;
      n++;
    }
    return n;
  }
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  let n = 1;
  while (raw >= 128) {
    raw = Math.floor(raw / 128);
    n++;
  }
  return n;
}

/** Writes a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, value: number): number {
  let raw = ((value << 1) ^ (value >> 31)) >>> 0;
  while (raw >= 0x80) {
    buf[pos++] = (raw & 0x7f) | 0x80;
    raw >>>= 7;
  }
  buf[pos++] = raw;
  return pos;
}

/** Writes a zig-zag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, pos: number, value: number): number {
  if (Math.abs(value) >= FLOAT_SAFE) {
    let big = zigzagBig(value);
    while (big >= 0x80n) {
      buf[pos++] = Number(big & 0x7fn) | 0x80;
      big >>= 7n;
    }
    buf[pos++] = Number(big);
    return pos;
  }
  let raw = value >= 0 ? value * 2 : -value * 2 - 1;
  while (raw >= 128) {
    buf[pos++] = (raw % 128) | 0x80;
    raw = Math.floor(raw / 128);
  }
  buf[pos++] = raw;
  return pos;
}
