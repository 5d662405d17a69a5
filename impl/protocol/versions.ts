/**
 * The version ranges our broker advertises in ApiVersions: derived from the schema files, in one place.
 *
 * We advertise every version we define, because clients do not all negotiate the same way:
 * - kafka-python 2.0.x infers a broker release from the advertised maxima (Produce v8 -> 2.4, Fetch v11 ->
 *   2.3, Metadata v4 -> 0.11 and so on) and then uses fixed, older versions (Metadata v1, Fetch v4,
 *   JoinGroup v2, ...). So every version in a range must be served, not just the maximum, and the maxima
 *   must be high enough that it picks RecordBatch v2 (Metadata >= 4).
 * - kafkajs takes min(its max, our max) per API and fails if a key it needs is missing.
 * - librdkafka opens with ApiVersions v3 and gates features on ranges (Produce >= 3 and Fetch >= 4 for
 *   RecordBatch v2; InitProducerId for the idempotent producer).
 * A broker that cannot serve a version yet narrows it here with `advertisedRanges({ cap })`, never in the
 * schema files.
 */
import { type ApiKey, apis } from "./messages/index.ts";
import { versionBounds } from "./types.ts";

export interface ApiVersionRange {
  apiKey: ApiKey;
  minVersion: number;
  maxVersion: number;
}

/** The versions of `apiKey` the codec can encode and decode (request and response agree by construction). */
export function definedRange(apiKey: ApiKey): { min: number; max: number } {
  const api = apis[apiKey];
  const req = versionBounds(api.request);
  const res = versionBounds(api.response);
  if (req.min !== res.min || req.max !== res.max) {
    throw new Error(`${api.name}: request and response define different versions`);
  }
  return req;
}

export interface AdvertiseOptions {
  /** Lower maxima for APIs the broker cannot serve at our full range (a missing key is left out). */
  cap?: Partial<Record<ApiKey, number | null>>;
}

/** The ranges for an ApiVersions response, ascending by key. `cap[k] = null` leaves key k out. */
export function advertisedRanges(options: AdvertiseOptions = {}): ApiVersionRange[] {
  const out: ApiVersionRange[] = [];
  for (const key of Object.keys(apis).map(Number) as ApiKey[]) {
    const { min, max } = definedRange(key);
    const cap = options.cap?.[key];
    if (cap === null) continue;
    const maxVersion = cap === undefined ? max : Math.min(max, cap);
    if (maxVersion < min) continue;
    out.push({ apiKey: key, minVersion: min, maxVersion });
  }
  return out.sort((a, b) => a.apiKey - b.apiKey);
}

/** Whether we can decode `apiKey` at `version`. */
export function isSupported(apiKey: ApiKey, version: number): boolean {
  const { min, max } = definedRange(apiKey);
  return Number.isInteger(version) && version >= min && version <= max;
}
