/**
 * One TCP connection to one broker: framing, correlation ids, per-request timeouts and the ApiVersions
 * handshake. It never retries and never reconnects on its own: a call ends as a response, or says how
 * it failed (refused before anything was sent, closed or timed out after sending), so the caller can
 * tell "definitely not applied" from "may have been applied".
 *
 * Kafka answers the requests of one connection in order, one at a time (the socket server mutes a
 * channel until its response is out), so a request the broker holds (a JoinGroup waiting for the group)
 * holds every later request on the same connection. Clients that must not wait on each other use
 * connections of their own, as separate Kafka clients do.
 */
import { connect, type Socket } from "node:net";
import { decodeResponse, describeDecodeError, encodeRequest } from "../protocol/codec.ts";
import { FrameReader } from "../protocol/framing.ts";
import type { ApiKey, RequestInputOf, ResponseOf } from "../protocol/messages/index.ts";
import { API_VERSIONS_MAX, negotiateVersions, type VersionTable } from "./versions.ts";

export type CallResult<T> =
  | { kind: "response"; body: T; version: number }
  /** Nothing was sent: the connection could not be made (or was already closed). */
  | { kind: "refused"; message: string }
  /** Sent, and the connection closed before the answer: the request may have been applied. */
  | { kind: "closed"; message: string }
  /** Sent, and no answer within the timeout: the request may have been applied. */
  | { kind: "timeout"; message: string }
  /** Sent and answered, but the answer could not be decoded. */
  | { kind: "malformed"; message: string }
  /** Sent a request that has no response (Produce with acks=0). */
  | { kind: "sent" }
  /** Nothing was sent: the broker speaks no version of this API that we speak. */
  | { kind: "unsupported"; message: string };

export interface ConnectionOptions {
  clientId: string;
  connectTimeoutMs?: number;
  /** Timeout of the ApiVersions handshake. */
  handshakeTimeoutMs?: number;
}

interface InFlight {
  apiKey: ApiKey;
  version: number;
  timer: NodeJS.Timeout | null;
  settle: (r: CallResult<unknown>) => void;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

export class BrokerConnection {
  private socket: Socket | null = null;
  private readonly reader = new FrameReader();
  private readonly inflight = new Map<number, InFlight>();
  private nextCorrelationId = 1;
  private opening: Promise<CallResult<never> | null> | null = null;
  private closedReason: string | null = null;
  private table: VersionTable = new Map();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: ConnectionOptions,
  ) {}

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Whether the connection is closed (by either side, or never opened successfully). */
  get isClosed(): boolean {
    return this.closedReason !== null;
  }

  get versions(): VersionTable {
    return this.table;
  }

  /**
   * Connects and negotiates versions. Resolves null when ready, else the reason as a `refused` result
   * (nothing of any later request was sent). Idempotent: concurrent callers share one attempt.
   */
  open(): Promise<CallResult<never> | null> {
    if (this.opening === null) this.opening = this.doOpen();
    return this.opening;
  }

