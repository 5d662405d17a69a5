/**
 * Decompression is capped: a small hostile body that inflates past the limit fails with
 * RECORD_LIST_TOO_LARGE before the output is allocated, for every codec; what fits still decodes.
 */
import { gzipSync } from "node:zlib";
import { compressFrameSync } from "lz4-napi";
import { compressSync as snappyRaw } from "snappy";
import { describe, expect, it } from "vitest";
import { compress, DEFAULT_MAX_DECOMPRESSED_BYTES, decompress } from "../../impl/records/compression.ts";
import { RecordFormatError } from "../../impl/records/errors.ts";
import type { CompressionType } from "../../impl/records/types.ts";

const MiB = 1024 * 1024;

/** A zstd frame of RLE blocks: four bytes of input per 128 KiB of output (we have no zstd encoder). */
function zstdRleBomb(blocks: number, blockBytes = 128 * 1024, windowDescriptor = 0x38): Buffer {
  const parts = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, windowDescriptor])];
  for (let i = 0; i < blocks; i++) {
    const last = i === blocks - 1 ? 1 : 0;
    const header = (blockBytes << 3) | (1 << 1) | last;
    parts.push(Buffer.from([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x61]));
  }
  return Buffer.concat(parts);
}

function expectTooLarge(fn: () => unknown): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(RecordFormatError);
  expect((thrown as RecordFormatError).error).toBe("RECORD_LIST_TOO_LARGE");
}

/**
 * Each codec's way to squeeze `data` small (the producer's, and for snappy also a raw block), how far
 * at least it squeezes zeros, and how far past the data's size the cap must be for it to decode: the
 * lz4 bound is counted from compressed block sizes (at most 255 bytes out per byte in), so it may
 * overshoot by up to 1/255 of a block.
 */
const BOMBS: Array<[string, CompressionType, (data: Buffer) => Buffer, number, number]> = [
  ["gzip", "gzip", (d) => gzipSync(d, { level: 1 }), 200, 0],
  ["snappy (xerial frames)", "snappy", (d) => compress("snappy", d), 20, 0],
  ["snappy (raw block)", "snappy", (d) => snappyRaw(d), 20, 0],
  ["lz4 frame", "lz4", (d) => compressFrameSync(d), 200, Math.ceil(MiB / 255)],
];

describe("decompression cap", () => {
  const oneMiB = Buffer.alloc(MiB);

  it.each(BOMBS)(
    "%s: past the cap is RECORD_LIST_TOO_LARGE; at the cap it decodes",
    (_, type, squeeze, ratio, slack) => {
      const body = squeeze(oneMiB);
      expect(body.length).toBeLessThan(MiB / ratio);
      expectTooLarge(() => decompress(type, body, 256 * 1024));
      expectTooLarge(() => decompress(type, body, MiB - 1));
      expect(decompress(type, body, MiB + slack).equals(oneMiB)).toBe(true);
    },
  );

  it("zstd: an RLE bomb is refused from its block headers; what fits decodes", () => {
    const bomb = zstdRleBomb(8);
    expect(bomb.length).toBeLessThan(64);
    expectTooLarge(() => decompress("zstd", bomb, MiB - 1));
    expect(decompress("zstd", bomb, MiB).equals(Buffer.alloc(MiB, 0x61))).toBe(true);
  });

  it("zstd: a frame declaring a window larger than the cap is refused before the decoder allocates it", () => {
    // Window descriptor 0xf8: 2^41 bytes, one tiny block.
    expectTooLarge(() => decompress("zstd", zstdRleBomb(1, 16, 0xf8)));
  });

  const zstdBomb: (typeof BOMBS)[number] = [
    "zstd",
    "zstd",
    () => zstdRleBomb(DEFAULT_MAX_DECOMPRESSED_BYTES / (128 * 1024) + 1),
    10_000,
    0,
  ];
  it.each([...BOMBS, zstdBomb])(
    "%s: a bomb past the default 64 MiB limit is refused",
    (_, type, squeeze, ratio) => {
      const huge = Buffer.alloc(DEFAULT_MAX_DECOMPRESSED_BYTES + MiB);
      const body = squeeze(huge);
      expect(body.length).toBeLessThan(huge.length / ratio);
      const started = Date.now();
      expectTooLarge(() => decompress(type, body));
      expect(Date.now() - started).toBeLessThan(2000);
    },
  );

  it("a malformed lz4 or zstd frame is still CORRUPT_MESSAGE", () => {
    for (const type of ["lz4", "zstd"] as const) {
      let thrown: unknown;
      try {
        decompress(type, Buffer.from("not a frame at all"));
      } catch (e) {
        thrown = e;
      }
      expect((thrown as RecordFormatError).error).toBe("CORRUPT_MESSAGE");
    }
  });
});
