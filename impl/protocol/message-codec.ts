/**
 * Encodes and decodes one message body at one version by interpreting its schema.
 *
 * A schema is compiled once per (message, version) into a plan: the fields on the wire in order, the
 * tagged fields by tag, and the fields absent in that version (which decode to defaults). Encoding and
 * decoding then walk the plan without looking at version ranges again.
 */
import {
  type AnyStruct,
  type DefaultValue,
  type FieldSpec,
  inVersions,
  isArraySpec,
  isStructSpec,
  type MessageSpec,
  type PrimitiveType,
  type StructSpec,
} from "./types.ts";
import { Reader, WireError, Writer } from "./wire.ts";

type ElemPlan = { kind: "prim"; prim: PrimitiveType } | { kind: "struct"; struct: StructPlan };

interface FieldPlan {
  readonly name: string;
  /** A single value, an array of elements, or a single nested struct. */
  readonly shape: "value" | "array";
  readonly elem: ElemPlan;
  readonly nullable: boolean;
  /** Compact (uvarint) lengths: the message is flexible at this version and the field does not opt out. */
  readonly compact: boolean;
  readonly tag: number | undefined;
  /** Makes the field's default value (fresh arrays/structs each time). */
  readonly makeDefault: () => unknown;
  /** One default instance, only for comparisons (never handed out, so never mutated). */
  readonly defaultForCompare: unknown;
}

export interface StructPlan {
  readonly name: string;
  readonly flexible: boolean;
  /** Every field in schema order (for building objects with a stable shape). */
  readonly all: readonly FieldPlan[];
  /** Fields on the wire in line, in order. */
  readonly inline: readonly FieldPlan[];
  /** Tagged fields, ascending by tag. */
  readonly tagged: readonly FieldPlan[];
  readonly byTag: ReadonlyMap<number, FieldPlan>;
}

const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

function primitiveDefault(prim: PrimitiveType, given: DefaultValue | undefined): unknown {
  if (given !== undefined) {
    if (given === null) return null;
    if (prim === "int64" || prim === "varlong") return BigInt(given as number | bigint);
    return given;
  }
  switch (prim) {
    case "bool":
      return false;
    case "int64":
    case "varlong":
      return 0n;
    case "string":
      return "";
    case "uuid":
      return ZERO_UUID;
    case "bytes":
      return Buffer.alloc(0);
    case "records":
      return null;
    default:
      return 0;
  }
}

const planCache = new WeakMap<object, Map<number, StructPlan>>();

/** The compiled plan of a struct (or message body) at a version, cached. */
export function compileStruct(
  spec: StructSpec | MessageSpec,
  version: number,
  flexible: boolean,
): StructPlan {
  let byVersion = planCache.get(spec);
  if (!byVersion) {
    byVersion = new Map();
    planCache.set(spec, byVersion);
  }
  // Flexibility is a property of the message version, so nested structs key by version + flexibility.
  const key = version * 2 + (flexible ? 1 : 0);
  const cached = byVersion.get(key);
  if (cached) return cached;

  const all: FieldPlan[] = [];
  const inline: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  for (const field of spec.fields) {
    const plan = compileField(field, version, flexible);
    all.push(plan);
    const isTagged = flexible && field.tag !== undefined && inVersions(field.taggedVersions, version);
    const onWire = inVersions(field.versions, version);
    if (onWire && isTagged) tagged.push(plan);
    else if (onWire && field.tag === undefined) inline.push(plan);
  }
  tagged.sort((a, b) => (a.tag as number) - (b.tag as number));
  const plan: StructPlan = {
    name: spec.name,
    flexible,
    all,
    inline,
    tagged,
    byTag: new Map(tagged.map((f) => [f.tag as number, f])),
  };
  byVersion.set(key, plan);
  return plan;
}

