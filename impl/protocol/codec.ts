/**
 * The Kafka protocol codec, sans-IO: frames in, typed messages out, and back.
 *
 * - `encodeRequest` / `encodeResponse` return the frame as chunks, 4-byte size prefix included, ready for
 *   `socket.write` of each chunk (or `Buffer.concat`). RecordBatch bytes are chunks of their own: the
 *   codec never copies them.
 * - `decodeRequest` / `decodeResponse` take one frame without its size prefix (what `FrameReader`
 *   yields) and return a result: the message, or a typed `DecodeError` saying which api, version and
 *   field failed and why. They never throw. Decoded `bytes`/`records` fields are views into the frame.
 *
 * Headers (KIP-482, KIP-511): request header v1 (api key, version, correlation id, nullable clientId with
 * an int16 length) for classic versions and v2 (the same plus tagged fields) for flexible ones; response
 * header v0 (correlation id) or v1 (plus tagged fields). ApiVersions responses always use header v0, so
 * a client can read the answer whatever version it asked with.
 */

import { compileStruct, decodeStruct, encodeStruct, formatPath } from "./message-codec.ts";
import {
  type ApiKey,
  apis,
  isApiKey,
  type RequestInputOf,
  type RequestOf,
  type ResponseInputOf,
  type ResponseOf,
} from "./messages/index.ts";
import { type AnyStruct, inVersions, type MessageSpec } from "./types.ts";
import { definedRange } from "./versions.ts";
import { Reader, WireError, Writer } from "./wire.ts";

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** The client id; null is allowed on the wire (length -1). */
  clientId: string | null;
}

/** Why a frame could not be decoded. Every variant names the api and version as far as they were read. */
export type DecodeError =
  | {
      /** The api key is not one we define: the broker should close the connection (Kafka does). */
      kind: "unsupported-api";
      apiKey: number;
      apiVersion: number;
      correlationId: number;
    }
  | {
      /**
       * The version is outside our range. For ApiVersions the broker answers with
       * `encodeApiVersionsFallback` (v0 layout, UNSUPPORTED_VERSION, our key-18 range).
       */
      kind: "unsupported-version";
      apiKey: ApiKey;
      apiVersion: number;
      correlationId: number;
      supported: { min: number; max: number };
    }
  | {
      /** The bytes do not match the schema. */
      kind: "malformed";
      apiKey: number;
      apiVersion: number;
      /** -1 when the frame was too short to hold one. */
      correlationId: number;
      /** The schema being read: a message name or `RequestHeader` / `ResponseHeader`. */
      message: string;
      /** Field path from the message root, e.g. `topicData[0].partitionData[1].records`; "" for the root. */
      path: string;
      /** Byte offset in the frame where the problem was found. */
      offset: number;
      reason: string;
    };

export type Result<T, E = DecodeError> = { ok: true; value: T } | { ok: false; error: E };

/** A decoded request, discriminated by `apiKey` so `switch (req.apiKey)` narrows the body's type. */
export type DecodedRequest = {
  [K in ApiKey]: { apiKey: K; apiVersion: number; header: RequestHeader; body: RequestOf<K> };
}[ApiKey];

export interface DecodedResponse<K extends ApiKey> {
  correlationId: number;
  /** The version the body was decoded at (differs from the asked one only for the ApiVersions fallback). */
  apiVersion: number;
  body: ResponseOf<K>;
}

