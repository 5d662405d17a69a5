/**
 * The broker's pure parts: batches to the node's records and back, the idempotent producer table, and
 * the error response every API key can be answered with at every version.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BrokerState } from "../../impl/broker/handlers/state.ts";
import {
  decodeEntries,
  decodeProduceBatches,
  encodeEntries,
  type TimedEntry,
} from "../../impl/broker/record-codec.ts";
import { errorResponse } from "../../impl/broker/server.ts";
import { type ApiKey, apis, decodeResponse, definedRange } from "../../impl/protocol/index.ts";
import { inVersions } from "../../impl/protocol/types.ts";
import { encodeBatch } from "../../impl/records/batch.ts";

const entry = fc.record({
  key: fc.option(
    fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  value: fc.option(
    fc.uint8Array({ maxLength: 16 }).map((a) => Buffer.from(a)),
    { nil: null },
  ),
  headers: fc.option(
    fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.string({ maxLength: 4 }), { maxKeys: 2 }),
    {
      nil: undefined,
    },
  ),
  timestamp: fc.integer({ min: 0, max: 2 ** 41 }),
  epoch: fc.integer({ min: 0, max: 3 }),
});

describe("record codec", () => {
  it("log entries survive encodeEntries then decodeEntries (offsets, epochs, keys, values, headers, timestamps)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1000 }),
        fc.array(entry, { minLength: 1, maxLength: 20 }),
        (start, list) => {
          // Epochs never decrease along a log.
          let epoch = 0;
          const entries: TimedEntry[] = list.map((e, i) => {
            epoch = Math.max(epoch, e.epoch);
            const headers =
              e.headers === undefined || Object.keys(e.headers).length === 0 ? undefined : e.headers;
            return { offset: start + i, epoch, key: e.key, value: e.value, headers, timestamp: e.timestamp };
          });
          const back = decodeEntries(Buffer.concat(encodeEntries(entries)));
          expect(back).toEqual(entries);
        },
      ),
    );
  });

  it("decodes a producer's batches and reports a CRC mismatch as CORRUPT_MESSAGE", () => {
    const b = encodeBatch([{ value: Buffer.from("v"), timestamp: 5 }], {
      producerId: 7,
      producerEpoch: 1,
      baseSequence: 3,
    });
    const ok = decodeProduceBatches(b);
    expect(ok.ok && ok.batches[0].header.producerId).toBe(7);
    expect(ok.ok && ok.batches[0].records[0].timestamp).toBe(5);
    const bad = Buffer.from(b);
    bad[bad.length - 1] ^= 1;
    expect(decodeProduceBatches(bad)).toMatchObject({ ok: false, error: "CORRUPT_MESSAGE" });
  });
});

describe("idempotent producer table", () => {
  it("finds a retried batch, fences an old epoch and rejects a sequence gap", async () => {
    const s = new BrokerState();
    const first = Promise.resolve({ baseOffset: 10, error: null });
    expect(s.check("t", 0, 1, 0, 0, 2)).toEqual({ kind: "new" });
    s.record("t", 0, 1, 0, 0, 2, first);
    const dup = s.check("t", 0, 1, 0, 0, 2);
    expect(dup.kind).toBe("duplicate");
    if (dup.kind === "duplicate") expect(await dup.result).toEqual({ baseOffset: 10, error: null });
    expect(s.check("t", 0, 1, 0, 2, 1)).toEqual({ kind: "new" });
    expect(s.check("t", 0, 1, 0, 5, 1)).toEqual({ kind: "out-of-order" });
    s.record("t", 0, 1, 1, 0, 1, first);
    expect(s.check("t", 0, 1, 0, 2, 1)).toEqual({ kind: "fenced" });
    // Another partition, another producer: independent.
    expect(s.check("t", 1, 1, 0, 9, 1)).toEqual({ kind: "new" });
  });
});

describe("error responses", () => {
  it("every api key at every version encodes and decodes with the error code set where the version has one", () => {
    for (const key of Object.keys(apis).map(Number) as ApiKey[]) {
      const { min, max } = definedRange(key);
      for (let v = min; v <= max; v++) {
        const frame = Buffer.concat(errorResponse(key, v, 99, -1)).subarray(4);
        const r = decodeResponse(key, v, frame);
        expect(r.ok, `${apis[key].name} v${v}`).toBe(true);
        if (!r.ok) continue;
        expect(r.value.correlationId).toBe(99);
        const body = r.value.body as Record<string, unknown>;
        const field = apis[key].response.fields.find((f) => f.name === "errorCode");
        if (field !== undefined && inVersions(field.versions, v))
          expect(body.errorCode, `${apis[key].name} v${v}`).toBe(-1);
      }
    }
  });
});
