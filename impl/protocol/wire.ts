/**
 * Primitive reads and writes on Buffers: big-endian integers, (zig-zag) varints, strings, byte runs.
 *
 * The Reader throws `WireError` on malformed input; the codec catches it at its boundary and turns it
 * into a typed decode error, so nothing escapes the codec as an exception. The Writer produces a list
 * of chunks so large byte runs (RecordBatches) are passed by reference, never copied.
 */

/** A low-level decoding failure: where (byte offset) and why. The codec adds the field path. */
export class WireError extends Error {
  readonly offset: number;
  /** Field path from the message root, filled in as the error unwinds through the codec. */
  path: string[] = [];
  constructor(reason: string, offset: number) {
    super(reason);
    this.name = "WireError";
    this.offset = offset;
  }
}

export class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): void {
    if (n > this.end - this.pos) {
      throw new WireError(`needed ${n} bytes, ${this.end - this.pos} left`, this.pos);
    }
  }

  int8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  uint16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  float64(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return v;
  }

  /** Unsigned LEB128 varint of at most 32 bits (5 bytes), as Kafka's compact lengths and tags. */
  uvarint(): number {
    let result = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      if (i === 4 && b > 0x0f) throw new WireError("unsigned varint exceeds 32 bits", this.pos - 1);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    throw new WireError("unsigned varint longer than 5 bytes", this.pos);
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    // Zig-zag decode on a value that may exceed 2^31, so use arithmetic rather than bit operators.
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  /** Zig-zag signed varlong (64 bits). */
  varlong(): bigint {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      if (i === 9 && b > 0x01) throw new WireError("varlong exceeds 64 bits", this.pos - 1);
      result |= BigInt(b & 0x7f) << BigInt(7 * i);
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new WireError("varlong longer than 10 bytes", this.pos);
  }

  uuid(): string {
    this.need(16);
    const hex = this.buf.toString("hex", this.pos, this.pos + 16);
    this.pos += 16;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** A view of the next n bytes: no copy. */
  slice(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  utf8(n: number): string {
    this.need(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}

/** Bytes at least this long are referenced as their own chunk instead of copied into the scratch buffer. */
const BY_REFERENCE_MIN_BYTES = 256;
const FIRST_SCRATCH_BYTES = 512;
const MAX_SCRATCH_BYTES = 1 << 20;

export class Writer {
  private readonly chunks: Buffer[] = [];
  private buf: Buffer;
  private start = 0;
  private pos = 0;
  /** Bytes written so far, across chunks. */
  length = 0;

  constructor(firstBytes = FIRST_SCRATCH_BYTES) {
    this.buf = Buffer.allocUnsafe(firstBytes);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    const size = Math.max(n, Math.min(this.buf.length * 2, MAX_SCRATCH_BYTES));
    this.buf = Buffer.allocUnsafe(size);
    this.start = 0;
    this.pos = 0;
  }

  int8(v: number): void {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    this.length += 1;
  }

  bool(v: boolean): void {
    this.int8(v ? 1 : 0);
  }

  int16(v: number): void {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    this.length += 2;
  }

  uint16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    this.length += 2;
  }

  int32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    this.length += 4;
  }

  int64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    this.length += 8;
  }

  float64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    this.length += 8;
  }

  uvarint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`uvarint out of range: ${v}`);
    this.ensure(5);
    let x = v;
    while (x >= 0x80) {
      this.buf[this.pos++] = (x % 0x80) | 0x80;
      this.length++;
      x = Math.floor(x / 0x80);
    }
    this.buf[this.pos++] = x;
    this.length++;
  }

  varint(v: number): void {
    if (!Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) {
      throw new RangeError(`varint out of range: ${v}`);
    }
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }

  varlong(v: bigint): void {
    if (v < -(2n ** 63n) || v >= 2n ** 63n) throw new RangeError(`varlong out of range: ${v}`);
    let x = v >= 0n ? v << 1n : (-v << 1n) - 1n;
    this.ensure(10);
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      this.length++;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    this.length++;
  }

  uuid(v: string): void {
    const hex = v.replaceAll("-", "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a UUID: ${v}`);
    this.ensure(16);
    this.buf.write(hex, this.pos, 16, "hex");
    this.pos += 16;
    this.length += 16;
  }

  utf8(s: string, byteLength: number): void {
    this.ensure(byteLength);
    this.buf.write(s, this.pos, byteLength, "utf8");
    this.pos += byteLength;
    this.length += byteLength;
  }

  /** Appends bytes; large runs are kept by reference (zero copy), small ones copied. */
  bytes(b: Buffer): void {
    if (b.length >= BY_REFERENCE_MIN_BYTES) this.reference(b);
    else {
      this.ensure(b.length);
      b.copy(this.buf, this.pos);
      this.pos += b.length;
      this.length += b.length;
    }
  }

  /** Appends bytes by reference regardless of size (records). */
  reference(b: Buffer): void {
    if (b.length === 0) return;
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.chunks.push(b);
    this.start = this.pos;
    this.length += b.length;
  }

  /** Reserves 4 bytes for an int32 filled in later (the frame length); returns a setter. */
  reserveInt32(): (v: number) => void {
    this.ensure(4);
    const buf = this.buf;
    const at = this.pos;
    this.pos += 4;
    this.length += 4;
    return (v: number) => {
      buf.writeInt32BE(v, at);
    };
  }

  /** The written bytes as chunks (views, not copies). The Writer must not be used afterwards. */
  finish(): Buffer[] {
    if (this.pos > this.start) this.chunks.push(this.buf.subarray(this.start, this.pos));
    this.start = this.pos;
    return this.chunks;
  }
}
