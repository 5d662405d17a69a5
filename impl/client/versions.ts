/**
 * ApiVersions negotiation, as Kafka's Java client and kafkajs do it: for each API, the highest version
 * both sides speak, min(our max, the broker's max), provided that is not below either side's min.
 * Pure: the broker's advertised ranges in, a version table out.
 */
import { type ApiKey, apis, isApiKey } from "../protocol/messages/index.ts";
import { definedRange } from "../protocol/versions.ts";

export interface AdvertisedRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** The version to use per API key; an API missing here is one the broker and we do not share. */
export type VersionTable = ReadonlyMap<ApiKey, number>;

export function negotiateVersions(advertised: readonly AdvertisedRange[]): VersionTable {
  const table = new Map<ApiKey, number>();
  for (const a of advertised) {
    if (!isApiKey(a.apiKey)) continue;
    const ours = definedRange(a.apiKey);
    const version = Math.min(ours.max, a.maxVersion);
    if (version < ours.min || version < a.minVersion) continue;
    table.set(a.apiKey, version);
  }
  return table;
}

/** Thrown (inside the client only) when a broker lacks an API an operation needs. */
export class UnsupportedApiError extends Error {
  override name = "UnsupportedApiError";
  constructor(readonly apiKey: ApiKey) {
    super(`the broker does not support ${apis[apiKey].name} (key ${apiKey}) at any version we speak`);
  }
}

/** The highest ApiVersions version we speak: what a client opens with (KIP-511). */
export const API_VERSIONS_MAX = definedRange(18).max;
