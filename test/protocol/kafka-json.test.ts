/**
 * Checks our schemas against Apache Kafka's own JSON message specs, version by version: the wire layout
 * (field order, names, types, nullability, tags) and the defaults must match for every version we define.
 *
 * The JSON comes from the kafka-clients jar in ~/.m2 (read with `unzip -p`; nothing is committed), or
 * from a directory named by KAFKA_MESSAGE_JSON_DIR. Without either the test is skipped and says so.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type ApiKey, apis } from "../../impl/protocol/index.ts";
import {
  type FieldSpec,
  inVersions,
  isArraySpec,
  isStructSpec,
  type MessageSpec,
  parseVersions,
  type StructSpec,
} from "../../impl/protocol/types.ts";

interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  default?: string | number | boolean;
  tag?: number;
  taggedVersions?: string;
  flexibleVersions?: string;
  fields?: JsonField[];
}
interface JsonMessage {
  apiKey: number;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: { name: string; versions: string; fields: JsonField[] }[];
}

function findJar(): string | null {
  const dir = path.join(os.homedir(), ".m2/repository/org/apache/kafka/kafka-clients");
  if (!fs.existsSync(dir)) return null;
  const versions = fs.readdirSync(dir).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  for (const v of versions.reverse()) {
    const jar = path.join(dir, v, `kafka-clients-${v}.jar`);
    if (fs.existsSync(jar)) return jar;
  }
  return null;
}

/** A loader for Kafka's message JSON by file name, or the reason there is none. */
function jsonSource(): { load: (name: string) => string; from: string } | { skip: string } {
  const dir = process.env.KAFKA_MESSAGE_JSON_DIR;
  if (dir) return { load: (n) => fs.readFileSync(path.join(dir, `${n}.json`), "utf8"), from: dir };
  const jar = findJar();
  if (!jar) return { skip: "no kafka-clients jar in ~/.m2 and KAFKA_MESSAGE_JSON_DIR unset" };
  try {
    execFileSync("unzip", ["-v"], { stdio: "ignore" });
  } catch {
    return { skip: "unzip is not installed, cannot read the kafka-clients jar" };
  }
  return {
    load: (n) => execFileSync("unzip", ["-p", jar, `common/message/${n}.json`], { encoding: "utf8" }),
    from: jar,
  };
}

function parseJson(text: string): JsonMessage {
  // Kafka's spec files carry // comments, which JSON does not allow.
  return JSON.parse(
    text
      .split("\n")
      .filter((l) => !l.trim().startsWith("//"))
      .join("\n"),
  );
}

const camel = (n: string) => n[0].toLowerCase() + n.slice(1);

/** Kafka's default text as our in-memory value, shown as a string for comparison. */
function jsonDefault(f: JsonField): string {
  const base = f.type.startsWith("[]") ? "array" : f.type;
  if (f.default === undefined) return implicitDefault(base, f.fields !== undefined || /^[A-Z]/.test(base));
  const d = String(f.default);
  if (d === "null") return "null";
  if (base === "int64") return `${BigInt(d)}n`;
  if (base === "bool" || base === "string")
    return JSON.stringify(d === "true" ? true : d === "false" ? false : d);
  if (["int8", "int16", "int32", "uint16", "float64"].includes(base)) return String(Number(d));
  return implicitDefault(base, false);
}

function implicitDefault(base: string, struct: boolean): string {
  if (base === "array") return "[]";
  if (struct) return "struct";
  switch (base) {
    case "bool":
      return "false";
    case "int64":
      return "0n";
    case "string":
      return '""';
    case "uuid":
      return "zero";
    case "bytes":
      return "empty";
    case "records":
      return "null";
    default:
      return "0";
  }
}

