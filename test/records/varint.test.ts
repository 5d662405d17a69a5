import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  readVarint,
  readVarlong,
  sizeOfVarint,
  sizeOfVarlong,
  VarintError,
  writeVarint,
  writeVarlong,
} from "../../impl/records/varint.ts";

function encVarint(v: number): Buffer {
  const b = Buffer.alloc(5);
  return b.subarray(0, writeVarint(b, 0, v));
}
function encVarlong(v: number): Buffer {
  const b = Buffer.alloc(10);
  return b.subarray(0, writeVarlong(b, 0, v));
}

describe("zig-zag varints", () => {
  it("match the protobuf encodings Kafka's ByteUtils produces", () => {
    expect(encVarint(0).toString("hex")).toBe("00");
    expect(encVarint(-1).toString("hex")).toBe("01");
    expect(encVarint(1).toString("hex")).toBe("02");
    expect(encVarint(63).toString("hex")).toBe("7e");
    expect(encVarint(-64).toString("hex")).toBe("7f");
    expect(encVarint(64).toString("hex")).toBe("8001");
    expect(encVarint(2147483647).toString("hex")).toBe("feffffff0f");
    expect(encVarint(-2147483648).toString("hex")).toBe("ffffffff0f");
    expect(encVarlong(-1).toString("hex")).toBe("01");
    expect(encVarlong(2 ** 40).toString("hex")).toBe(encVarlongRef(2n ** 40n));
  });

  it("round-trip every int32, with the size they report", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (v) => {
        const b = encVarint(v);
        expect(b.length).toBe(sizeOfVarint(v));
        const c = { buf: b, pos: 0 };
        expect(readVarint(c)).toBe(v);
        expect(c.pos).toBe(b.length);
      }),
    );
  });

  it("round-trip varlongs across the safe-integer range and agree with a BigInt reference", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }), fc.integer()),
        (v) => {
          const b = encVarlong(v);
          expect(b.toString("hex")).toBe(encVarlongRef(BigInt(v)));
          expect(b.length).toBe(sizeOfVarlong(v));
          expect(readVarlong({ buf: b, pos: 0 })).toBe(v);
        },
      ),
    );
  });

  it("reject truncated and over-long encodings", () => {
    expect(() => readVarint({ buf: Buffer.from([0x80]), pos: 0 })).toThrow(VarintError);
    expect(() => readVarint({ buf: Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), pos: 0 })).toThrow(
      VarintError,
    );
    expect(() => readVarlong({ buf: Buffer.alloc(11, 0x80), pos: 0 })).toThrow(VarintError);
  });
});

/** An independent zig-zag varlong encoder over BigInt, for cross-checking. */
function encVarlongRef(v: bigint): string {
  let raw = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  const out: number[] = [];
  while (raw >= 0x80n) {
    out.push(Number(raw & 0x7fn) | 0x80);
    raw >>= 7n;
  }
  out.push(Number(raw));
  return Buffer.from(out).toString("hex");
}
