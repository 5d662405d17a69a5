import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assignedTopicPartitions,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from "../../impl/group/consumer-protocol.ts";
import {
  decodeGroupMetadataValue,
  decodeOffsetCommitValue,
  decodeOffsetsKey,
  encodeGroupMetadataKey,
  encodeGroupMetadataValue,
  encodeOffsetCommitKey,
  encodeOffsetCommitValue,
  groupMetadataRecord,
  javaStringHashCode,
  kafkaAbs,
  offsetCommitRecord,
  partitionForGroup,
  replayOffsetsRecords,
  type StoredGroup,
} from "../../impl/group/offsets-topic.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const i64 = (n: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(n));
  return b.toString("hex");
};

describe("ConsumerProtocol", () => {
  it("lays out Subscription v0 and Assignment v0 as Kafka does", () => {
    expect(encodeSubscription({ topics: ["t"] })).toEqual(hex("0000 00000001 0001 74 ffffffff"));
    const a = encodeAssignment({ partitions: [{ topic: "t", partitions: [0, 2] }] });
    expect(a).toEqual(hex("0000 00000001 0001 74 00000002 00000000 00000002 ffffffff"));
    expect(assignedTopicPartitions(decodeAssignment(a))).toEqual([
      { topic: "t", partition: 0 },
      { topic: "t", partition: 2 },
    ]);
  });

  it("reads Subscription v1..v3 fields and an empty assignment", () => {
    const v3 = encodeSubscription(
      {
        topics: ["a", "b"],
        userData: Buffer.from([1, 2]),
        ownedPartitions: [{ topic: "a", partitions: [3] }],
        generationId: 9,
        rackId: "r1",
      },
      3,
    );
    expect(decodeSubscription(v3)).toEqual({
      version: 3,
      topics: ["a", "b"],
      userData: Buffer.from([1, 2]),
      ownedPartitions: [{ topic: "a", partitions: [3] }],
      generationId: 9,
      rackId: "r1",
    });
    const v1 = decodeSubscription(encodeSubscription({ topics: ["a"], ownedPartitions: [] }, 1));
    expect(v1).toMatchObject({ version: 1, generationId: -1, rackId: null, ownedPartitions: [] });
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, partitions: [], userData: null });
    expect(() => decodeSubscription(hex("0000 00000005 0001"))).toThrow();
  });

  it("round-trips any subscription and assignment", () => {
    const topic = fc.string({ minLength: 1, maxLength: 8 });
    const tps = fc.array(
      fc.record({ topic, partitions: fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 4 }) }),
      { maxLength: 3 },
    );
    const userData = fc.option(fc.uint8Array({ maxLength: 8 }).map((u) => Buffer.from(u)));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3 }),
        fc.array(topic, { maxLength: 4 }),
        userData,
        tps,
        fc.integer({ min: -1, max: 1 << 20 }),
        fc.option(fc.string({ maxLength: 5 })),
        (version, topics, ud, owned, gen, rack) => {
          const sub = decodeSubscription(
            encodeSubscription(
              { topics, userData: ud, ownedPartitions: owned, generationId: gen, rackId: rack },
              version,
            ),
          );
          expect(sub.topics).toEqual(topics);
          expect(sub.userData).toEqual(ud);
          expect(sub.ownedPartitions).toEqual(version >= 1 ? owned : []);
          expect(sub.generationId).toBe(version >= 2 ? gen : -1);
          expect(sub.rackId).toBe(version >= 3 ? rack : null);
          const a = decodeAssignment(encodeAssignment({ partitions: owned, userData: ud }, version));
          expect(a).toEqual({ version, partitions: owned, userData: ud });
        },
      ),
    );
  });
});

