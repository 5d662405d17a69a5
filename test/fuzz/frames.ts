/**
 * Seeded generators of hostile request bytes for the broker fuzz test: valid requests of every api key
 * and version we define (bodies built from the schemas, with random field values), then mutated:
 * bytes flipped, truncated, the length prefix lying, garbage, huge length prefixes. Pure: the same
 * seed gives the same cases, so a failure replays with FUZZ_SEED.
 */
import {
  type ApiKey,
  apis,
  definedRange,
  encodeRequest,
  type FieldSpec,
  inVersions,
  isArraySpec,
  isStructSpec,
  type PrimitiveType,
  type StructSpec,
} from "../../impl/protocol/index.ts";

/** xorshift32: small, fast, and replayable from a 32-bit seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s;
  }
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.next() % xs.length];
  }
  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 0xff;
    return b;
  }
}

export const API_KEYS = Object.keys(apis).map(Number) as ApiKey[];

/**
 * Topic names the fuzzer may touch. The round-trip topic the test checks afterwards is not among
 * them: a well-formed DeleteTopics or StopReplica for it would be a legitimate request, not a bug.
 */
const TOPICS = ["fuzz-a", "fuzz-b", "", "__consumer_offsets", "x".repeat(300), "f\u00fc\u00df", "bad/name"];
const GROUPS = ["fuzz-g", "", "g".repeat(260)];

/** Integers that stress bounds checks, plus small ones that make requests meaningful. */
function int(rng: Rng, bits: 8 | 16 | 32, name: string): number {
  // Counts that size allocations (partitions, replicas) stay small, or the request is a legitimate
  // demand for huge work rather than malformed input.
  if (/numPartitions|replicationFactor|count|assignments/i.test(name)) return rng.int(-2, 4);
  const max = 2 ** (bits - 1) - 1;
  return rng.chance(0.7) ? rng.int(-1, 5) : rng.pick([max, -max - 1, 0, -1, 1 << (bits - 2)]);
}

function primitive(rng: Rng, t: PrimitiveType, f: FieldSpec, version: number): unknown {
  const nullable = f.nullableVersions !== undefined && inVersions(f.nullableVersions, version);
  if (nullable && rng.chance(0.1)) return null;
  switch (t) {
    case "bool":
      return rng.chance(0.5);
    case "int8":
      return int(rng, 8, f.name);
    case "int16":
      return int(rng, 16, f.name);
    case "uint16":
      return rng.int(0, 65535);
    case "int32":
    case "varint":
      return int(rng, 32, f.name);
    case "int64":
    case "varlong":
      return rng.chance(0.8) ? BigInt(rng.int(-2, 100)) : rng.pick([2n ** 63n - 1n, -(2n ** 63n), -2n]);
    case "float64":
      return rng.pick([0, 1.5, -1, Number.MAX_VALUE]);
    case "uuid":
      return rng.chance(0.5)
        ? "00000000-0000-0000-0000-000000000000"
        : rng
            .bytes(16)
            .toString("hex")
            .replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
    case "string":
      if (/topic|name/i.test(f.name)) return rng.pick(TOPICS);
      if (/group/i.test(f.name)) return rng.pick(GROUPS);
      return rng.chance(0.5) ? "" : rng.bytes(rng.int(1, 20)).toString("latin1");
    case "bytes":
      return rng.bytes(rng.int(0, 64));
    case "records":
      return rng.chance(0.3) ? null : rng.bytes(rng.int(0, 200));
  }
}

/**
 * The controller-to-broker requests. Kafka guards them with the CLUSTER_ACTION permission and fences
 * them by controller epoch; a well-formed one with a newer epoch legitimately rewrites the broker's
 * view of the cluster (and a huge epoch fences the real controller out), so the fuzzer sends them
 * with a stale epoch (-1) only, and never flips bytes in them (a flip could make the epoch newer).
 */
export const INTER_BROKER: ReadonlySet<number> = new Set([4, 5, 6]);

function struct(rng: Rng, spec: StructSpec, version: number, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of spec.fields) {
    if (!inVersions(f.versions, version)) continue;
    if (f.tag !== undefined && rng.chance(0.6)) continue;
    out[f.name] = f.name === "controllerEpoch" ? -1 : value(rng, f, version, depth);
  }
  return out;
}

function value(rng: Rng, f: FieldSpec, version: number, depth: number): unknown {
  const t = f.type;
  if (isArraySpec(t)) {
    if (f.nullableVersions !== undefined && inVersions(f.nullableVersions, version) && rng.chance(0.1))
      return null;
    const n = depth > 3 ? 0 : rng.int(0, 3);
    return Array.from({ length: n }, () =>
      typeof t.array === "string"
        ? primitive(rng, t.array, f, version)
        : struct(rng, t.array, version, depth + 1),
    );
  }
  if (isStructSpec(t)) return struct(rng, t, version, depth + 1);
  return primitive(rng, t, f, version);
}

