/**
 * The TCP server of one broker: Kafka framing per connection, requests decoded with impl/protocol's
 * codec and handed to the handler for their api key, responses written in request order per
 * connection even when handled out of order (clients pipeline: kafka-python sends ApiVersions and
 * Metadata back to back). Errors never take the process down: a request whose handler throws is
 * answered with UNKNOWN_SERVER_ERROR and one log line; a frame that cannot be served is answered with
 * a Kafka error where its header could be read, or the connection is closed with one log line.
 */
import { createServer, type Server, type Socket } from "node:net";
import { FrameReader } from "../protocol/framing.ts";
import {
  type ApiKey,
  apis,
  type DecodedRequest,
  decodeRequest,
  describeDecodeError,
  encodeApiVersionsFallback,
  encodeResponse,
  isApiKey,
} from "../protocol/index.ts";
import type { FieldSpec, MessageSpec, StructSpec } from "../protocol/types.ts";
import { inVersions, isArraySpec, isStructSpec } from "../protocol/types.ts";
import { releaseStorageDescriptors } from "../storage/disk-fs.ts";
import { handleAlterPartitionFrame } from "./handlers/56-alter-partition.ts";
import { handlers } from "./handlers/index.ts";
import { BrokerState } from "./handlers/state.ts";
import type { RequestContext } from "./handlers/types.ts";
import { ALTER_PARTITION_KEY } from "./peer/alter-partition.ts";
import type { BrokerRuntime } from "./runtime.ts";

export interface ServerOptions {
  host: string;
  port: number;
  /** socket.request.max.bytes */
  maxRequestBytes: number;
}

interface Slot {
  ready: boolean;
  chunks: Buffer[] | null;
}

const UNKNOWN_SERVER_ERROR = -1;
const INVALID_REQUEST = 42;