describe("__consumer_offsets records", () => {
  it("partitions groups with Java's String.hashCode and Kafka's Utils.abs", () => {
    expect(javaStringHashCode("")).toBe(0);
    expect(javaStringHashCode("hello")).toBe(99162322);
    expect(javaStringHashCode("Aa")).toBe(javaStringHashCode("BB"));
    // A well-known Java string whose hashCode is Integer.MIN_VALUE: Math.abs would stay negative.
    expect(javaStringHashCode("polygenelubricants")).toBe(-2147483648);
    expect(kafkaAbs(-2147483648)).toBe(0);
    expect(partitionForGroup("polygenelubricants", 50)).toBe(0);
    expect(partitionForGroup("hello", 50)).toBe(99162322 % 50);
    // Non-ASCII: UTF-16 code units, as Java counts them (U+1F600 is a surrogate pair).
    expect(javaStringHashCode("\u{1F600}")).toBe((0xd83d * 31 + 0xde00) | 0);
    expect(() => partitionForGroup("g", 0)).toThrow(RangeError);
  });

  it("encodes keys and OffsetCommitValue v3 byte for byte", () => {
    expect(encodeOffsetCommitKey("g", "t", 3)).toEqual(hex("0001 0001 67 0001 74 00000003"));
    expect(encodeGroupMetadataKey("g")).toEqual(hex("0002 0001 67"));
    const v = { offset: 5, leaderEpoch: 7, metadata: "m", commitTimestamp: 1000, expireTimestamp: -1 };
    expect(encodeOffsetCommitValue(v)).toEqual(hex(`0003 ${i64(5)} 00000007 0001 6d ${i64(1000)}`));
    expect(decodeOffsetsKey(hex("0000 0001 67 0001 74 00000003"))).toEqual({
      kind: "offset",
      group: "g",
      topic: "t",
      partition: 3,
    });
    expect(decodeOffsetsKey(hex("0005 0001 67"))).toBeNull();
  });

  it("reads every OffsetCommitValue version, the flexible v4 included", () => {
    expect(decodeOffsetCommitValue(hex(`0000 ${i64(5)} 0001 6d ${i64(9)}`))).toEqual({
      offset: 5,
      leaderEpoch: -1,
      metadata: "m",
      commitTimestamp: 9,
      expireTimestamp: -1,
    });
    expect(decodeOffsetCommitValue(hex(`0001 ${i64(5)} 0000 ${i64(9)} ${i64(99)}`)).expireTimestamp).toBe(99);
    expect(decodeOffsetCommitValue(hex(`0002 ${i64(6)} 0000 ${i64(9)}`)).offset).toBe(6);
    // v4: compact string (length+1 as a varint) and an empty tagged-field section.
    expect(decodeOffsetCommitValue(hex(`0004 ${i64(5)} 00000007 02 6d ${i64(1000)} 00`))).toEqual({
      offset: 5,
      leaderEpoch: 7,
      metadata: "m",
      commitTimestamp: 1000,
      expireTimestamp: -1,
    });
    for (const version of [0, 1, 2, 3]) {
      const v = {
        offset: 77,
        leaderEpoch: version >= 3 ? 4 : -1,
        metadata: "x",
        commitTimestamp: 5,
        expireTimestamp: version === 1 ? 6 : -1,
      };
      expect(decodeOffsetCommitValue(encodeOffsetCommitValue(v, version))).toEqual(v);
    }
  });

  it("reads GroupMetadataValue v0..v4", () => {
    const g: StoredGroup = {
      protocolType: "consumer",
      generation: 3,
      protocol: "range",
      leader: "m1",
      currentStateTimestamp: 1234,
      members: [
        {
          memberId: "m1",
          groupInstanceId: "i1",
          clientId: "c",
          clientHost: "h",
          rebalanceTimeoutMs: 30000,
          sessionTimeoutMs: 10000,
          subscription: Buffer.from([1]),
          assignment: Buffer.from([2, 3]),
        },
      ],
    };
    for (const version of [0, 1, 2, 3]) {
      const back = decodeGroupMetadataValue(encodeGroupMetadataValue(g, version));
      expect(back.generation).toBe(3);
      expect(back.currentStateTimestamp).toBe(version >= 2 ? 1234 : -1);
      expect(back.members[0].groupInstanceId).toBe(version >= 3 ? "i1" : null);
      // v0 has no rebalance timeout: the session timeout stands in for it.
      expect(back.members[0].rebalanceTimeoutMs).toBe(version >= 1 ? 30000 : 10000);
      expect(back.members[0].assignment).toEqual(Buffer.from([2, 3]));
    }
    const v4 = hex(
      `0004 09 ${Buffer.from("consumer").toString("hex")} 00000003 06 ${Buffer.from("range").toString("hex")} 00 ${i64(1234)}` +
        " 02 03 6d31 00 02 63 02 68 00007530 00002710 01 02 aa 00 00",
    );
    expect(decodeGroupMetadataValue(v4)).toEqual({
      protocolType: "consumer",
      generation: 3,
      protocol: "range",
      leader: null,
      currentStateTimestamp: 1234,
      members: [
        {
          memberId: "m1",
          groupInstanceId: null,
          clientId: "c",
          clientHost: "h",
          rebalanceTimeoutMs: 30000,
          sessionTimeoutMs: 10000,
          subscription: Buffer.alloc(0),
          assignment: Buffer.from([0xaa]),
        },
      ],
    });
  });

  it("replays a partition: the last value per key wins and a tombstone deletes", () => {
    const v = (offset: number) => ({
      offset,
      leaderEpoch: -1,
      metadata: "",
      commitTimestamp: 0,
      expireTimestamp: -1,
    });
    const g = (generation: number): StoredGroup => ({
      protocolType: "consumer",
      generation,
      protocol: "range",
      leader: null,
      currentStateTimestamp: 0,
      members: [],
    });
    const replayed = replayOffsetsRecords([
      offsetCommitRecord("a", "t", 0, v(1)),
      offsetCommitRecord("a", "t", 1, v(10)),
      groupMetadataRecord("a", g(1)),
      offsetCommitRecord("a", "t", 0, v(2)),
      { key: encodeOffsetCommitKey("a", "t", 1), value: null },
      groupMetadataRecord("b", g(4)),
      { key: encodeGroupMetadataKey("b"), value: null },
      groupMetadataRecord("a", g(2)),
      { key: hex("0005 0001 67"), value: hex("00") }, // a record type we do not own
    ]);
    expect(
      [...(replayed.offsets.get("a")?.values() ?? [])].map((o) => [o.partition, o.value.offset]),
    ).toEqual([[0, 2]]);
    expect(replayed.groups.get("a")?.generation).toBe(2);
    expect(replayed.groups.has("b")).toBe(false);
  });
});