/** A well-formed request frame (with its size prefix) of `apiKey` at a random defined version. */
export function validRequest(rng: Rng, apiKey: ApiKey, correlationId: number): Buffer {
  const { min, max } = definedRange(apiKey);
  const version = rng.int(min, max);
  const body = struct(rng, apis[apiKey].request, version, 0);
  const clientId = rng.chance(0.1) ? null : "fuzz";
  return Buffer.concat(
    encodeRequest({ apiKey, apiVersion: version, correlationId, clientId } as never, body as never),
  );
}

export type Mutation =
  | "valid"
  | "flip"
  | "truncate"
  | "truncate-keep-length"
  | "length-short"
  | "length-long"
  | "garbage"
  | "huge-length"
  | "negative-length"
  | "unknown-api"
  | "bad-version"
  | "pipelined";

export const MUTATIONS: readonly Mutation[] = [
  "valid",
  "flip",
  "truncate",
  "truncate-keep-length",
  "length-short",
  "length-long",
  "garbage",
  "huge-length",
  "negative-length",
  "unknown-api",
  "bad-version",
  "pipelined",
];

/** The api keys clients send: every one but the controller-to-broker requests. */
const CLIENT_API_KEYS: readonly ApiKey[] = API_KEYS.filter((k) => !INTER_BROKER.has(k));

/** Mutations that keep no well-formed request with a changed body (for the inter-broker apis). */
const STRUCTURAL: readonly Mutation[] = MUTATIONS.filter((m) => m !== "flip" && m !== "pipelined");

export interface FuzzCase {
  index: number;
  mutation: Mutation;
  apiKey: number;
  bytes: Buffer;
}

function withSize(payload: Buffer, size = payload.length): Buffer {
  const b = Buffer.alloc(4 + payload.length);
  b.writeInt32BE(size, 0);
  payload.copy(b, 4);
  return b;
}

/** Case `index` of the run seeded `seed`: each case has its own stream, so one replays alone. */
export function fuzzCase(seed: number, index: number): FuzzCase {
  const rng = new Rng((seed ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const apiKey = rng.pick(API_KEYS);
  const mutation = rng.pick(INTER_BROKER.has(apiKey) ? STRUCTURAL : MUTATIONS);
  const valid = validRequest(rng, apiKey, index);
  const payload = valid.subarray(4);
  let bytes: Buffer;
  switch (mutation) {
    case "valid":
      bytes = valid;
      break;
    case "flip": {
      const p = Buffer.from(payload);
      for (let i = rng.int(1, 8); i > 0; i--) p[rng.int(0, p.length - 1)] ^= 1 << rng.int(0, 7);
      bytes = withSize(p);
      break;
    }
    case "truncate":
      bytes = withSize(payload.subarray(0, rng.int(0, payload.length - 1)));
      break;
    case "truncate-keep-length":
      // The size promises more than arrives; the connection then closes mid-frame.
      bytes = valid.subarray(0, rng.int(0, valid.length - 1));
      break;
    case "length-short":
      bytes = withSize(payload, rng.int(0, payload.length - 1));
      break;
    case "length-long":
      bytes = withSize(payload, payload.length + rng.int(1, 1000));
      break;
    case "garbage":
      bytes = rng.chance(0.5) ? withSize(rng.bytes(rng.int(0, 300))) : rng.bytes(rng.int(1, 300));
      break;
    case "huge-length":
      bytes = withSize(payload, rng.pick([0x7fffffff, 200_000_000, 104_857_601, 0x10000000]));
      break;
    case "negative-length":
      bytes = withSize(payload, rng.pick([-1, -2147483648, -4]));
      break;
    case "unknown-api": {
      const p = Buffer.from(payload);
      p.writeInt16BE(rng.pick([7, 17, 21, 56, 57, 67, 999, -1, 32767]), 0);
      bytes = withSize(p);
      break;
    }
    case "bad-version": {
      const p = Buffer.from(payload);
      p.writeInt16BE(rng.pick([-1, definedRange(apiKey).max + 1, 32767]), 2);
      bytes = withSize(p);
      break;
    }
    case "pipelined": {
      // Several requests in one write, one of them broken: the good ones before it must still be answered.
      // The broken one is never an inter-broker request: a flipped byte could make its epoch newer.
      const count = rng.int(1, 4);
      const more = Array.from({ length: count }, (_, i) =>
        validRequest(rng, rng.pick(i === count - 1 ? CLIENT_API_KEYS : API_KEYS), index + i + 1),
      );
      const broken = Buffer.from(more[more.length - 1]);
      broken[rng.int(4, broken.length - 1)] ^= 0xff;
      bytes = Buffer.concat([valid, ...more.slice(0, -1), broken]);
      break;
    }
  }
  return { index, mutation, apiKey, bytes };
}