export class BrokerServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  readonly state = new BrokerState();

  constructor(
    readonly runtime: BrokerRuntime,
    readonly options: ServerOptions,
  ) {}

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = createServer((socket) => this.onConnection(socket));
      this.server = server;
      server.once("error", reject);
      server.listen({ host: this.options.host || undefined, port: this.options.port }, () => {
        server.off("error", reject);
        server.on("error", (e) => this.onAcceptError(e));
        const addr = server.address();
        resolve(typeof addr === "object" && addr !== null ? addr.port : this.options.port);
      });
    });
  }

  private lastAcceptErrorLogMs = 0;

  /**
   * accept() failed (EMFILE/ENFILE: the process is out of descriptors). libuv keeps listening (when it can,
   * it accepts and closes the pending connection without reporting anything); when it does report, storage
   * gives back its idle descriptors so the next accept can succeed, and one line a second at most is logged.
   */
  private onAcceptError(e: NodeJS.ErrnoException): void {
    const freed = e.code === "EMFILE" || e.code === "ENFILE" ? releaseStorageDescriptors() : 0;
    const now = Date.now();
    if (now - this.lastAcceptErrorLogMs < 1_000) return;
    this.lastAcceptErrorLogMs = now;
    this.runtime.log(
      `[broker ${this.runtime.brokerId}] accept failed (${e.code ?? e.message}); closed ${freed} idle storage descriptors; still listening`,
    );
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = null;
    if (server === null) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const reader = new FrameReader({ maxFrameBytes: this.options.maxRequestBytes });
    const queue: Slot[] = [];
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    let closed = false;
    const close = (why: string) => {
      if (closed) return;
      closed = true;
      this.runtime.log(`[broker ${this.runtime.brokerId}] closing connection from ${peer}: ${why}`);
      socket.destroy();
    };
    const flush = () => {
      while (queue.length > 0 && queue[0].ready) {
        const slot = queue.shift() as Slot;
        if (slot.chunks !== null && !closed) for (const c of slot.chunks) socket.write(c);
      }
    };
    socket.on("data", (chunk: Buffer) => {
      const pushed = reader.push(chunk);
      if (!pushed.ok) {
        const e = pushed.error;
        return close(
          e.kind === "frame-too-large"
            ? `request of ${e.size} bytes exceeds socket.request.max.bytes=${e.max}`
            : `negative frame size ${e.size}`,
        );
      }
      for (const frame of pushed.frames) {
        const slot: Slot = { ready: false, chunks: null };
        queue.push(slot);
        const settle = (chunks: Buffer[] | null) => {
          slot.ready = true;
          slot.chunks = chunks;
          flush();
        };
        const result = this.onFrame(frame, socket.remoteAddress ?? "", close);
        if (result instanceof Promise)
          result.then(settle, (e) => {
            this.runtime.log(`[broker ${this.runtime.brokerId}] internal error: ${(e as Error).message}`);
            close("internal error");
          });
        else settle(result);
      }
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      closed = true;
      this.sockets.delete(socket);
    });
  }

  /** One frame to its response chunks (null: no response). Synchronous where it can be, to keep order cheap. */
  private onFrame(
    frame: Buffer,
    clientHost: string,
    close: (why: string) => void,
  ): Buffer[] | null | Promise<Buffer[] | null> {
    if (frame.length >= 2 && frame.readInt16BE(0) === ALTER_PARTITION_KEY) {
      return handleAlterPartitionFrame(this.runtime, frame, close);
    }
    const decoded = decodeRequest(frame);
    if (!decoded.ok) {
      const e = decoded.error;
      if (e.kind === "unsupported-version" && e.apiKey === 18)
        return encodeApiVersionsFallback(e.correlationId);
      if (
        e.kind === "malformed" &&
        e.correlationId >= 0 &&
        isApiKey(e.apiKey) &&
        e.message !== "RequestHeader"
      ) {
        this.runtime.log(`[broker ${this.runtime.brokerId}] malformed request: ${describeDecodeError(e)}`);
        return errorResponse(e.apiKey, e.apiVersion, e.correlationId, INVALID_REQUEST);
      }
      close(describeDecodeError(e));
      return null;
    }
    return this.dispatch(decoded.value, clientHost);
  }

  private async dispatch(req: DecodedRequest, clientHost: string): Promise<Buffer[] | null> {
    const { apiKey, apiVersion, header } = req;
    const handler = handlers[apiKey] as
      | ((ctx: RequestContext, body: unknown) => Promise<unknown> | unknown)
      | undefined;
    const ctx: RequestContext = { runtime: this.runtime, state: this.state, header, apiVersion, clientHost };
    try {
      if (handler === undefined) throw new Error(`no handler for ${apis[apiKey].name}`);
      const body = await handler(ctx, req.body);
      if (body === null) return null;
      return encodeResponse(apiKey, apiVersion, header.correlationId, body as never);
    } catch (e) {
      this.runtime.log(
        `[broker ${this.runtime.brokerId}] ${apis[apiKey].name} v${apiVersion} from ${header.clientId ?? "?"} failed: ${(e as Error).message}`,
      );
      return errorResponse(apiKey, apiVersion, header.correlationId, UNKNOWN_SERVER_ERROR);
    }
  }
}

/**
 * A response of the right shape with every top-level error code set and every list empty: what a
 * request gets when it could not be served. Clients read the error and retry or report.
 */
export function errorResponse(
  apiKey: ApiKey,
  apiVersion: number,
  correlationId: number,
  errorCode: number,
): Buffer[] {
  return encodeResponse(
    apiKey,
    apiVersion,
    correlationId,
    emptyStruct(apis[apiKey].response, apiVersion, errorCode) as never,
  );
}

function emptyStruct(
  spec: MessageSpec | StructSpec,
  version: number,
  errorCode: number,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields as readonly FieldSpec[]) {
    if (!inVersions(f.versions, version)) continue;
    out[f.name] = emptyValue(f, version, errorCode);
  }
  return out;
}

function emptyValue(f: FieldSpec, version: number, errorCode: number): unknown {
  if (f.name === "errorCode") return errorCode;
  if (f.default !== undefined) return f.default;
  if (f.nullableVersions !== undefined && inVersions(f.nullableVersions, version) && f.type !== "string")
    return null;
  const t = f.type;
  if (isArraySpec(t)) return [];
  if (isStructSpec(t)) return emptyStruct(t, version, errorCode);
  switch (t) {
    case "bool":
      return false;
    case "int64":
    case "varlong":
      return 0n;
    case "string":
      return f.nullableVersions !== undefined && inVersions(f.nullableVersions, version) ? null : "";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000";
    case "bytes":
    case "records":
      return Buffer.alloc(0);
    default:
      return 0;
  }
}
