import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { checkBatch, decodeRecords, encodeBatch, readBatchHeader } from "../../impl/records/batch.ts";
import { encodeLegacyMessageSet, legacyToBatchV2, readLegacyMessageSet } from "../../impl/records/legacy.ts";

/**
 * Cross-checks against kafkajs's own, independent encoders and decoders (its internal protocol
 * modules), so a mistake shared by our encoder and our decoder cannot hide.
 */
const require = createRequire(import.meta.url);
const Long = require("kafkajs/src/utils/long");
const KjsEncoder = require("kafkajs/src/protocol/encoder");
const KjsDecoder = require("kafkajs/src/protocol/decoder");
const KjsRecordBatch = require("kafkajs/src/protocol/recordBatch/v0").RecordBatch;
const KjsRecord = require("kafkajs/src/protocol/recordBatch/record/v0");
const kjsDecodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder");
const KjsMessageSet = require("kafkajs/src/protocol/messageSet");
const KjsMessage = require("kafkajs/src/protocol/message");

const values = Array.from({ length: 7 }, (_, i) => ({
  key: i % 3 === 0 ? null : Buffer.from(`key-${i}`),
  value: Buffer.from(`value-${i}-`.repeat(i + 1)),
  timestamp: 1_700_000_000_000 + i * 13,
  headers: i % 2 ? { h: Buffer.from(`hv${i}`) } : {},
}));

async function kafkajsBatch(compression: number): Promise<Buffer> {
  const records = values.map((v, i) =>
    KjsRecord({
      offsetDelta: i,
      timestampDelta: v.timestamp - values[0].timestamp,
      key: v.key,
      value: v.value,
      headers: v.headers,
    }),
  );
  const enc = await KjsRecordBatch({
    compression,
    firstOffset: Long.fromValue(100),
    firstTimestamp: values[0].timestamp,
    maxTimestamp: values[values.length - 1].timestamp,
    partitionLeaderEpoch: 4,
    lastOffsetDelta: values.length - 1,
    records,
  });
  return enc.buffer as Buffer;
}

describe("interop with kafkajs's RecordBatch codec", () => {
  for (const [name, code] of [
    ["none", 0],
    ["gzip", 1],
  ] as const) {
    it(`decodes a batch kafkajs encoded (${name})`, async () => {
      const b = await kafkajsBatch(code);
      expect(checkBatch(b)).toEqual({ ok: true, size: b.length });
      expect(readBatchHeader(b)).toMatchObject({ baseOffset: 100, partitionLeaderEpoch: 4, recordCount: 7 });
      const got = decodeRecords(b);
      expect(got.map((r) => r.offset)).toEqual([100, 101, 102, 103, 104, 105, 106]);
      expect(got.map((r) => r.timestamp)).toEqual(values.map((v) => v.timestamp));
      expect(got.map((r) => r.key?.toString() ?? null)).toEqual(values.map((v) => v.key?.toString() ?? null));
      expect(got.map((r) => r.value?.toString())).toEqual(values.map((v) => v.value.toString()));
      expect(got.map((r) => r.headers.map((h) => `${h.key}=${h.value}`))).toEqual(
        values.map((v) => Object.entries(v.headers).map(([k, x]) => `${k}=${x}`)),
      );
    });

    it(`produces a batch kafkajs decodes (${name})`, async () => {
      const b = encodeBatch(
        values.map((v) => ({
          key: v.key,
          value: v.value,
          timestamp: v.timestamp,
          headers: Object.entries(v.headers).map(([key, value]) => ({ key, value })),
        })),
        { baseOffset: 55, compression: name, partitionLeaderEpoch: 9 },
      );
      const decoded = await kjsDecodeBatch(new KjsDecoder(b));
      expect(decoded.partitionLeaderEpoch).toBe(9);
      expect(decoded.records.map((r: { offset: string }) => r.offset)).toEqual([
        "55",
        "56",
        "57",
        "58",
        "59",
        "60",
        "61",
      ]);
      expect(decoded.records.map((r: { value: Buffer }) => r.value.toString())).toEqual(
        values.map((v) => v.value.toString()),
      );
      expect(decoded.records.map((r: { timestamp: string }) => Number(r.timestamp))).toEqual(
        values.map((v) => v.timestamp),
      );
    });
  }
});

describe("legacy message sets (magic 0 and 1)", () => {
  const entries = values.map((v) => ({ key: v.key, value: v.value, timestamp: v.timestamp }));

  it("reads kafkajs's magic 0 and magic 1 message sets and converts them to v2", () => {
    for (const version of [0, 1] as const) {
      const set = KjsMessageSet({ messageVersion: version, compression: 0, entries }).buffer as Buffer;
      const msgs = readLegacyMessageSet(set);
      expect(msgs.map((m) => m.value?.toString())).toEqual(values.map((v) => v.value.toString()));
      expect(msgs.map((m) => m.timestamp)).toEqual(
        version === 1 ? values.map((v) => v.timestamp) : values.map(() => -1),
      );
      const v2 = legacyToBatchV2(set);
      expect(checkBatch(v2).ok).toBe(true);
      expect(
        decodeRecords(v2).map((r) => [r.offset, r.key?.toString() ?? null, r.value?.toString()]),
      ).toEqual(values.map((v, i) => [i, v.key?.toString() ?? null, v.value.toString()]));
    }
  });

  it("unwraps a gzip-compressed magic 1 wrapper with relative inner offsets", () => {
    const inner = KjsMessageSet({ messageVersion: 1, compression: 1, entries }).buffer as Buffer;
    const wrapperMsg = KjsMessage({ version: 1 })({
      compression: 1,
      timestamp: values[values.length - 1].timestamp,
      key: null,
      value: gzipSync(inner),
    });
    const outer = new KjsEncoder()
      .writeInt64(1000 + values.length - 1)
      .writeInt32(wrapperMsg.size())
      .writeEncoder(wrapperMsg).buffer as Buffer;
    const msgs = readLegacyMessageSet(outer);
    expect(msgs.map((m) => m.offset)).toEqual(values.map((_, i) => 1000 + i));
    const v2 = legacyToBatchV2(outer);
    expect(readBatchHeader(v2).attributes & 7).toBe(1); // gzip kept
    expect(decodeRecords(v2).map((r) => r.value?.toString())).toEqual(values.map((v) => v.value.toString()));
  });

  it("our legacy encoder matches kafkajs's byte for byte, and a flipped byte is CORRUPT_MESSAGE", () => {
    const ours = encodeLegacyMessageSet(entries, 1);
    const theirs = KjsMessageSet({ messageVersion: 1, compression: 0, entries }).buffer as Buffer;
    // kafkajs writes offset -1 for uncompressed sets; offsets are the broker's to assign
    for (let pos = 0; pos < theirs.length; ) {
      theirs.writeBigInt64BE(BigInt(ours.readBigInt64BE(pos)), pos);
      pos += 12 + theirs.readInt32BE(pos + 8);
    }
    expect(ours.equals(theirs)).toBe(true);
    ours[30] ^= 1;
    expect(() => readLegacyMessageSet(ours)).toThrow(/CORRUPT_MESSAGE/);
  });

  it("ignores a cut trailing message, as a fetch response may end", () => {
    const set = encodeLegacyMessageSet(entries, 0);
    expect(readLegacyMessageSet(set.subarray(0, set.length - 3)).length).toBe(entries.length - 1);
  });
});