function compileField(field: FieldSpec, version: number, flexible: boolean): FieldPlan {
  const compact =
    flexible && (field.flexibleVersions === undefined || inVersions(field.flexibleVersions, version));
  const nullable = inVersions(field.nullableVersions, version);
  const t = field.type;
  let shape: "value" | "array";
  let elem: ElemPlan;
  let makeDefault: () => unknown;
  if (isArraySpec(t)) {
    shape = "array";
    const e = t.array;
    elem = isStructSpec(e)
      ? { kind: "struct", struct: compileStruct(e, version, flexible) }
      : { kind: "prim", prim: e };
    makeDefault = field.default === null ? () => null : () => [];
  } else if (isStructSpec(t)) {
    shape = "value";
    const struct = compileStruct(t, version, flexible);
    elem = { kind: "struct", struct };
    makeDefault = field.default === null ? () => null : () => defaultStruct(struct);
  } else {
    shape = "value";
    elem = { kind: "prim", prim: t };
    const d = primitiveDefault(t, field.default);
    makeDefault = t === "bytes" && d !== null ? () => Buffer.alloc(0) : () => d;
  }
  return {
    name: field.name,
    shape,
    elem,
    nullable,
    compact,
    tag: field.tag,
    makeDefault,
    defaultForCompare: makeDefault(),
  };
}

function defaultStruct(plan: StructPlan): AnyStruct {
  const o: AnyStruct = {};
  for (const f of plan.all) o[f.name] = f.makeDefault();
  return o;
}

/** Fixed-size and varint primitives: one read and one write each, straight onto the Reader/Writer. */
type FixedPrimitive = Exclude<PrimitiveType, "string" | "bytes" | "records">;
const FIXED: {
  [P in FixedPrimitive]: { read(r: Reader): unknown; write(w: Writer, v: never): void };
} = {
  bool: { read: (r) => r.bool(), write: (w, v: boolean) => w.bool(v) },
  int8: { read: (r) => r.int8(), write: (w, v: number) => w.int8(v) },
  int16: { read: (r) => r.int16(), write: (w, v: number) => w.int16(v) },
  uint16: { read: (r) => r.uint16(), write: (w, v: number) => w.uint16(v) },
  int32: { read: (r) => r.int32(), write: (w, v: number) => w.int32(v) },
  int64: { read: (r) => r.int64(), write: (w, v: bigint) => w.int64(v) },
  varint: { read: (r) => r.varint(), write: (w, v: number) => w.varint(v) },
  varlong: { read: (r) => r.varlong(), write: (w, v: bigint) => w.varlong(v) },
  float64: { read: (r) => r.float64(), write: (w, v: number) => w.float64(v) },
  uuid: { read: (r) => r.uuid(), write: (w, v: string) => w.uuid(v) },
};

// ---------------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------------

/** Reads a length: compact lengths are uvarint(n + 1) with 0 for null; classic ones are signed. */
function readLength(r: Reader, compact: boolean, classic: "int16" | "int32"): number {
  if (compact) return r.uvarint() - 1;
  return classic === "int16" ? r.int16() : r.int32();
}

function nullCheck(f: FieldPlan, at: number, len: number): boolean {
  if (len >= 0) return false;
  if (len !== -1) throw new WireError(`negative length ${len}`, at);
  if (!f.nullable) throw new WireError("null in a non-nullable field", at);
  return true;
}

function readPrimitive(r: Reader, f: FieldPlan, prim: PrimitiveType): unknown {
  switch (prim) {
    case "string": {
      const at = r.pos;
      const len = readLength(r, f.compact, "int16");
      if (nullCheck(f, at, len)) return null;
      return r.utf8(len);
    }
    case "bytes":
    case "records": {
      const at = r.pos;
      const len = readLength(r, f.compact, "int32");
      if (nullCheck(f, at, len)) return null;
      return r.slice(len);
    }
    default:
      return FIXED[prim].read(r);
  }
}

/** Smallest possible encoding of one element, to refuse array lengths the remaining bytes cannot hold. */
function minElemBytes(elem: ElemPlan): number {
  if (elem.kind === "struct") return elem.struct.flexible ? 1 : elem.struct.inline.length > 0 ? 1 : 0;
  switch (elem.prim) {
    case "int16":
    case "uint16":
      return 2;
    case "int32":
      return 4;
    case "int64":
    case "float64":
      return 8;
    case "uuid":
      return 16;
    default:
      return 1;
  }
}

function readElem(r: Reader, f: FieldPlan, elem: ElemPlan): unknown {
  if (elem.kind === "struct") return decodeStruct(r, elem.struct);
  return readPrimitive(r, f, elem.prim);
}

