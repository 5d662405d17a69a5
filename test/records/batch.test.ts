import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { crc32c } from "@node-rs/crc32";
import fc from "fast-check";
import { compressSync as snappyRaw } from "snappy";
import { describe, expect, it } from "vitest";
import {
  BATCH_HEADER_BYTES,
  batchSpans,
  checkBatch,
  decodeBatch,
  decodeRecords,
  encodeBatch,
  readBatchHeader,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
  validPrefix,
} from "../../impl/records/batch.ts";
import { compress, decompress, ENCODABLE_COMPRESSION } from "../../impl/records/compression.ts";
import { RecordFormatError } from "../../impl/records/errors.ts";
import { type BatchOptions, COMPRESSION_CODES, type RecordInput } from "../../impl/records/types.ts";
import { batchWithBody, zstdRawFrame } from "./helpers.ts";

const bytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
const record: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(bytes, { nil: null }),
  value: fc.option(bytes, { nil: null }),
  headers: fc.array(
    fc.record({ key: fc.string({ unit: "grapheme", maxLength: 8 }), value: fc.option(bytes, { nil: null }) }),
    {
      maxLength: 3,
    },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 42 }),
});
const records = fc.array(record, { minLength: 1, maxLength: 12 });

function expectSameRecords(got: ReturnType<typeof decodeRecords>, want: RecordInput[], baseOffset: number) {
  expect(got.length).toBe(want.length);
  got.forEach((r, i) => {
    expect(r.offset).toBe(baseOffset + i);
    expect(r.timestamp).toBe(want[i].timestamp);
    expect(r.key === null ? null : Buffer.from(r.key)).toEqual(want[i].key ?? null);
    expect(r.value === null ? null : Buffer.from(r.value)).toEqual(want[i].value);
    expect(r.headers.map((h) => [h.key, h.value && Buffer.from(h.value)])).toEqual(
      (want[i].headers ?? []).map((h) => [h.key, h.value]),
    );
  });
}

function zstdBatch(rs: RecordInput[], opts: BatchOptions): Buffer {
  return batchWithBody(rs, 4, zstdRawFrame, { ...opts, compression: "none" });
}

