/**
 * The schema language for Kafka protocol messages: messages are data, one codec interprets them.
 *
 * It follows the shape of Kafka's own JSON message specs (and franz-go's definitions): a message has an
 * api key, the versions it is valid in, the versions that are "flexible" (KIP-482: compact lengths as
 * unsigned varints, tagged fields after every struct), and an ordered list of fields, each with the
 * versions it exists in. Field names are camelCase forms of Kafka's names (`ThrottleTimeMs` ->
 * `throttleTimeMs`) so a name means the same thing in the spec, the codec and the broker.
 *
 * The TypeScript types of decoded messages are derived from the schema literals themselves
 * (`Message<typeof X>`), so the schema is the single source of truth for the wire and for the types.
 */

/**
 * A version range as Kafka writes it: "3+" (3 and later), "0-2" (inclusive), "5" (just 5) or "none".
 * Kept as text so a schema reads like Kafka's JSON and the protocol guide.
 */
export type Versions = string;

/** Scalar wire types. `records` is a RecordBatch byte sequence kept as a Buffer slice (never parsed here). */
export type PrimitiveType =
  | "bool"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "int64"
  | "varint"
  | "varlong"
  | "float64"
  | "uuid"
  | "string"
  | "bytes"
  | "records";

/** A named group of fields: the body of a message, an array element, or a single nested struct. */
export interface StructSpec {
  /** Kafka's name for the struct type (`TopicProduceData`); used in error paths and docs. */
  readonly name: string;
  readonly fields: readonly FieldSpec[];
}

/** An array of a primitive type or of structs. Array lengths are int32 (or compact uvarint when flexible). */
export interface ArraySpec {
  readonly array: PrimitiveType | StructSpec;
}

export type FieldType = PrimitiveType | ArraySpec | StructSpec;

/** A literal default as a field holds it in memory (bigint for int64/varlong). */
export type DefaultValue = number | bigint | boolean | string | null;

export interface FieldSpec {
  /** camelCase name, the property name in decoded objects. */
  readonly name: string;
  readonly type: FieldType;
  /** Versions in which the field is on the wire. Outside them it decodes to its default. */
  readonly versions: Versions;
  /** Versions in which the field may be null (strings, bytes, records, arrays, structs). */
  readonly nullableVersions?: Versions;
  /** The value when the field is absent from a version; also the value a tagged field is omitted at. */
  readonly default?: DefaultValue;
  /** Tag number: in `taggedVersions` the field travels in the tagged-field section, not in line. */
  readonly tag?: number;
  readonly taggedVersions?: Versions;
  /** Overrides the message's flexible versions for this one field (Kafka uses "none" for clientId). */
  readonly flexibleVersions?: Versions;
}

export type MessageKind = "request" | "response";

export interface MessageSpec {
  readonly apiKey: number;
  /** Kafka's message name, e.g. `ProduceRequest`. */
  readonly name: string;
  readonly kind: MessageKind;
  /** The versions we define (may be a prefix of what Kafka defines). */
  readonly validVersions: Versions;
  readonly flexibleVersions: Versions;
  readonly fields: readonly FieldSpec[];
}

/** One API: request and response side by side. */
export interface ApiSpec {
  readonly apiKey: number;
  /** Kafka's API name, e.g. `Produce`. */
  readonly name: string;
  readonly request: MessageSpec;
  readonly response: MessageSpec;
}

// ---------------------------------------------------------------------------------------------------
// Version ranges
// ---------------------------------------------------------------------------------------------------

/** A parsed version range; `max` is Infinity for "n+", and `min > max` for "none". */
export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

const NONE: VersionRange = { min: 1, max: 0 };

const rangeCache = new Map<string, VersionRange>();