function readField(r: Reader, f: FieldPlan): unknown {
  if (f.shape === "array") {
    const at = r.pos;
    const len = readLength(r, f.compact, "int32");
    if (nullCheck(f, at, len)) return null;
    const min = minElemBytes(f.elem);
    if (len * min > r.remaining)
      throw new WireError(`array of ${len} cannot fit in ${r.remaining} bytes`, at);
    const out = new Array(len);
    for (let i = 0; i < len; i++) {
      try {
        out[i] = readElem(r, f, f.elem);
      } catch (e) {
        if (e instanceof WireError) e.path.unshift(`[${i}]`);
        throw e;
      }
    }
    return out;
  }
  if (f.elem.kind === "struct") {
    // A nullable single struct is preceded by an int8 presence marker (-1 null, 1 present).
    if (f.nullable) {
      const at = r.pos;
      const marker = r.int8();
      if (marker === -1) return null;
      if (marker !== 1) throw new WireError(`bad struct presence marker ${marker}`, at);
    }
    return decodeStruct(r, f.elem.struct);
  }
  return readPrimitive(r, f, f.elem.prim);
}

function withPath<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof WireError) e.path.unshift(name);
    throw e;
  }
}

export function decodeStruct(r: Reader, plan: StructPlan): AnyStruct {
  const o: AnyStruct = {};
  const all = plan.all;
  let next = 0;
  const inline = plan.inline;
  for (let i = 0; i < all.length; i++) {
    const f = all[i];
    // Fields not in line (absent in this version, or tagged) start at their default.
    if (f !== inline[next]) {
      o[f.name] = f.makeDefault();
      continue;
    }
    next++;
    try {
      o[f.name] = readField(r, f);
    } catch (e) {
      if (e instanceof WireError) e.path.unshift(f.name);
      throw e;
    }
  }
  if (plan.flexible) readTaggedFields(r, plan, o);
  return o;
}

function readTaggedFields(r: Reader, plan: StructPlan, o: AnyStruct): void {
  const count = withPath("<tagged fields>", () => r.uvarint());
  // Writers put tags in ascending order; like Kafka's readers, we accept any order.
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const tag = r.uvarint();
    const size = r.uvarint();
    const f = plan.byTag.get(tag);
    if (!f) {
      // Unknown tags are skipped: that is what lets newer peers add tagged fields compatibly.
      r.skip(size);
      continue;
    }
    if (size > r.remaining) throw new WireError(`tagged field ${tag} of ${size} bytes overruns`, at);
    const sub = new Reader(r.buf, r.pos, r.pos + size);
    o[f.name] = withPath(f.name, () => readField(sub, f));
    if (sub.remaining !== 0) {
      throw new WireError(`tagged field ${f.name} left ${sub.remaining} of ${size} bytes unread`, sub.pos);
    }
    r.pos += size;
  }
}

// ---------------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------------

/** A value the caller gave that the schema cannot encode: a programming error, so it throws. */
export class EncodeError extends Error {
  readonly reason: string;
  /** Field path from the message root, e.g. ["topics", "[0]", "name"]. */
  readonly path: string[] = [];
  constructor(reason: string) {
    super(reason);
    this.name = "EncodeError";
    this.reason = reason;
  }
}

/** Joins a field path for messages: `topics[0].name`. */
export function formatPath(path: readonly string[]): string {
  let out = "";
  for (const s of path) out += s.startsWith("[") || out === "" ? s : `.${s}`;
  return out;
}

function writeLength(w: Writer, compact: boolean, classic: "int16" | "int32", n: number): void {
  if (compact) w.uvarint(n + 1);
  else if (classic === "int16") w.int16(n);
  else w.int32(n);
}

/** JavaScript type each primitive must arrive as: Node's Buffer writers would coerce anything else silently. */
const JS_TYPE: Record<PrimitiveType, "number" | "bigint" | "boolean" | "string" | "buffer"> = {
  bool: "boolean",
  int8: "number",
  int16: "number",
  uint16: "number",
  int32: "number",
  int64: "bigint",
  varint: "number",
  varlong: "bigint",
  float64: "number",
  uuid: "string",
  string: "string",
  bytes: "buffer",
  records: "buffer",
};

function checkType(prim: PrimitiveType, v: unknown): void {
  const want = JS_TYPE[prim];
  if (v === null) {
    // Strings and byte runs check nullability where the null is written; nothing else can be null.
    if (want === "buffer" || prim === "string") return;
    throw new EncodeError(`null given for ${prim}`);
  }
  const ok = want === "buffer" ? Buffer.isBuffer(v) : typeof v === want;
  if (!ok)
    throw new EncodeError(
      `expected ${want === "buffer" ? "a Buffer" : `a ${want}`} for ${prim}, got ${typeof v}`,
    );
}

