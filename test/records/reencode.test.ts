/**
 * The one helper that writes records the log already holds as new batches: encodeRuns (a batch per run
 * of consecutive offsets in one leader epoch) and sliceBatch (part of a stored batch, its header kept).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compressionOf,
  encodeBatch,
  isControl,
  isTransactional,
  iterateRecords,
  readBatchHeader,
  timestampTypeOf,
  validPrefix,
} from "../../impl/records/batch.ts";
import { encodeRuns, type PlacedRecord, sliceBatch } from "../../impl/records/reencode.ts";
import type { CompressionType } from "../../impl/records/types.ts";
import { batchWithBody, zstdRawFrame } from "./helpers.ts";

const placed = (offset: number, leaderEpoch: number, timestamp?: number): PlacedRecord => ({
  offset,
  leaderEpoch,
  key: Buffer.from(`k${offset}`),
  value: Buffer.from(`v${offset}`),
  headers: [{ key: "h", value: Buffer.from(String(offset)) }],
  timestamp,
});

function decodeAll(batches: Buffer[]) {
  return batches.flatMap((b) => {
    const h = readBatchHeader(b);
    return [...iterateRecords(b)].map((r) => ({
      offset: r.offset,
      epoch: h.partitionLeaderEpoch,
      value: r.value?.toString(),
      timestamp: r.timestamp,
      headers: r.headers.map((x) => `${x.key}=${x.value?.toString()}`),
    }));
  });
}

describe("encodeRuns", () => {
  it("writes one batch per run of consecutive offsets in one leader epoch, and they decode back", () => {
    const records = [
      placed(5, 0, 100),
      placed(6, 0, 101),
      placed(7, 1, 102),
      placed(9, 1),
      placed(10, 1, 105),
    ];
    const batches = encodeRuns(records, 50);
    expect(batches.map((b) => [readBatchHeader(b).baseOffset, readBatchHeader(b).recordCount])).toEqual([
      [5, 2],
      [7, 1],
      [9, 2],
    ]);
    for (const b of batches) expect(validPrefix(b).bytes).toBe(b.length);
    expect(decodeAll(batches)).toEqual([
      { offset: 5, epoch: 0, value: "v5", timestamp: 100, headers: ["h=5"] },
      { offset: 6, epoch: 0, value: "v6", timestamp: 101, headers: ["h=6"] },
      { offset: 7, epoch: 1, value: "v7", timestamp: 102, headers: ["h=7"] },
      // No timestamp of its own and first in its run: the fallback.
      { offset: 9, epoch: 1, value: "v9", timestamp: 50, headers: ["h=9"] },
      { offset: 10, epoch: 1, value: "v10", timestamp: 105, headers: ["h=10"] },
    ]);
  });

  it("round-trips any log's entries", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ gap: fc.boolean(), bump: fc.boolean(), ts: fc.integer({ min: 0, max: 2 ** 40 }) }),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        (steps) => {
          let offset = 0;
          let epoch = 0;
          const records = steps.map((s) => {
            offset += s.gap ? 2 : 1;
            epoch += s.bump ? 1 : 0;
            return placed(offset, epoch, s.ts);
          });
          const back = decodeAll(encodeRuns(records));
          expect(back.map((r) => [r.offset, r.epoch, r.timestamp, r.value])).toEqual(
            records.map((r) => [r.offset, r.leaderEpoch, r.timestamp, `v${r.offset}`]),
          );
        },
      ),
    );
  });
});

describe("sliceBatch", () => {
  const values = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`r${i}`), timestamp: 1_000 + i }));
  const opts = {
    baseOffset: 100,
    partitionLeaderEpoch: 7,
    producerId: 4242,
    producerEpoch: 3,
    baseSequence: 20,
    isTransactional: true,
  };

  for (const compression of ["none", "gzip", "snappy", "lz4"] as CompressionType[]) {
    it(`keeps the header fields and ${compression} compression of the part it keeps`, () => {
      const whole = encodeBatch(values(10), { ...opts, compression });
      const part = sliceBatch(whole, 0, 103, 107);
      expect(part).not.toBeNull();
      const h = readBatchHeader(part!);
      expect(validPrefix(part!).bytes).toBe(part!.length);
      expect(compressionOf(h.attributes)).toBe(compression);
      expect([h.baseOffset, h.recordCount, h.partitionLeaderEpoch]).toEqual([103, 4, 7]);
      // The sequence of its first record: the producer's sequences stay attached to the same records.
      expect([h.producerId, h.producerEpoch, h.baseSequence]).toEqual([4242, 3, 23]);
      expect(isTransactional(h.attributes)).toBe(true);
      expect(isControl(h.attributes)).toBe(false);
      expect([...iterateRecords(part!)].map((r) => [r.offset, r.value?.toString(), r.timestamp])).toEqual([
        [103, "r3", 1_003],
        [104, "r4", 1_004],
        [105, "r5", 1_005],
        [106, "r6", 1_006],
      ]);
    });
  }

  it("writes a zstd batch's part uncompressed (no zstd encoder here), records intact", () => {
    const whole = batchWithBody(values(4), 4, zstdRawFrame, opts);
    expect(compressionOf(readBatchHeader(whole).attributes)).toBe("zstd");
    const part = sliceBatch(whole, 0, 100, 102)!;
    expect(compressionOf(readBatchHeader(part).attributes)).toBe("none");
    expect([...iterateRecords(part)].map((r) => r.value?.toString())).toEqual(["r0", "r1"]);
  });

  it("keeps LogAppendTime batches' broker timestamp; null when nothing is in range; wraps sequences", () => {
    const lat = encodeBatch(values(3), { ...opts, timestampType: "LogAppendTime" });
    const part = sliceBatch(lat, 0, 101, 200)!;
    expect(timestampTypeOf(readBatchHeader(part).attributes)).toBe("LogAppendTime");
    expect(new Set([...iterateRecords(part)].map((r) => r.timestamp))).toEqual(
      new Set([...iterateRecords(lat)].map((r) => r.timestamp)),
    );
    expect(sliceBatch(lat, 0, 200, 300)).toBeNull();
    const high = encodeBatch(values(3), { ...opts, baseSequence: 0x7fffffff });
    expect(readBatchHeader(sliceBatch(high, 0, 101, 103)!).baseSequence).toBe(0);
  });
});