/** One-line description of a decode error, for logs. */
export function describeDecodeError(e: DecodeError): string {
  const name = isApiKey(e.apiKey) ? apis[e.apiKey].name : `api ${e.apiKey}`;
  switch (e.kind) {
    case "unsupported-api":
      return `unsupported api key ${e.apiKey} (v${e.apiVersion}, correlation ${e.correlationId})`;
    case "unsupported-version":
      return `${name} v${e.apiVersion} unsupported (we serve v${e.supported.min}-v${e.supported.max})`;
    case "malformed":
      return `${e.message} v${e.apiVersion}${e.path ? ` at ${e.path}` : ""} (byte ${e.offset}): ${e.reason}`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Header versions
// ---------------------------------------------------------------------------------------------------

function isFlexible(spec: MessageSpec, version: number): boolean {
  return inVersions(spec.flexibleVersions, version);
}

/**
 * Request header version: 2 for flexible api versions, else 1; 0 (no clientId) for ControlledShutdown v0,
 * the one request Kafka defines with that header.
 */
export function requestHeaderVersion(apiKey: ApiKey, apiVersion: number): 0 | 1 | 2 {
  if (apiKey === 7 && apiVersion === 0) return 0;
  return isFlexible(apis[apiKey].request, apiVersion) ? 2 : 1;
}

/** Response header version: 1 for flexible api versions, else 0; ApiVersions always 0 (KIP-511). */
export function responseHeaderVersion(apiKey: ApiKey, apiVersion: number): 0 | 1 {
  if (apiKey === 18) return 0;
  return isFlexible(apis[apiKey].response, apiVersion) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------------
// Bodies
// ---------------------------------------------------------------------------------------------------

/** Encodes a message body alone (no header, no size prefix) into w. Throws EncodeError on a bad value. */
function writeBody(w: Writer, spec: MessageSpec, version: number, body: unknown): void {
  encodeStruct(w, compileStruct(spec, version, isFlexible(spec, version)), body as AnyStruct);
}

/** Encodes a body alone, for schemas carried inside other messages (e.g. consumer protocol metadata). */
export function encodeMessage(spec: MessageSpec, version: number, body: unknown): Buffer[] {
  const w = new Writer();
  writeBody(w, spec, version, body);
  return w.finish();
}

function malformed(
  spec: { name: string },
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  e: unknown,
): DecodeError {
  const where = { kind: "malformed", apiKey, apiVersion, correlationId, message: spec.name } as const;
  if (e instanceof WireError)
    return { ...where, path: formatPath(e.path), offset: e.offset, reason: e.message };
  // Anything else is a bug in the codec; still report it as data rather than throwing past the boundary.
  return {
    ...where,
    path: "",
    offset: -1,
    reason: `internal decoder error: ${e instanceof Error ? e.message : String(e)}`,
  };
}

function readBody(r: Reader, spec: MessageSpec, version: number): AnyStruct {
  const body = decodeStruct(r, compileStruct(spec, version, isFlexible(spec, version)));
  if (r.remaining !== 0) throw new WireError(`${r.remaining} unexpected bytes after the message`, r.pos);
  return body;
}

/** Decodes a body alone (the whole buffer must be the body). */
export function decodeMessage(spec: MessageSpec, version: number, buf: Buffer): Result<AnyStruct> {
  try {
    return { ok: true, value: readBody(new Reader(buf), spec, version) };
  } catch (e) {
    return { ok: false, error: malformed(spec, spec.apiKey, version, -1, e) };
  }
}

// ---------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------

/** Skips a tagged-field section we define no tags for (request header v2, response header v1). */
function skipTaggedFields(r: Reader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

export function encodeRequest<K extends ApiKey>(
  header: RequestHeader & { apiKey: K },
  body: RequestInputOf<K>,
): Buffer[] {
  const key = header.apiKey;
  if (!isApiKey(key)) throw new RangeError(`unknown api key ${key}`);
  const spec = apis[key].request;
  const w = new Writer();
  const setSize = w.reserveInt32();
  w.int16(key);
  w.int16(header.apiVersion);
  w.int32(header.correlationId);
  const headerVersion = requestHeaderVersion(key, header.apiVersion);
  // The client id keeps its int16 length even in header v2 (the one field with flexibleVersions "none").
  // Header v0 (ControlledShutdown v0 only) has no client id.
  if (headerVersion > 0) {
    if (header.clientId === null) w.int16(-1);
    else {
      const n = Buffer.byteLength(header.clientId, "utf8");
      w.int16(n);
      w.utf8(header.clientId, n);
    }
  }
  if (headerVersion === 2) w.uvarint(0);
  writeBody(w, spec, header.apiVersion, body);
  setSize(w.length - 4);
  return w.finish();
}

/** Decodes one request frame (without its size prefix). Never throws. */
export function decodeRequest(frame: Buffer): Result<DecodedRequest> {
  const headerSpec = { name: "RequestHeader" };
  if (frame.length < 8) {
    const apiKey = frame.length >= 2 ? frame.readInt16BE(0) : -1;
    const apiVersion = frame.length >= 4 ? frame.readInt16BE(2) : -1;
    return {
      ok: false,
      error: malformed(
        headerSpec,
        apiKey,
        apiVersion,
        -1,
        new WireError("frame shorter than a header", frame.length),
      ),
    };
  }
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  if (!isApiKey(apiKey))
    return { ok: false, error: { kind: "unsupported-api", apiKey, apiVersion, correlationId } };
  const supported = definedRange(apiKey);
  if (apiVersion < supported.min || apiVersion > supported.max) {
    return {
      ok: false,
      error: { kind: "unsupported-version", apiKey, apiVersion, correlationId, supported },
    };
  }
  const r = new Reader(frame, 8);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  let clientId: string | null = null;
  // Header v0 ends at the correlation id.
  if (headerVersion > 0) {
    try {
      const n = r.int16();
      if (n < -1) throw new WireError(`negative clientId length ${n}`, 8);
      clientId = n === -1 ? null : r.utf8(n);
      if (headerVersion === 2) skipTaggedFields(r);
    } catch (e) {
      return { ok: false, error: malformed(headerSpec, apiKey, apiVersion, correlationId, e) };
    }
  }
  const spec = apis[apiKey].request;
  try {
    const body = readBody(r, spec, apiVersion);
    const header: RequestHeader = { apiKey, apiVersion, correlationId, clientId };
    return { ok: true, value: { apiKey, apiVersion, header, body } as unknown as DecodedRequest };
  } catch (e) {
    return { ok: false, error: malformed(spec, apiKey, apiVersion, correlationId, e) };
  }
}

// ---------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------

export function encodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  correlationId: number,
  body: ResponseInputOf<K>,
): Buffer[] {
  if (!isApiKey(apiKey)) throw new RangeError(`unknown api key ${apiKey}`);
  const spec = apis[apiKey].response;
  const w = new Writer();
  const setSize = w.reserveInt32();
  w.int32(correlationId);
  if (responseHeaderVersion(apiKey, apiVersion) === 1) w.uvarint(0);
  writeBody(w, spec, apiVersion, body);
  setSize(w.length - 4);
  return w.finish();
}

/**
 * The answer to an ApiVersions request at a version we do not serve: the v0 layout with
 * UNSUPPORTED_VERSION and our range for key 18. That is what Kafka sends, and what clients read to retry
 * at a version we serve (KIP-511; librdkafka 2.0 instead retries at v0). A broker that advertises a
 * narrower ApiVersions range than we define passes it as `range`.
 */
export function encodeApiVersionsFallback(
  correlationId: number,
  range: { min: number; max: number } = definedRange(18),
): Buffer[] {
  return encodeResponse(18, 0, correlationId, {
    errorCode: 35,
    apiKeys: [{ apiKey: 18, minVersion: range.min, maxVersion: range.max }],
  });
}

/**
 * Decodes one response frame (without its size prefix) for a request sent at `apiVersion`. Never throws.
 * An ApiVersions error answer in the v0 layout (see `encodeApiVersionsFallback`) is recognised and
 * returned with `apiVersion: 0`.
 */
export function decodeResponse<K extends ApiKey>(
  apiKey: K,
  apiVersion: number,
  frame: Buffer,
): Result<DecodedResponse<K>> {
  const headerSpec = { name: "ResponseHeader" };
  if (!isApiKey(apiKey))
    return { ok: false, error: { kind: "unsupported-api", apiKey, apiVersion, correlationId: -1 } };
  const supported = definedRange(apiKey);
  if (apiVersion < supported.min || apiVersion > supported.max) {
    return {
      ok: false,
      error: { kind: "unsupported-version", apiKey, apiVersion, correlationId: -1, supported },
    };
  }
  const r = new Reader(frame);
  let correlationId = -1;
  try {
    correlationId = r.int32();
    if (responseHeaderVersion(apiKey, apiVersion) === 1) skipTaggedFields(r);
  } catch (e) {
    return { ok: false, error: malformed(headerSpec, apiKey, apiVersion, correlationId, e) };
  }
  const spec = apis[apiKey].response;
  const bodyStart = r.pos;
  try {
    const body = readBody(r, spec, apiVersion) as ResponseOf<K>;
    return { ok: true, value: { correlationId, apiVersion, body } };
  } catch (e) {
    if (
      apiKey === 18 &&
      apiVersion > 0 &&
      frame.length >= bodyStart + 2 &&
      frame.readInt16BE(bodyStart) === 35
    ) {
      const fallback = decodeMessage(spec, 0, frame.subarray(bodyStart));
      if (fallback.ok)
        return { ok: true, value: { correlationId, apiVersion: 0, body: fallback.value as ResponseOf<K> } };
    }
    return { ok: false, error: malformed(spec, apiKey, apiVersion, correlationId, e) };
  }
}

/** Joins encoded chunks into one Buffer (copies; for tests and small messages). */
export function concatFrame(chunks: readonly Buffer[]): Buffer {
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}