  private async doOpen(): Promise<CallResult<never> | null> {
    const connected = await new Promise<string | null>((resolve) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(`connect to ${this.address} timed out`);
      }, this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.removeAllListeners("error");
        this.attach(socket);
        resolve(null);
      });
      socket.once("error", (e) => {
        clearTimeout(timer);
        resolve(`connect to ${this.address}: ${e.message}`);
      });
    });
    if (connected !== null) {
      this.closedReason = connected;
      return { kind: "refused", message: connected };
    }
    const handshake = await this.handshake();
    if (handshake !== null) {
      this.close(handshake);
      return { kind: "refused", message: handshake };
    }
    return null;
  }

  /** ApiVersions at our highest version; on UNSUPPORTED_VERSION again at what the broker says it speaks. */
  private async handshake(): Promise<string | null> {
    const timeoutMs = this.options.handshakeTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let version = API_VERSIONS_MAX;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await this.send(
        18,
        version,
        { clientSoftwareName: "kafkaspec", clientSoftwareVersion: "0.1.0" },
        timeoutMs,
      );
      if (r.kind !== "response")
        return `ApiVersions to ${this.address}: ${"message" in r ? r.message : r.kind}`;
      const body = r.body;
      if (body.errorCode === 35) {
        // KIP-511: the error answer carries the broker's range for ApiVersions itself.
        const own = body.apiKeys.find((k) => k.apiKey === 18);
        const next = own !== undefined ? Math.min(own.maxVersion, version - 1) : 0;
        if (next < 0 || next >= version) return `ApiVersions to ${this.address}: no common version`;
        version = next;
        continue;
      }
      if (body.errorCode !== 0) return `ApiVersions to ${this.address}: error ${body.errorCode}`;
      this.table = negotiateVersions(body.apiKeys);
      return null;
    }
    return `ApiVersions to ${this.address}: no common version`;
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    socket.on("data", (chunk: Buffer) => {
      const pushed = this.reader.push(chunk);
      if (!pushed.ok) {
        this.close(`bad frame from ${this.address}: ${pushed.error.kind}`);
        return;
      }
      for (const frame of pushed.frames) this.onFrame(frame);
    });
    socket.on("error", (e) => this.close(`${this.address}: ${e.message}`));
    socket.on("close", () => this.close(`${this.address} closed the connection`));
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.close(`${this.address} sent a frame without a correlation id`);
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const pending = this.inflight.get(correlationId);
    // An answer to a request we gave up on (timed out) is dropped.
    if (pending === undefined) return;
    this.inflight.delete(correlationId);
    if (pending.timer !== null) clearTimeout(pending.timer);
    const decoded = decodeResponse(pending.apiKey, pending.version, frame);
    if (!decoded.ok) {
      pending.settle({ kind: "malformed", message: describeDecodeError(decoded.error) });
      return;
    }
    pending.settle({ kind: "response", body: decoded.value.body, version: decoded.value.apiVersion });
  }

  /**
   * Sends one request at the negotiated version (or `version`). `expectResponse: false` is for Produce
   * with acks=0, which Kafka never answers: the call resolves as `sent` once the bytes are written.
   */
  async request<K extends ApiKey>(
    apiKey: K,
    body: RequestInputOf<K>,
    options: { timeoutMs: number; expectResponse?: boolean; version?: number },
  ): Promise<CallResult<ResponseOf<K>>> {
    const opened = await this.open();
    if (opened !== null) return opened;
    const version = options.version ?? this.table.get(apiKey);
    if (version === undefined)
      return { kind: "unsupported", message: `${this.address} does not support api key ${apiKey}` };
    return this.send(apiKey, version, body, options.timeoutMs, options.expectResponse ?? true);
  }

  private send<K extends ApiKey>(
    apiKey: K,
    version: number,
    body: RequestInputOf<K>,
    timeoutMs: number,
    expectResponse = true,
  ): Promise<CallResult<ResponseOf<K>>> {
    const socket = this.socket;
    if (socket === null || this.closedReason !== null)
      return Promise.resolve({ kind: "refused", message: this.closedReason ?? "not connected" });
    const correlationId = this.nextCorrelationId;
    this.nextCorrelationId = this.nextCorrelationId >= 0x7fffffff ? 1 : this.nextCorrelationId + 1;
    // Encoding errors are bugs in the caller's body: let them throw before anything is written.
    const chunks = encodeRequest(
      { apiKey, apiVersion: version, correlationId, clientId: this.options.clientId },
      body,
    );
    if (!expectResponse) {
      return new Promise((resolve) => {
        for (let i = 0; i < chunks.length - 1; i++) socket.write(chunks[i]);
        socket.write(chunks[chunks.length - 1], (e) =>
          resolve(e ? { kind: "closed", message: e.message } : { kind: "sent" }),
        );
      });
    }
    return new Promise((resolve) => {
      const entry: InFlight = {
        apiKey,
        version,
        timer: null,
        settle: resolve as (r: CallResult<unknown>) => void,
      };
      entry.timer = setTimeout(() => {
        this.inflight.delete(correlationId);
        resolve({ kind: "timeout", message: `no answer from ${this.address} within ${timeoutMs} ms` });
      }, timeoutMs);
      this.inflight.set(correlationId, entry);
      for (const c of chunks) socket.write(c);
    });
  }

  /** Closes the connection; every request still waiting ends as `closed`. */
  close(reason = "closed by the client"): void {
    if (this.closedReason === null) this.closedReason = reason;
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
    for (const [id, p] of this.inflight) {
      this.inflight.delete(id);
      if (p.timer !== null) clearTimeout(p.timer);
      p.settle({ kind: "closed", message: reason });
    }
  }
}