function writePrimitive(w: Writer, f: FieldPlan, prim: PrimitiveType, v: unknown): void {
  checkType(prim, v);
  switch (prim) {
    case "string": {
      if (v === null) {
        writeNull(w, f, "int16");
        return;
      }
      const s = v as string;
      const n = Buffer.byteLength(s, "utf8");
      if (!f.compact && n > 0x7fff) throw new EncodeError(`string of ${n} bytes exceeds int16 length`);
      writeLength(w, f.compact, "int16", n);
      w.utf8(s, n);
      return;
    }
    case "bytes":
    case "records": {
      if (v === null) {
        writeNull(w, f, "int32");
        return;
      }
      const b = v as Buffer;
      writeLength(w, f.compact, "int32", b.length);
      if (prim === "records") w.reference(b);
      else w.bytes(b);
      return;
    }
    default:
      FIXED[prim].write(w, v as never);
  }
}

function writeNull(w: Writer, f: FieldPlan, classic: "int16" | "int32"): void {
  if (!f.nullable) throw new EncodeError("null given for a non-nullable field");
  writeLength(w, f.compact, classic, -1);
}

function writeField(w: Writer, f: FieldPlan, v: unknown): void {
  if (f.shape === "array") {
    if (v === null) {
      writeNull(w, f, "int32");
      return;
    }
    if (!Array.isArray(v)) throw new EncodeError("expected an array");
    writeLength(w, f.compact, "int32", v.length);
    const elem = f.elem;
    for (let i = 0; i < v.length; i++) {
      try {
        if (elem.kind === "struct") encodeStruct(w, elem.struct, v[i] as AnyStruct);
        else writePrimitive(w, f, elem.prim, v[i]);
      } catch (e) {
        throw prefixed(`[${i}]`, e);
      }
    }
    return;
  }
  if (f.elem.kind === "struct") {
    if (f.nullable) {
      w.int8(v === null ? -1 : 1);
      if (v === null) return;
    } else if (v === null) throw new EncodeError("null given for a non-nullable struct");
    encodeStruct(w, f.elem.struct, v as AnyStruct);
    return;
  }
  writePrimitive(w, f, f.elem.prim, v);
}

function prefixed(segment: string, e: unknown): unknown {
  let err: EncodeError;
  if (e instanceof EncodeError) err = e;
  else if (e instanceof RangeError || e instanceof TypeError) err = new EncodeError(e.message);
  else return e;
  err.path.unshift(segment);
  err.message = `${formatPath(err.path)}: ${err.reason}`;
  return err;
}

export function encodeStruct(w: Writer, plan: StructPlan, o: AnyStruct): void {
  if (o === null || typeof o !== "object") throw new EncodeError(`${plan.name}: expected an object`);
  for (const f of plan.inline) {
    const given = o[f.name];
    try {
      writeField(w, f, given === undefined ? f.makeDefault() : given);
    } catch (e) {
      throw prefixed(f.name, e);
    }
  }
  if (plan.flexible) writeTaggedFields(w, plan, o);
}

function writeTaggedFields(w: Writer, plan: StructPlan, o: AnyStruct): void {
  const present: Array<[FieldPlan, Buffer]> = [];
  for (const f of plan.tagged) {
    const v = o[f.name];
    if (v === undefined || isDefault(f, v)) continue;
    const sub = new Writer(64);
    try {
      writeField(sub, f, v);
    } catch (e) {
      throw prefixed(f.name, e);
    }
    present.push([f, Buffer.concat(sub.finish())]);
  }
  w.uvarint(present.length);
  for (const [f, bytes] of present) {
    w.uvarint(f.tag as number);
    w.uvarint(bytes.length);
    w.bytes(bytes);
  }
}

/** Whether a value equals the field's default, in which case a tagged field is left off the wire. */
function isDefault(f: FieldPlan, v: unknown): boolean {
  return deepEqual(v, f.defaultForCompare);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) {
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  for (const k of ka) {
    if (!deepEqual((a as AnyStruct)[k], (b as AnyStruct)[k])) return false;
  }
  return ka.length === Object.keys(b as object).length;
}
