/** The consumer protocol bytes inside JoinGroup and SyncGroup: round trips, golden bytes, compatibility. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ConsumerProtocolAssignment,
  ConsumerProtocolSubscription,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from "../../impl/protocol/index.ts";
import { messageArbitrary, versionsOf } from "./arbitraries.ts";

describe("consumer protocol", () => {
  it.each(versionsOf(ConsumerProtocolSubscription))("subscription v%i round-trips", (version) => {
    fc.assert(
      fc.property(messageArbitrary(ConsumerProtocolSubscription, version), (sub) => {
        const bytes = encodeSubscription(version, sub as never);
        expect(bytes.readInt16BE(0)).toBe(version);
        expect(decodeSubscription(bytes)).toEqual({ ok: true, value: { version, value: sub } });
      }),
      { numRuns: 50 },
    );
  });

  it.each(versionsOf(ConsumerProtocolAssignment))("assignment v%i round-trips", (version) => {
    fc.assert(
      fc.property(messageArbitrary(ConsumerProtocolAssignment, version), (a) => {
        expect(decodeAssignment(encodeAssignment(version, a as never))).toEqual({
          ok: true,
          value: { version, value: a },
        });
      }),
      { numRuns: 50 },
    );
  });

  it("a v0 subscription, byte for byte", () => {
    // version 0, one topic "t", user data null
    const bytes = Buffer.from("0000 00000001 0001 74 ffffffff".replaceAll(" ", ""), "hex");
    expect(encodeSubscription(0, { topics: ["t"] })).toEqual(bytes);
    expect(decodeSubscription(bytes)).toEqual({
      ok: true,
      value: {
        version: 0,
        value: { topics: ["t"], userData: null, ownedPartitions: [], generationId: -1, rackId: null },
      },
    });
  });

  it("a v1 assignment, byte for byte", () => {
    // version 1, topic "t" partitions [0, 2], user data empty (not null)
    const bytes = Buffer.from(
      "0001 00000001 0001 74 00000002 00000000 00000002 00000000".replaceAll(" ", ""),
      "hex",
    );
    const value = { assignedPartitions: [{ topic: "t", partitions: [0, 2] }], userData: Buffer.alloc(0) };
    expect(encodeAssignment(1, value)).toEqual(bytes);
    expect(decodeAssignment(bytes)).toEqual({ ok: true, value: { version: 1, value } });
  });

  it("a newer version is read with our newest layout, its extra fields ignored", () => {
    const v3 = encodeSubscription(3, { topics: ["a"], rackId: "r1", generationId: 4 });
    const v9 = Buffer.concat([v3, Buffer.from("cafe", "hex")]);
    v9.writeInt16BE(9, 0);
    const d = decodeSubscription(v9);
    expect(d.ok && d.value).toMatchObject({
      version: 9,
      value: { topics: ["a"], rackId: "r1", generationId: 4 },
    });
    // At a version we know, extra bytes are an error.
    expect(decodeSubscription(Buffer.concat([v3, Buffer.from("00", "hex")])).ok).toBe(false);
  });

  it("empty assignment bytes are an empty assignment; truncated ones are a typed error", () => {
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({
      ok: true,
      value: { version: 0, value: { assignedPartitions: [], userData: null } },
    });
    const bytes = encodeAssignment(0, { assignedPartitions: [{ topic: "t", partitions: [1] }] });
    const d = decodeAssignment(bytes.subarray(0, bytes.length - 3));
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error).toMatchObject({ kind: "malformed", message: "ConsumerProtocolAssignment" });
  });
});
