/**
 * Malformed input must decode to a typed error naming the api, version and field, and never throw:
 * truncated bodies at every length, bad lengths, trailing bytes, unknown keys and versions, random bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApiKey,
  apis,
  concatFrame,
  type DecodeError,
  decodeRequest,
  decodeResponse,
  describeDecodeError,
  encodeRequest,
  encodeResponse,
} from "../../impl/protocol/index.ts";
import { messageArbitrary, show, versionsOf } from "./arbitraries.ts";

const keys = Object.keys(apis).map(Number) as ApiKey[];

function expectError(result: { ok: boolean; error?: DecodeError }, kind: DecodeError["kind"]): DecodeError {
  if (result.ok) throw new Error(`expected a ${kind} error, decoded fine`);
  const e = result.error as DecodeError;
  expect(e.kind, show(e)).toBe(kind);
  expect(describeDecodeError(e)).toBeTypeOf("string");
  return e;
}

describe("truncation", () => {
  it.each(keys.map((k) => [apis[k].name, k] as const))(
    "%s: every strict prefix of a request or response body is malformed",
    (_name, key) => {
      const api = apis[key];
      const versions = versionsOf(api.request);
      fc.assert(
        fc.property(
          fc
            .constantFrom(...versions)
            .chain((v) =>
              fc.tuple(fc.constant(v), messageArbitrary(api.request, v), messageArbitrary(api.response, v)),
            ),
          ([version, reqBody, resBody]) => {
            const req = concatFrame(
              encodeRequest(
                { apiKey: key, apiVersion: version, correlationId: 5, clientId: "x" },
                reqBody as never,
              ),
            ).subarray(4);
            for (let n = 0; n < req.length; n++) {
              const e = expectError(decodeRequest(req.subarray(0, n)), "malformed");
              if (n >= 8) {
                expect(e.apiKey).toBe(key);
                expect(e.correlationId).toBe(5);
              }
            }
            const res = concatFrame(encodeResponse(key, version, 6, resBody as never)).subarray(4);
            for (let n = 0; n < res.length; n++)
              expectError(decodeResponse(key, version, res.subarray(0, n)), "malformed");
          },
        ),
        { numRuns: 4 },
      );
    },
  );

  it("names the field where the bytes ran out", () => {
    const records = Buffer.alloc(40, 1);
    const frame = concatFrame(
      encodeRequest(
        { apiKey: 0, apiVersion: 7, correlationId: 1, clientId: null },
        { acks: 1, timeoutMs: 10, topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] },
      ),
    );
    const e = expectError(decodeRequest(frame.subarray(4, frame.length - 10)), "malformed");
    expect(e).toMatchObject({
      apiKey: 0,
      apiVersion: 7,
      message: "ProduceRequest",
      path: "topicData[0].partitionData[0].records",
    });
    expect(describeDecodeError(e)).toMatch(
      /ProduceRequest v7 at topicData\[0\]\.partitionData\[0\]\.records/,
    );
  });
});

describe("bad lengths and values", () => {
  const produceV3Header = "0000 0003 00000001 ffff";

  it("a string length below -1", () => {
    const e = expectError(
      decodeRequest(Buffer.from(`${produceV3Header}fffe`.replaceAll(" ", ""), "hex")),
      "malformed",
    );
    expect(e).toMatchObject({ path: "transactionalId", reason: "negative length -2" });
  });

  it("null where the field is not nullable", () => {
    // Produce v3: transactionalId null, acks, timeout, then a null topic array.
    const hex = `${produceV3Header}ffff ffff 00007530 ffffffff`.replaceAll(" ", "");
    const e = expectError(decodeRequest(Buffer.from(hex, "hex")), "malformed");
    expect(e).toMatchObject({ path: "topicData", reason: "null in a non-nullable field" });
  });

  it("an array length the remaining bytes cannot hold is refused before allocating", () => {
    const hex = `${produceV3Header}ffff ffff 00007530 7fffffff 00`.replaceAll(" ", "");
    const e = expectError(decodeRequest(Buffer.from(hex, "hex")), "malformed");
    expect(e).toMatchObject({ path: "topicData" });
    expect(e.kind === "malformed" && e.reason).toMatch(/cannot fit/);
  });

  it("a compact length longer than the frame", () => {
    // ApiVersions v3: header v2 then a compact string claiming 100 bytes.
    const hex = "0012 0003 00000001 0000 00 65 41".replaceAll(" ", "");
    const e = expectError(decodeRequest(Buffer.from(hex, "hex")), "malformed");
    expect(e).toMatchObject({ message: "ApiVersionsRequest", path: "clientSoftwareName" });
  });

  it("an unsigned varint longer than 5 bytes", () => {
    const hex = "0012 0003 00000001 0000 00 ffffffffff7f".replaceAll(" ", "");
    expectError(decodeRequest(Buffer.from(hex, "hex")), "malformed");
  });

  it("trailing bytes after the message", () => {
    const frame = concatFrame(
      encodeRequest(
        { apiKey: 12, apiVersion: 0, correlationId: 1, clientId: "" },
        { groupId: "g", generationId: 1, memberId: "m" },
      ),
    );
    const e = expectError(decodeRequest(Buffer.concat([frame.subarray(4), Buffer.from([0])])), "malformed");
    expect(e.kind === "malformed" && e.reason).toMatch(/1 unexpected bytes/);
  });

  it("a tagged field whose size overruns its content", () => {
    // Heartbeat v4 response: correlation, header tags, throttle, error, then one tagged field of 5 bytes
    // with only 1 byte behind it.
    const hex = "00000001 00 00000000 0000 01 07 05 00".replaceAll(" ", "");
    expectError(decodeResponse(12, 4, Buffer.from(hex, "hex")), "malformed");
  });

  it("tagged fields in descending order are read, as Kafka's readers allow", () => {
    // ApiVersions v3 response: finalizedFeaturesEpoch (tag 1) = 9 written before zkMigrationReady (tag 3)
    // would be the usual order; here tag 3 comes first.
    const hex = "00000001 0000 01 00000000 02 03 01 01 01 08 0000000000000009".replaceAll(" ", "");
    const d = decodeResponse(18, 3, Buffer.from(hex, "hex"));
    expect(d.ok && d.value.body).toMatchObject({ zkMigrationReady: true, finalizedFeaturesEpoch: 9n });
  });

  it("unknown tagged fields are skipped, as newer peers may send them", () => {
    const hex = "00000001 00 00000000 0000 01 07 02 abcd".replaceAll(" ", "");
    const d = decodeResponse(12, 4, Buffer.from(hex, "hex"));
    expect(d).toEqual({
      ok: true,
      value: { correlationId: 1, apiVersion: 4, body: { throttleTimeMs: 0, errorCode: 0 } },
    });
  });
});

describe("unsupported keys and versions", () => {
  it("an api key we do not define", () => {
    const e = expectError(
      decodeRequest(Buffer.from("03e7 0000 0000002a ffff".replaceAll(" ", ""), "hex")),
      "unsupported-api",
    );
    expect(e).toEqual({ kind: "unsupported-api", apiKey: 999, apiVersion: 0, correlationId: 42 });
  });

  it("a Produce version above our range", () => {
    const e = expectError(
      decodeRequest(Buffer.from("0000 000a 0000002a ffff".replaceAll(" ", ""), "hex")),
      "unsupported-version",
    );
    expect(e).toEqual({
      kind: "unsupported-version",
      apiKey: 0,
      apiVersion: 10,
      correlationId: 42,
      supported: { min: 0, max: 9 },
    });
  });

  it("ApiVersions v4 (newer clients' first request) is reported with key 18's range", () => {
    // Whatever the body, the version alone decides: the broker answers with the v0 fallback.
    const e = expectError(
      decodeRequest(Buffer.from("0012 0004 00000007 0000 00 00 00 00".replaceAll(" ", ""), "hex")),
      "unsupported-version",
    );
    expect(e).toMatchObject({ apiKey: 18, apiVersion: 4, correlationId: 7, supported: { min: 0, max: 3 } });
  });

  it("a negative version", () => {
    expectError(
      decodeRequest(Buffer.from("0003 ffff 00000001 ffff".replaceAll(" ", ""), "hex")),
      "unsupported-version",
    );
  });
});

describe("random bytes", () => {
  it("valid frames with random bytes overwritten decode to a result, never an exception", () => {
    const pairs = keys.flatMap((k) => versionsOf(apis[k].request).map((v) => [k, v] as const));
    fc.assert(
      fc.property(
        fc
          .constantFrom(...pairs)
          .chain(([key, version]) =>
            fc.tuple(
              fc.constant(key),
              fc.constant(version),
              messageArbitrary(apis[key].request, version),
              messageArbitrary(apis[key].response, version),
              fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
            ),
          ),
        ([key, version, reqBody, resBody, flips]) => {
          const header = { apiKey: key, apiVersion: version, correlationId: 1, clientId: "c" };
          const req = Buffer.from(concatFrame(encodeRequest(header, reqBody as never)).subarray(4));
          const res = Buffer.from(concatFrame(encodeResponse(key, version, 1, resBody as never)).subarray(4));
          for (const [at, byte] of flips) {
            req[at % req.length] = byte;
            res[at % res.length] = byte;
          }
          expect(typeof decodeRequest(req).ok).toBe("boolean");
          expect(typeof decodeResponse(key, version, res).ok).toBe("boolean");
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("decodeRequest returns a result for any bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const r = decodeRequest(Buffer.from(bytes));
        expect(typeof r.ok).toBe("boolean");
      }),
      { numRuns: 2000 },
    );
  });

  it("random bodies behind a valid header of every api and version return a result", () => {
    const pairs = keys.flatMap((k) => versionsOf(apis[k].request).map((v) => [k, v] as const));
    fc.assert(
      fc.property(fc.constantFrom(...pairs), fc.uint8Array({ maxLength: 120 }), ([key, version], bytes) => {
        const head = Buffer.alloc(10);
        head.writeInt16BE(key, 0);
        head.writeInt16BE(version, 2);
        head.writeInt32BE(1, 4);
        head.writeInt16BE(0, 8);
        const r = decodeRequest(Buffer.concat([head, Buffer.from(bytes)]));
        if (!r.ok) expect(r.error.kind).toBe("malformed");
        const s = decodeResponse(key, version, Buffer.from(bytes));
        if (!s.ok) expect(s.error.kind).toBe("malformed");
      }),
      { numRuns: 3000 },
    );
  });
});