/** Parses "3+", "0-2", "5" or "none". Throws on anything else: schemas are code, so a typo is a bug. */
export function parseVersions(text: Versions): VersionRange {
  const cached = rangeCache.get(text);
  if (cached) return cached;
  let range: VersionRange;
  if (text === "none") range = NONE;
  else if (/^\d+\+$/.test(text)) range = { min: Number(text.slice(0, -1)), max: Number.POSITIVE_INFINITY };
  else if (/^\d+-\d+$/.test(text)) {
    const [lo, hi] = text.split("-").map(Number);
    range = { min: lo, max: hi };
  } else if (/^\d+$/.test(text)) range = { min: Number(text), max: Number(text) };
  else throw new Error(`bad version range "${text}"`);
  rangeCache.set(text, range);
  return range;
}

export function inVersions(text: Versions | undefined, version: number): boolean {
  if (text === undefined) return false;
  const r = parseVersions(text);
  return version >= r.min && version <= r.max;
}

/** The inclusive [min, max] of a message's validVersions (which is always bounded). */
export function versionBounds(spec: MessageSpec): { min: number; max: number } {
  const r = parseVersions(spec.validVersions);
  if (!Number.isFinite(r.max)) throw new Error(`${spec.name}: validVersions must be bounded`);
  return { min: r.min, max: r.max };
}

export function isArraySpec(t: FieldType): t is ArraySpec {
  return typeof t === "object" && "array" in t;
}

export function isStructSpec(t: FieldType | PrimitiveType | StructSpec): t is StructSpec {
  return typeof t === "object" && "fields" in t;
}

// ---------------------------------------------------------------------------------------------------
// Types derived from schema literals
// ---------------------------------------------------------------------------------------------------

/** In-memory type of a primitive: int64/varlong are bigint so every 64-bit value round-trips exactly. */
export type PrimitiveValue<P> = P extends "bool"
  ? boolean
  : P extends "int64" | "varlong"
    ? bigint
    : P extends "string" | "uuid"
      ? string
      : P extends "bytes" | "records"
        ? Buffer
        : number;

type NullIf<F> = F extends { readonly nullableVersions: string } ? null : never;

type TypeValue<T> = T extends PrimitiveType
  ? PrimitiveValue<T>
  : T extends { readonly array: infer E }
    ? E extends PrimitiveType
      ? PrimitiveValue<E>[]
      : E extends StructSpec
        ? StructValue<E>[]
        : never
    : T extends StructSpec
      ? StructValue<T>
      : never;

export type FieldValue<F extends FieldSpec> = TypeValue<F["type"]> | NullIf<F>;

/** A decoded struct: every field is present (absent-in-version fields hold their defaults). */
export type StructValue<S extends { readonly fields: readonly FieldSpec[] }> = {
  [F in S["fields"][number] as F["name"]]: FieldValue<F>;
};

/** A decoded message body. */
export type Message<S extends { readonly fields: readonly FieldSpec[] }> = StructValue<S>;

type InputTypeValue<T> = T extends PrimitiveType
  ? PrimitiveValue<T>
  : T extends { readonly array: infer E }
    ? E extends PrimitiveType
      ? readonly PrimitiveValue<E>[]
      : E extends StructSpec
        ? readonly StructInput<E>[]
        : never
    : T extends StructSpec
      ? StructInput<T>
      : never;

type InputValue<F extends FieldSpec> = InputTypeValue<F["type"]> | NullIf<F>;

/** A field must be given when it is on the wire in every version and has no default; others may be left out. */
type RequiredField<F> = F extends { readonly versions: "0+" }
  ? F extends { readonly default: DefaultValue }
    ? never
    : F extends { readonly tag: number }
      ? never
      : F
  : never;

type Simplify<T> = { [K in keyof T]: T[K] };

export type StructInput<S extends { readonly fields: readonly FieldSpec[] }> = Simplify<
  {
    [F in RequiredField<S["fields"][number]> as F["name"]]: InputValue<F>;
  } & {
    [F in S["fields"][number] as F["name"]]?: InputValue<F>;
  }
>;

/** What the encoder accepts: a message body whose optional fields default. */
export type MessageInput<S extends { readonly fields: readonly FieldSpec[] }> = StructInput<S>;

/** A loosely typed struct for schema-generic code (codec internals, generators). */
export type AnyStruct = Record<string, unknown>;
