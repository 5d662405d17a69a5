/**
 * One generic fast-check generator for any message at any version, built from the schema alone.
 *
 * Fields not on the wire at the version get their schema default (what the decoder must produce), so a
 * round trip must give back exactly the generated value. Defaults are computed here from the schema
 * rather than taken from the codec, so the test does not trust the code it checks.
 */
import fc from "fast-check";
import {
  type AnyStruct,
  type FieldSpec,
  inVersions,
  isArraySpec,
  isStructSpec,
  type MessageSpec,
  type PrimitiveType,
  type StructSpec,
} from "../../impl/protocol/types.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function primitiveArbitrary(prim: PrimitiveType): fc.Arbitrary<unknown> {
  switch (prim) {
    case "bool":
      return fc.boolean();
    case "int8":
      return fc.integer({ min: -128, max: 127 });
    case "int16":
      return fc.integer({ min: -32768, max: 32767 });
    case "uint16":
      return fc.integer({ min: 0, max: 65535 });
    case "int32":
    case "varint":
      return fc.integer({ min: -2147483648, max: 2147483647 });
    case "int64":
    case "varlong":
      return fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
    case "float64":
      return fc.double();
    case "uuid":
      return fc.oneof(fc.constant("00000000-0000-0000-0000-000000000000"), fc.uuid());
    case "string":
      return fc.string({ unit: "binary", maxLength: 12 });
    case "bytes":
      return fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a));
    case "records":
      // Sometimes larger than the writer's by-reference threshold, to cover both paths.
      return fc
        .oneof(fc.uint8Array({ maxLength: 24 }), fc.uint8Array({ minLength: 256, maxLength: 600 }))
        .map((a) => Buffer.from(a));
  }
}

/** The value a field holds when it is not on the wire, from the schema. */
export function schemaDefault(field: FieldSpec, version: number): unknown {
  const t = field.type;
  if (field.default === null) return null;
  if (isArraySpec(t)) return [];
  if (isStructSpec(t)) return structDefault(t, version);
  if (field.default !== undefined) {
    return t === "int64" || t === "varlong" ? BigInt(field.default as number | bigint) : field.default;
  }
  switch (t) {
    case "bool":
      return false;
    case "int64":
    case "varlong":
      return 0n;
    case "string":
      return "";
    case "uuid":
      return "00000000-0000-0000-0000-000000000000";
    case "bytes":
      return Buffer.alloc(0);
    case "records":
      return null;
    default:
      return 0;
  }
}

function structDefault(spec: StructSpec, version: number): AnyStruct {
  const o: AnyStruct = {};
  for (const f of spec.fields) o[f.name] = schemaDefault(f, version);
  return o;
}

function onWire(field: FieldSpec, version: number, flexible: boolean): boolean {
  if (!inVersions(field.versions, version)) return false;
  if (field.tag === undefined) return true;
  return flexible && inVersions(field.taggedVersions, version);
}

const MAX_ARRAY = 3;

function fieldArbitrary(field: FieldSpec, version: number, flexible: boolean): fc.Arbitrary<unknown> {
  const t = field.type;
  let arb: fc.Arbitrary<unknown>;
  if (isArraySpec(t)) {
    const e = t.array;
    const elem = isStructSpec(e) ? structArbitrary(e, version, flexible) : primitiveArbitrary(e);
    arb = fc.array(elem, { maxLength: MAX_ARRAY });
  } else if (isStructSpec(t)) arb = structArbitrary(t, version, flexible);
  else arb = primitiveArbitrary(t);
  if (inVersions(field.nullableVersions, version)) return fc.option(arb, { nil: null, freq: 4 });
  return arb;
}

export function structArbitrary(
  spec: StructSpec | MessageSpec,
  version: number,
  flexible: boolean,
): fc.Arbitrary<AnyStruct> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of spec.fields) {
    parts[f.name] = onWire(f, version, flexible)
      ? fieldArbitrary(f, version, flexible)
      : fc.constant(null).map(() => schemaDefault(f, version));
  }
  return fc.record(parts) as fc.Arbitrary<AnyStruct>;
}

export function messageArbitrary(spec: MessageSpec, version: number): fc.Arbitrary<AnyStruct> {
  return structArbitrary(spec, version, inVersions(spec.flexibleVersions, version));
}

/** Every version of a message spec's validVersions. */
export function versionsOf(spec: MessageSpec): number[] {
  const [lo, hi] = spec.validVersions.split("-").map(Number);
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

/** JSON for failure messages, with bigint and Buffer shown readably. */
export function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x));
}
