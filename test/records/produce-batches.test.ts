/**
 * What the broker accepts from a producer before storing its batches as sent (impl/broker/record-codec's
 * decodeProduceBatches): inner offsets must run 0, 1, 2, ... to lastOffsetDelta, or readers and followers
 * would compute other offsets than the leader assigned.
 */
import { crc32c } from "@node-rs/crc32";
import { describe, expect, it } from "vitest";
import { decodeProduceBatches } from "../../impl/broker/record-codec.ts";
import { encodeBatch } from "../../impl/records/batch.ts";
import { readVarint } from "../../impl/records/varint.ts";

const batch = () =>
  encodeBatch([
    { value: Buffer.from("a"), timestamp: 7 },
    { value: Buffer.from("b"), timestamp: 7 },
  ]);

/** Recomputes the CRC after a change inside the CRC-covered part. */
const resign = (b: Buffer) => {
  b.writeUInt32BE(crc32c(b.subarray(21)), 17);
  return b;
};

describe("decodeProduceBatches", () => {
  it("accepts well-numbered batches and hands back the bytes to store", () => {
    const b = batch();
    const d = decodeProduceBatches(b);
    expect(d.ok && d.bytes.equals(b)).toBe(true);
  });

  it("refuses a batch whose inner offset deltas skip (INVALID_RECORD)", () => {
    const b = Buffer.from(batch());
    // The second record: length varint, attributes, timestamp delta 0, then its offset delta (1 -> 2).
    const first = { buf: b, pos: 61 };
    const len = readVarint(first);
    const second = first.pos + len;
    expect(b[second + 3]).toBe(0x02); // zigzag 1
    b[second + 3] = 0x04; // zigzag 2
    const d = decodeProduceBatches(resign(b));
    expect(d.ok ? null : d.error).toBe("INVALID_RECORD");
  });

  it("refuses a lastOffsetDelta that does not match the record count", () => {
    const b = Buffer.from(batch());
    b.writeInt32BE(5, 23);
    const d = decodeProduceBatches(resign(b));
    expect(d.ok ? null : d.error).toBe("INVALID_RECORD");
  });
});
