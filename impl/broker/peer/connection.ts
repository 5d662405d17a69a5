/**
 * A small Kafka protocol client connection for broker-to-broker traffic: one TCP socket, requests
 * pipelined, responses matched by correlation id. It connects lazily and again after a failure; a
 * failure rejects every request in flight (the replication core retries on its own timers).
 */
import { createConnection, type Socket } from "node:net";
import { FrameReader } from "../../protocol/framing.ts";
import {
  type ApiKey,
  decodeResponse,
  describeDecodeError,
  encodeRequest,
  type RequestInputOf,
  type ResponseOf,
} from "../../protocol/index.ts";

interface InFlight {
  correlationId: number;
  decode: (frame: Buffer) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class KafkaConnection {
  private socket: Socket | null = null;
  private reader = new FrameReader();
  private inFlight = new Map<number, InFlight>();
  private nextCorrelationId = 1;
  private closed = false;

  constructor(
    private readonly address: () => { host: string; port: number } | null,
    readonly clientId: string,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Sends a request from the shared registry and resolves with its decoded response. */
  request<K extends ApiKey>(apiKey: K, apiVersion: number, body: RequestInputOf<K>): Promise<ResponseOf<K>> {
    const correlationId = this.nextCorrelationId++;
    const chunks = encodeRequest({ apiKey, apiVersion, correlationId, clientId: this.clientId }, body);
    return this.send(correlationId, chunks, (frame) => {
      const r = decodeResponse(apiKey, apiVersion, frame);
      if (!r.ok) throw new Error(describeDecodeError(r.error));
      return r.value.body;
    }) as Promise<ResponseOf<K>>;
  }

  /** Sends a pre-encoded request (an API outside the registry) with its own decoder. */
  requestEncoded<T>(encode: (correlationId: number) => Buffer[], decode: (frame: Buffer) => T): Promise<T> {
    const correlationId = this.nextCorrelationId++;
    return this.send(correlationId, encode(correlationId), decode) as Promise<T>;
  }

  private send(
    correlationId: number,
    chunks: Buffer[],
    decode: (frame: Buffer) => unknown,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error("connection closed"));
    const socket = this.connect();
    if (socket === null) return Promise.reject(new Error("peer address unknown"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(new Error(`request ${correlationId} timed out`)),
        this.timeoutMs,
      );
      this.inFlight.set(correlationId, {
        correlationId,
        decode,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      for (const c of chunks) socket.write(c);
    });
  }

  private connect(): Socket | null {
    if (this.socket !== null) return this.socket;
    const addr = this.address();
    if (addr === null) return null;
    const socket = createConnection({ host: addr.host, port: addr.port });
    socket.setNoDelay(true);
    this.socket = socket;
    this.reader = new FrameReader();
    // A replaced socket's late events (its close comes a turn after fail() destroyed it) must not
    // fail the socket that replaced it, nor the requests already sent on that one.
    const current = () => this.socket === socket;
    socket.on("data", (chunk: Buffer) => {
      if (!current()) return;
      const pushed = this.reader.push(chunk);
      if (!pushed.ok) return this.fail(new Error(`bad frame from peer: ${pushed.error.kind}`));
      for (const frame of pushed.frames) this.onFrame(frame);
    });
    socket.on("error", (e) => {
      if (current()) this.fail(e);
    });
    socket.on("close", () => {
      if (current()) this.fail(new Error("connection closed by peer"));
    });
    return socket;
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.fail(new Error("short response frame"));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const f = this.inFlight.get(correlationId);
    if (f === undefined) return;
    this.inFlight.delete(correlationId);
    try {
      f.resolve(f.decode(frame));
    } catch (e) {
      f.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Drops the socket and rejects everything in flight; the next request reconnects. */
  private fail(error: Error): void {
    const s = this.socket;
    this.socket = null;
    if (s !== null) s.destroy();
    const pending = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const p of pending) p.reject(error);
  }

  close(): void {
    this.closed = true;
    this.fail(new Error("connection closed"));
  }
}
