/**
 * Round trips for every API, every version we define, in both directions, through the full frame path:
 * encodeRequest -> FrameReader (random chunking) -> decodeRequest, and the same for responses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ApiKey,
  apis,
  concatFrame,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  FrameReader,
  requestHeaderVersion,
} from "../../impl/protocol/index.ts";
import { messageArbitrary, show, versionsOf } from "./arbitraries.ts";

const RUNS = 25;

const clientIdArb = fc.option(fc.string({ unit: "binary", maxLength: 10 }), { nil: null, freq: 5 });

/** Splits a buffer at random points, as TCP may. */
function chunkArb(size: number): fc.Arbitrary<number[]> {
  return fc
    .uniqueArray(fc.integer({ min: 1, max: Math.max(1, size - 1) }), { maxLength: 4 })
    .map((cuts) => cuts.filter((c) => c < size).sort((a, b) => a - b));
}

function reassemble(frame: Buffer, cuts: number[]): Buffer {
  const reader = new FrameReader();
  const frames: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, frame.length]) {
    const pushed = reader.push(frame.subarray(at, cut));
    if (!pushed.ok) throw new Error(`frame reader failed: ${show(pushed.error)}`);
    frames.push(...pushed.frames);
    at = cut;
  }
  expect(frames).toHaveLength(1);
  expect(reader.buffered).toBe(0);
  return frames[0];
}

const keys = Object.keys(apis).map(Number) as ApiKey[];

describe.each(keys.map((k) => [apis[k].name, k] as const))("%s", (_name, key) => {
  const api = apis[key];
  it.each(versionsOf(api.request))("request v%i round-trips", (version) => {
    fc.assert(
      fc.property(
        messageArbitrary(api.request, version),
        clientIdArb,
        fc.integer({ min: -2147483648, max: 2147483647 }),
        fc.integer({ min: 0, max: 2 ** 20 }),
        (body, clientId, correlationId, cutSeed) => {
          const header = { apiKey: key, apiVersion: version, correlationId, clientId };
          const frame = concatFrame(encodeRequest(header, body as never));
          expect(frame.readInt32BE(0)).toBe(frame.length - 4);
          const cuts = fc.sample(chunkArb(frame.length), { seed: cutSeed, numRuns: 1 })[0];
          const decoded = decodeRequest(reassemble(frame, cuts));
          if (!decoded.ok) throw new Error(show(decoded.error));
          expect(decoded.value.apiKey).toBe(key);
          // Request header v0 (ControlledShutdown v0) carries no client id.
          const sent = requestHeaderVersion(key, version) === 0 ? { ...header, clientId: null } : header;
          expect(decoded.value.header).toEqual(sent);
          expect(decoded.value.body).toEqual(body);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it.each(versionsOf(api.response))("response v%i round-trips", (version) => {
    fc.assert(
      fc.property(
        messageArbitrary(api.response, version),
        fc.integer({ min: -2147483648, max: 2147483647 }),
        (body, correlationId) => {
          const frame = concatFrame(encodeResponse(key, version, correlationId, body as never));
          expect(frame.readInt32BE(0)).toBe(frame.length - 4);
          const decoded = decodeResponse(key, version, frame.subarray(4));
          if (!decoded.ok) throw new Error(show(decoded.error));
          expect(decoded.value.correlationId).toBe(correlationId);
          expect(decoded.value.apiVersion).toBe(version);
          expect(decoded.value.body).toEqual(body);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
