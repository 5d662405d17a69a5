import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  allowedPartitions,
  CUSTOM_PARTITIONERS,
  choosePartition,
  keyBytes,
  murmur2,
  murmur2Partition,
  newPartitionerState,
  range,
  toPositive,
} from "../../model/partitioners.ts";

describe("murmur2", () => {
  // Known values from Apache Kafka's own test of Utils.murmur2:
  // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
  it.each([
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ])("hashes %s as Kafka's Utils.murmur2 does", (key, expected) => {
    expect(murmur2(keyBytes(key))).toBe(expected);
  });

  it("hashes the UTF-8 bytes of a key, not its UTF-16 code units", () => {
    expect(murmur2(keyBytes("é"))).toBe(murmur2(new Uint8Array([0xc3, 0xa9])));
    expect(murmur2(keyBytes("é"))).not.toBe(murmur2(new Uint8Array([0xe9])));
  });

  it("toPositive clears the sign bit (Integer.MIN_VALUE maps to 0, unlike Math.abs)", () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-790332482)).toBe(1357151166);
  });

  it("places keyed records as toPositive(murmur2) % partitions", () => {
    // 1357151166 % 50 = 16 and % 10 = 6: the placements other Kafka-compatible clients test for "foobar".
    expect(murmur2Partition("foobar", 50)).toBe(16);
    expect(murmur2Partition("foobar", 10)).toBe(6);
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 1000 }), (key, n) => {
        const p = murmur2Partition(key, n);
        return p >= 0 && p < n && p === toPositive(murmur2(keyBytes(key))) % n;
      }),
    );
  });
});

describe("producer partitioners", () => {
  const pick = () => 0;

  it("explicit names the partition", () => {
    const s = newPartitionerState();
    expect(
      choosePartition(s, "p", "t", { kind: "explicit", partition: 2 }, "k", 4, [0, 1, 2, 3], pick).partition,
    ).toBe(2);
  });

  it("round-robin rotates over available partitions per producer and topic", () => {
    const s = newPartitionerState();
    const seq = [0, 1, 2, 3].map(
      () => choosePartition(s, "p", "t", { kind: "roundRobin" }, null, 4, [0, 2, 3], pick).partition,
    );
    expect(seq).toEqual([0, 2, 3, 0]);
    // Another producer has its own counter.
    expect(choosePartition(s, "q", "t", { kind: "roundRobin" }, null, 4, [0, 2, 3], pick).partition).toBe(0);
  });

  it("sticky null-key partitioning keeps its partition until it becomes unavailable", () => {
    const s = newPartitionerState();
    const first = choosePartition(s, "p", "t", { kind: "murmur2" }, null, 4, [1, 2], () => 1);
    expect(first.partition).toBe(2);
    expect(first.candidates).toEqual([1, 2]);
    expect(choosePartition(s, "p", "t", { kind: "murmur2" }, null, 4, [1, 2], () => 0).partition).toBe(2);
    expect(choosePartition(s, "p", "t", { kind: "murmur2" }, null, 4, [1, 3], () => 0).partition).toBe(1);
  });

  it("custom partitioners take (keyBytes, allPartitions, availablePartitions), as kafka-python's", () => {
    // The tutorial's partitioner: everything to partition 0.
    expect(CUSTOM_PARTITIONERS.partitionZero.fn(keyBytes("k"), range(4), [2, 3])).toBe(0);
    // One that uses availability.
    expect(CUSTOM_PARTITIONERS.firstAvailable.fn(null, range(4), [2, 3])).toBe(2);
    expect(CUSTOM_PARTITIONERS.firstAvailable.fn(null, range(4), [])).toBe(0);
    const h = CUSTOM_PARTITIONERS.keyHashAvailable.fn(keyBytes("foobar"), range(50), [5, 7, 9]);
    expect(h).toBe([5, 7, 9][1357151166 % 3]);
    const s = newPartitionerState();
    expect(
      choosePartition(s, "p", "t", { kind: "custom", name: "lastPartition" }, "k", 6, [0], pick).partition,
    ).toBe(5);
  });

  it("a checker allows murmur2 placements under any partition count the topic has had", () => {
    const allowed = allowedPartitions({ kind: "murmur2" }, "foobar", [10, 50]);
    expect([...allowed].sort((a, b) => a - b)).toEqual([6, 16]);
    expect(allowedPartitions({ kind: "custom", name: "partitionZero" }, "x", [3])).toEqual(new Set([0]));
    expect(allowedPartitions({ kind: "custom", name: "firstAvailable" }, "x", [3])).toEqual(
      new Set([0, 1, 2]),
    );
    expect(allowedPartitions({ kind: "murmur2" }, null, [2])).toEqual(new Set([0, 1]));
  });
});
