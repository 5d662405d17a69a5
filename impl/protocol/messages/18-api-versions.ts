/**
 * ApiVersions (key 18): the API version ranges a broker serves. Defined v0-3.
 *
 * v0: error code and the ranges. v1: throttle time. v2: unchanged.
 * v3: first flexible version; the client names its software (KIP-511); the response carries tagged
 * feature fields (KIP-584). The response header is always v0 (no tagged fields) so a client can read it
 * before it knows what the broker supports; an unsupported request version is answered in the v0
 * layout with UNSUPPORTED_VERSION and key 18's range, so the client can retry at a version we serve.
 *
 * Errors:
 * UNSUPPORTED_VERSION: the request version is above ours (answered in the v0 layout).
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const ApiVersionsRequest = {
  apiKey: 18,
  name: "ApiVersionsRequest",
  kind: "request",
  validVersions: "0-3",
  flexibleVersions: "3+",
  fields: [
    /** The client library's name (KIP-511), for the broker's metrics and logs. */
    { name: "clientSoftwareName", type: "string", versions: "3+" },
    /** The client library's version (KIP-511). */
    { name: "clientSoftwareVersion", type: "string", versions: "3+" },
  ],
} as const satisfies MessageSpec;

export const ApiVersionsResponse = {
  apiKey: 18,
  name: "ApiVersionsResponse",
  kind: "response",
  validVersions: "0-3",
  flexibleVersions: "3+",
  fields: [
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** Every API the broker serves, with its version range. */
    {
      name: "apiKeys",
      type: {
        array: {
          name: "ApiVersion",
          fields: [
            /** The API key. */
            { name: "apiKey", type: "int16", versions: "0+" },
            /** The lowest version supported. */
            { name: "minVersion", type: "int16", versions: "0+" },
            /** The highest version supported. */
            { name: "maxVersion", type: "int16", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "1+" },
    /** Features the broker supports (KIP-584). */
    {
      name: "supportedFeatures",
      type: {
        array: {
          name: "SupportedFeatureKey",
          fields: [
            /** The feature name. */
            { name: "name", type: "string", versions: "3+" },
            /** The lowest version supported. */
            { name: "minVersion", type: "int16", versions: "3+" },
            /** The highest version supported. */
            { name: "maxVersion", type: "int16", versions: "3+" },
          ],
        },
      },
      versions: "3+",
      tag: 0,
      taggedVersions: "3+",
    },
    /** The version of the finalized features, -1 if unknown. */
    {
      name: "finalizedFeaturesEpoch",
      type: "int64",
      versions: "3+",
      default: -1n,
      tag: 1,
      taggedVersions: "3+",
    },
    /** Cluster-wide finalized feature levels (KIP-584). */
    {
      name: "finalizedFeatures",
      type: {
        array: {
          name: "FinalizedFeatureKey",
          fields: [
            /** The feature name. */
            { name: "name", type: "string", versions: "3+" },
            /** The highest feature level. */
            { name: "maxVersionLevel", type: "int16", versions: "3+" },
            /** The lowest feature level. */
            { name: "minVersionLevel", type: "int16", versions: "3+" },
          ],
        },
      },
      versions: "3+",
      tag: 2,
      taggedVersions: "3+",
    },
    /** Whether the sender is ready for ZooKeeper to KRaft migration (KIP-866). */
    { name: "zkMigrationReady", type: "bool", versions: "3+", default: false, tag: 3, taggedVersions: "3+" },
  ],
} as const satisfies MessageSpec;

export const ApiVersions = {
  apiKey: 18,
  name: "ApiVersions",
  request: ApiVersionsRequest,
  response: ApiVersionsResponse,
} as const satisfies ApiSpec;

export type ApiVersionsRequest = Message<typeof ApiVersionsRequest>;
export type ApiVersionsResponse = Message<typeof ApiVersionsResponse>;
export type ApiVersionsRequestInput = MessageInput<typeof ApiVersionsRequest>;
export type ApiVersionsResponseInput = MessageInput<typeof ApiVersionsResponse>;
