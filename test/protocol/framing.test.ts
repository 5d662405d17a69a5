/** FrameReader: splits a byte stream into frames whatever the chunking, and refuses oversized frames. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_FRAME_BYTES, FrameReader, frame } from "../../impl/protocol/index.ts";

function feed(reader: FrameReader, stream: Buffer, cuts: number[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    const r = reader.push(stream.subarray(at, cut));
    if (!r.ok) throw new Error(`unexpected frame error ${r.error.kind}`);
    out.push(...r.frames);
    at = cut;
  }
  return out;
}

describe("FrameReader", () => {
  it("yields the same frames for any chunking of the stream", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 70 }), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (payloads, rawCuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
          const cuts = [...new Set(rawCuts.map((c) => (stream.length ? c % stream.length : 0)))].sort(
            (a, b) => a - b,
          );
          const reader = new FrameReader();
          const frames = feed(reader, stream, cuts);
          expect(frames.map((f) => Buffer.from(f))).toEqual(payloads.map((p) => Buffer.from(p)));
          expect(reader.buffered).toBe(0);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("returns frames inside one chunk as views, without copying", () => {
    const stream = Buffer.concat([frame(Buffer.from("hello")), frame(Buffer.from("world!"))]);
    const r = new FrameReader().push(stream);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.frames.map(String)).toEqual(["hello", "world!"]);
    for (const f of r.frames) expect(f.buffer).toBe(stream.buffer);
  });

  it("keeps a partial frame until the rest arrives", () => {
    const reader = new FrameReader();
    const f = frame(Buffer.from("abcdef"));
    expect(reader.push(f.subarray(0, 2))).toEqual({ ok: true, frames: [] });
    expect(reader.push(f.subarray(2, 7))).toEqual({ ok: true, frames: [] });
    expect(reader.buffered).toBe(3);
    const r = reader.push(f.subarray(7));
    expect(r.ok && r.frames.map(String)).toEqual(["abcdef"]);
  });

  it("refuses a frame larger than socket.request.max.bytes, before buffering it", () => {
    const reader = new FrameReader({ maxFrameBytes: 1000 });
    const head = Buffer.alloc(4);
    head.writeInt32BE(1001, 0);
    expect(reader.push(head)).toEqual({
      ok: false,
      error: { kind: "frame-too-large", size: 1001, max: 1000 },
    });
    // The stream is dead after that: the connection is closed, as Kafka does.
    expect(reader.push(frame(Buffer.from("x"))).ok).toBe(false);
    expect(new FrameReader().push(Buffer.from("06400001", "hex"))).toMatchObject({
      ok: false,
      error: { kind: "frame-too-large", max: DEFAULT_MAX_FRAME_BYTES },
    });
  });

  it("accepts a frame of exactly the limit and an empty frame", () => {
    const reader = new FrameReader({ maxFrameBytes: 8 });
    const r = reader.push(Buffer.concat([frame(Buffer.alloc(8, 1)), frame(Buffer.alloc(0))]));
    expect(r.ok && r.frames.map((f) => f.length)).toEqual([8, 0]);
  });

  it("refuses a negative size", () => {
    expect(new FrameReader().push(Buffer.from("ffffffff", "hex"))).toEqual({
      ok: false,
      error: { kind: "negative-frame-size", size: -1 },
    });
  });
});