function ourDefault(f: FieldSpec): string {
  const t = f.type;
  if (f.default === null) return "null";
  if (isArraySpec(t)) return "[]";
  if (isStructSpec(t)) return "struct";
  if (f.default !== undefined) {
    if (t === "int64") return `${BigInt(f.default as number | bigint)}n`;
    if (typeof f.default === "boolean" || typeof f.default === "string") return JSON.stringify(f.default);
    return String(f.default);
  }
  return implicitDefault(t, false);
}

function ourTypeName(f: FieldSpec): string {
  const t = f.type;
  if (isArraySpec(t)) return `[]${isStructSpec(t.array) ? t.array.name : t.array}`;
  if (isStructSpec(t)) return t.name;
  return t;
}

/** One line per field on the wire (and per field, its default), for one version. */
function ourLayout(fields: readonly FieldSpec[], v: number, flex: boolean, at: string): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (!inVersions(f.versions, v)) continue;
    const tagged = f.tag !== undefined;
    if (tagged && !(flex && inVersions(f.taggedVersions, v))) continue;
    const compact = flex && (f.flexibleVersions === undefined || inVersions(f.flexibleVersions, v));
    const nullable = inVersions(f.nullableVersions, v);
    out.push(
      `${at}${f.name}: ${ourTypeName(f)}${nullable ? "?" : ""}${tagged ? ` tag ${f.tag}` : ""}${compact ? "" : " classic"} = ${ourDefault(f)}`,
    );
    const t = f.type;
    const sub: StructSpec | null =
      isArraySpec(t) && isStructSpec(t.array) ? t.array : isStructSpec(t) ? t : null;
    if (sub) out.push(...ourLayout(sub.fields, v, flex, `${at}${f.name}.`));
  }
  return out;
}

function jsonLayout(msg: JsonMessage, fields: JsonField[], v: number, flex: boolean, at: string): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (!inVersions(f.versions, v)) continue;
    const tagged = f.tag !== undefined;
    if (tagged && !(flex && inVersions(f.taggedVersions, v))) continue;
    const compact = flex && (f.flexibleVersions === undefined || inVersions(f.flexibleVersions, v));
    const nullable = inVersions(f.nullableVersions, v);
    out.push(
      `${at}${camel(f.name)}: ${f.type}${nullable ? "?" : ""}${tagged ? ` tag ${f.tag}` : ""}${compact ? "" : " classic"} = ${jsonDefault(f)}`,
    );
    const base = f.type.replace(/^\[\]/, "");
    const sub = f.fields ?? msg.commonStructs?.find((c) => c.name === base)?.fields;
    if (sub) out.push(...jsonLayout(msg, sub, v, flex, `${at}${camel(f.name)}.`));
  }
  return out;
}

const source = jsonSource();
const keys = Object.keys(apis).map(Number) as ApiKey[];

describe.skipIf("skip" in source)(
  `schemas match Kafka's JSON specs (${"skip" in source ? `skipped: ${source.skip}` : source.from})`,
  () => {
    if ("skip" in source) return;
    const specs: MessageSpec[] = keys.flatMap((k) => [apis[k].request, apis[k].response]);
    it.each(specs.map((s) => [s.name, s] as const))("%s", (_name, spec) => {
      const json = parseJson(source.load(spec.name));
      expect(json.apiKey).toBe(spec.apiKey);
      const ours = parseVersions(spec.validVersions);
      const theirs = parseVersions(json.validVersions);
      expect(ours.min).toBe(theirs.min);
      expect(ours.max).toBeLessThanOrEqual(theirs.max);
      for (let v = ours.min; v <= ours.max; v++) {
        const flex = inVersions(spec.flexibleVersions, v);
        expect(flex, `flexible at v${v}`).toBe(inVersions(json.flexibleVersions, v));
        expect(ourLayout(spec.fields, v, flex, ""), `${spec.name} v${v}`).toEqual(
          jsonLayout(json, json.fields, v, flex, ""),
        );
      }
    });
  },
);

if ("skip" in source) {
  // Shown as skipped, with the reason in its name, rather than passing vacuously.
  it.skip(`Kafka JSON comparison: ${source.skip}`, () => {});
}
