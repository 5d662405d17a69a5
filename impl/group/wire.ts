/**
 * A minimal big-endian reader and writer for the few fixed schemas this folder encodes
 * (the consumer protocol and the __consumer_offsets records). Kafka's primitive types only:
 * int16/int32/int64, (nullable) string and bytes with int16/int32 length prefixes, arrays with an
 * int32 count, and for flexible versions the compact (unsigned varint, length+1) forms and tagged
 * fields. The broker's general codec lives in impl/protocol; this stays local so the group core has
 * no dependency on it.
 */

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

export class Writer {
  private chunks: Buffer[] = [];
  private size = 0;

  private push(b: Buffer): this {
    this.chunks.push(b);
    this.size += b.length;
    return this;
  }

  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    return this.push(b);
  }
  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  int64(v: number | bigint): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    return this.push(b);
  }
  string(v: string): this {
    const s = Buffer.from(v, "utf8");
    if (s.length > 0x7fff) throw new WireError(`string too long (${s.length} bytes)`);
    return this.int16(s.length).push(s);
  }
  nullableString(v: string | null): this {
    return v === null ? this.int16(-1) : this.string(v);
  }
  bytes(v: Buffer): this {
    return this.int32(v.length).push(v);
  }
  nullableBytes(v: Buffer | null): this {
    return v === null ? this.int32(-1) : this.bytes(v);
  }
  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks, this.size);
  }
}

export class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) {
      throw new WireError(`truncated: need ${n} bytes at ${this.pos}, have ${this.buf.length - this.pos}`);
    }
  }

  int16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): number {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    // Offsets and timestamps fit in 2^53; anything larger is corrupt data for our purposes.
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new WireError(`int64 ${v} outside the safe integer range`);
    }
    return Number(v);
  }
  private raw(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  nullableString(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    return this.raw(n).toString("utf8");
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new WireError("null where a string is required");
    return s;
  }
  nullableBytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    return Buffer.from(this.raw(n));
  }
  bytes(): Buffer {
    const b = this.nullableBytes();
    if (b === null) throw new WireError("null where bytes are required");
    return b;
  }
  array<T>(each: (r: Reader) => T): T[] {
    const n = this.int32();
    if (n < 0) return [];
    if (n > this.remaining)
      throw new WireError(`array count ${n} exceeds the remaining ${this.remaining} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }

  /* Flexible-version forms (KIP-482). */
  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      this.need(1);
      const b = this.buf[this.pos++];
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
      shift += 7;
    }
    throw new WireError("unsigned varint longer than 5 bytes");
  }
  compactNullableString(): string | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    return this.raw(n).toString("utf8");
  }
  compactString(): string {
    const s = this.compactNullableString();
    if (s === null) throw new WireError("null where a compact string is required");
    return s;
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint() - 1;
    if (n < 0) return null;
    return Buffer.from(this.raw(n));
  }
  compactBytes(): Buffer {
    const b = this.compactNullableBytes();
    if (b === null) throw new WireError("null where compact bytes are required");
    return b;
  }
  compactArray<T>(each: (r: Reader) => T): T[] {
    const n = this.uvarint() - 1;
    if (n < 0) return [];
    if (n > this.remaining)
      throw new WireError(`array count ${n} exceeds the remaining ${this.remaining} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  /** Tagged fields we do not know are skipped, as the flexible-version rules require. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.raw(this.uvarint());
    }
  }
}