describe("RecordBatch v2", () => {
  // zstd is decode-only: its batches are built with a stored-block zstd frame (see helpers.ts).
  for (const compression of [...ENCODABLE_COMPRESSION, "zstd" as const]) {
    it(`round-trips arbitrary records and header fields with ${compression}`, () => {
      fc.assert(
        fc.property(
          records,
          fc.integer({ min: 0, max: 2 ** 50 }),
          fc.integer({ min: -1, max: 2 ** 31 - 1 }),
          fc.integer({ min: -1, max: 2 ** 50 }),
          (rs, baseOffset, epoch, producerId) => {
            const encode = compression === "zstd" ? zstdBatch : encodeBatch;
            const b = encode(rs, {
              compression,
              baseOffset,
              partitionLeaderEpoch: epoch,
              producerId,
              producerEpoch: 3,
              baseSequence: 7,
            });
            expect(checkBatch(b)).toEqual({ ok: true, size: b.length });
            const { header, records: got } = decodeBatch(b);
            expect(header).toMatchObject({
              baseOffset,
              batchLength: b.length - 12,
              partitionLeaderEpoch: epoch,
              magic: 2,
              lastOffsetDelta: rs.length - 1,
              baseTimestamp: rs[0].timestamp,
              maxTimestamp: Math.max(...rs.map((r) => r.timestamp!)),
              producerId,
              producerEpoch: 3,
              baseSequence: 7,
              recordCount: rs.length,
            });
            expect(header.attributes & 7).toBe(COMPRESSION_CODES[compression]);
            expectSameRecords(got, rs, baseOffset);
          },
        ),
        { numRuns: 60 },
      );
    });
  }

  it("detects a change to any byte the CRC covers, and ignores the fields set in place", () => {
    fc.assert(
      fc.property(records, fc.nat(), fc.integer({ min: 1, max: 255 }), (rs, at, xor) => {
        const b = encodeBatch(rs);
        const pos = at % b.length;
        b[pos] ^= xor;
        const c = checkBatch(b);
        if (pos < 12) {
          // baseOffset, or batchLength: a changed length is a cut or an overrun, never silently accepted
          if (pos < 8) expect(c.ok).toBe(true);
          else expect(c.ok).toBe(false);
        } else if (pos < 16) {
          expect(c.ok).toBe(true); // partitionLeaderEpoch is outside the CRC by design
        } else {
          expect(c.ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("sets base offset and leader epoch in place without breaking the CRC", () => {
    const b = encodeBatch([{ value: Buffer.from("a") }, { value: Buffer.from("b") }]);
    setBaseOffset(b, 0, 1234567890123);
    setPartitionLeaderEpoch(b, 0, 42);
    expect(validateBatch(b)).toBe(b.length);
    expect(readBatchHeader(b)).toMatchObject({ baseOffset: 1234567890123, partitionLeaderEpoch: 42 });
    expect(decodeRecords(b).map((r) => r.offset)).toEqual([1234567890123, 1234567890124]);
  });

  it("LogAppendTime gives every record the broker's time and keeps the batch valid", () => {
    const b = encodeBatch([
      { value: Buffer.from("a"), timestamp: 5 },
      { value: Buffer.from("b"), timestamp: 9 },
    ]);
    setLogAppendTime(b, 0, 777);
    expect(checkBatch(b).ok).toBe(true);
    expect(decodeRecords(b).map((r) => r.timestamp)).toEqual([777, 777]);
  });

  it("treats every cut of a batch as a partial tail, and iteration stops before it", () => {
    const one = encodeBatch([{ value: Buffer.from("first") }]);
    const two = encodeBatch([{ value: Buffer.from("second"), key: Buffer.from("k") }], { baseOffset: 1 });
    const both = Buffer.concat([one, two]);
    for (let cut = 0; cut < two.length; cut++) {
      const buf = both.subarray(0, one.length + cut);
      expect([...batchSpans(buf)]).toEqual([{ position: 0, size: one.length }]);
      expect(validPrefix(buf).bytes).toBe(one.length);
      const c = checkBatch(buf, one.length);
      expect(c.ok).toBe(false);
      if (!c.ok) expect(c.partial).toBe(true);
    }
    expect([...batchSpans(both)].length).toBe(2);
    expect(validPrefix(both)).toEqual({ bytes: both.length, batches: 2 });
  });

  it("reports a corrupt record inside a valid-CRC batch as CORRUPT_MESSAGE", () => {
    const good = encodeBatch([{ value: Buffer.from("abc") }]);
    // Claim two records while the body holds one: the CRC is recomputed, the structure is wrong.
    const bad = batchWithBody([{ value: Buffer.from("abc") }], 0, (p) => p);
    bad.writeInt32BE(2, 57);
    bad.writeUInt32BE(crc32c(bad.subarray(21)), 17);
    expect(checkBatch(good).ok).toBe(true);
    expect(() => decodeRecords(bad)).toThrow(RecordFormatError);
  });

  it("rejects another magic and an empty batch", () => {
    const b = encodeBatch([{ value: null }]);
    b[16] = 1;
    expect(checkBatch(b)).toMatchObject({ ok: false, partial: false });
    expect(() => encodeBatch([])).toThrow(/INVALID_RECORD/);
  });
});

describe("compression", () => {
  const rs: RecordInput[] = Array.from({ length: 50 }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: Buffer.from(`value ${i} `.repeat(20)),
    timestamp: 1_700_000_000_000 + i,
  }));

  it("compresses a repetitive batch with every writable codec", () => {
    const plain = encodeBatch(rs).length;
    for (const c of ENCODABLE_COMPRESSION.filter((c) => c !== "none")) {
      expect(encodeBatch(rs, { compression: c }).length).toBeLessThan(plain / 2);
    }
  });

  it("zstd: encoding answers UNSUPPORTED_COMPRESSION_TYPE; decoding reads real zstd frames", () => {
    try {
      encodeBatch(rs, { compression: "zstd" });
      expect.unreachable();
    } catch (e) {
      expect((e as RecordFormatError).error).toBe("UNSUPPORTED_COMPRESSION_TYPE");
    }
    const b = batchWithBody(rs, 4, zstdRawFrame, { baseOffset: 10 });
    expect(checkBatch(b).ok).toBe(true);
    expectSameRecords(decodeRecords(b), rs, 10);
  });

  it.skipIf(!hasZstdCli())("zstd: decodes a batch compressed by the zstd tool", () => {
    const b = batchWithBody(rs, 4, (p) => execFileSync("zstd", ["-q", "-c", "-3"], { input: p }));
    expect(b.length).toBeLessThan(encodeBatch(rs).length / 2);
    expectSameRecords(decodeRecords(b), rs, 0);
  });

  it("snappy: reads both xerial framing (Java client) and raw blocks (librdkafka, kafka-python)", () => {
    const xerial = encodeBatch(rs, { compression: "snappy" });
    expect(xerial.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 8).toString("latin1")).toBe(
      "\x82SNAPPY\x00",
    );
    expectSameRecords(decodeRecords(xerial), rs, 0);
    const raw = batchWithBody(rs, 2, (p) => snappyRaw(p));
    expectSameRecords(decodeRecords(raw), rs, 0);
    // a xerial stream of several 32 KiB blocks
    const big = Buffer.alloc(100_000, 7);
    expect(decompress("snappy", compress("snappy", big))).toEqual(big);
  });

  it("lz4: writes the LZ4 frame format (magic 0x184D2204)", () => {
    const b = encodeBatch(rs, { compression: "lz4" });
    expect(b.readUInt32LE(BATCH_HEADER_BYTES)).toBe(0x184d2204);
  });

  it("a damaged compressed body is CORRUPT_MESSAGE, not a crash", () => {
    for (const [code, fn] of [
      [1, (p: Buffer) => gzipSync(p).subarray(0, 20)],
      [2, (p: Buffer) => Buffer.from(p.map((x) => x ^ 0x55))],
      [3, (_p: Buffer) => Buffer.from([0x04, 0x22, 0x4d, 0x18, 1, 2, 3])],
      [4, (p: Buffer) => zstdRawFrame(p).subarray(0, 15)],
    ] as const) {
      const b = batchWithBody(rs, code, fn);
      expect(() => decodeRecords(b)).toThrow(/CORRUPT_MESSAGE/);
    }
  });
});

function hasZstdCli(): boolean {
  try {
    execFileSync("zstd", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
