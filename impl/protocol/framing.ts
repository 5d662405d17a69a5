/**
 * Kafka framing: every request and response is an int32 size followed by that many bytes.
 * `FrameReader` splits a TCP byte stream (chunks of any size) into frames, sans-IO: push bytes, get frames.
 */

/** Kafka's default socket.request.max.bytes (100 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 104_857_600;

const EMPTY = Buffer.alloc(0);

export type FrameError =
  | { kind: "frame-too-large"; size: number; max: number }
  | { kind: "negative-frame-size"; size: number };

export type FramePush = { ok: true; frames: Buffer[] } | { ok: false; error: FrameError };

/** Prefixes a payload with its int32 size (copies; the codec's encoders already frame their output). */
export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeInt32BE(payload.length, 0);
  payload.copy(out, 4);
  return out;
}

export class FrameReader {
  private readonly maxFrameBytes: number;
  /** Received bytes not yet returned as frames; concatenated lazily. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Size of the frame being assembled, once its prefix has been read. */
  private need = -1;
  private failed: FrameError | null = null;

  constructor(options: { maxFrameBytes?: number } = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  }

  /** Bytes buffered toward the next frame. */
  get buffered(): number {
    return this.pendingBytes;
  }

  /**
   * Feeds bytes; returns the frames completed (payloads without the size prefix). Frames that lie inside
   * one chunk are views of it (no copy). After an error the stream is unusable: the caller closes the
   * connection, as Kafka does for a request larger than socket.request.max.bytes.
   */
  push(chunk: Buffer): FramePush {
    if (this.failed) return { ok: false, error: this.failed };
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.pendingBytes < 4) break;
        const size = this.peekInt32();
        if (size < 0) return this.fail({ kind: "negative-frame-size", size });
        if (size > this.maxFrameBytes)
          return this.fail({ kind: "frame-too-large", size, max: this.maxFrameBytes });
        this.consume(4);
        this.need = size;
      }
      if (this.pendingBytes < this.need) break;
      frames.push(this.consume(this.need));
      this.need = -1;
    }
    return { ok: true, frames };
  }

  private fail(error: FrameError): FramePush {
    this.failed = error;
    this.pending = [];
    this.pendingBytes = 0;
    return { ok: false, error };
  }

  private peekInt32(): number {
    const head = this.pending[0];
    if (head.length >= 4) return head.readInt32BE(0);
    return this.gather(4).readInt32BE(0);
  }

  /** Makes the first n bytes contiguous in pending[0] (copying only when they span chunks). */
  private gather(n: number): Buffer {
    const head = this.pending[0];
    if (head.length >= n) return head;
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      const c = this.pending.shift() as Buffer;
      parts.push(c);
      got += c.length;
    }
    const joined = Buffer.concat(parts, got);
    this.pending.unshift(joined);
    return joined;
  }

  /** Removes and returns the first n bytes. */
  private consume(n: number): Buffer {
    // A zero-size frame may arrive with nothing buffered behind its prefix.
    if (n === 0) return EMPTY;
    const head = this.gather(n);
    const out = head.subarray(0, n);
    if (head.length === n) this.pending.shift();
    else this.pending[0] = head.subarray(n);
    this.pendingBytes -= n;
    return out;
  }
}
