/**
 * DescribeConfigs (key 32): the configuration of topics and brokers. Defined v0-4.
 *
 * v0: values with isDefault. v1: includeSynonyms; configSource and synonyms replace isDefault.
 * v2: unchanged. v3: includeDocumentation, and each config's type and documentation.
 * v4: first flexible version.
 *
 * Errors:
 * Per resource: UNKNOWN_TOPIC_OR_PARTITION for a topic that does not exist, INVALID_REQUEST for a bad name.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const DescribeConfigsRequest = {
  apiKey: 32,
  name: "DescribeConfigsRequest",
  kind: "request",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** The resources to describe. */
    {
      name: "resources",
      type: {
        array: {
          name: "DescribeConfigsResource",
          fields: [
            /** The resource's type: 2 topic, 4 broker, 8 broker logger. */
            { name: "resourceType", type: "int8", versions: "0+" },
            /** The resource's name (a topic name or a broker id as text). */
            { name: "resourceName", type: "string", versions: "0+" },
            /** The config names to describe, or null for all of them. */
            { name: "configurationKeys", type: { array: "string" }, versions: "0+", nullableVersions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
    /** Whether to return the config's synonyms (the values it would have at each level). */
    { name: "includeSynonyms", type: "bool", versions: "1+", default: false },
    /** Whether to return each config's documentation. */
    { name: "includeDocumentation", type: "bool", versions: "3+", default: false },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigsResponse = {
  apiKey: 32,
  name: "DescribeConfigsResponse",
  kind: "response",
  validVersions: "0-4",
  flexibleVersions: "4+",
  fields: [
    /** How long the request was delayed by a quota, in milliseconds; 0 when not throttled. */
    { name: "throttleTimeMs", type: "int32", versions: "0+" },
    /** The result for each topic. */
    {
      name: "results",
      type: {
        array: {
          name: "DescribeConfigsResult",
          fields: [
            /** The error code, or 0 for none. */
            { name: "errorCode", type: "int16", versions: "0+" },
            /** A human-readable explanation of the error, or null. */
            { name: "errorMessage", type: "string", versions: "0+", nullableVersions: "0+" },
            /** The resource's type: 2 topic, 4 broker, 8 broker logger. */
            { name: "resourceType", type: "int8", versions: "0+" },
            /** The resource's name (a topic name or a broker id as text). */
            { name: "resourceName", type: "string", versions: "0+" },
            /** The configs of the resource. */
            {
              name: "configs",
              type: {
                array: {
                  name: "DescribeConfigsResourceResult",
                  fields: [
                    /** The config name. */
                    { name: "name", type: "string", versions: "0+" },
                    /** The config value, or null when sensitive. */
                    { name: "value", type: "string", versions: "0+", nullableVersions: "0+" },
                    /** Whether the config cannot be updated. */
                    { name: "readOnly", type: "bool", versions: "0+" },
                    /** Whether the value is the default (v0 only; later versions say it with ConfigSource). */
                    { name: "isDefault", type: "bool", versions: "0" },
                    /** Where the value comes from: 1 topic, 2 dynamic broker, 3 dynamic default broker, 4 static broker, 5 default, 6 dynamic broker logger. */
                    { name: "configSource", type: "int8", versions: "1+", default: -1 },
                    /** Whether the value is sensitive, in which case it is returned as null. */
                    { name: "isSensitive", type: "bool", versions: "0+" },
                    /** The values the config would take at each level, most specific first. */
                    {
                      name: "synonyms",
                      type: {
                        array: {
                          name: "DescribeConfigsSynonym",
                          fields: [
                            /** The synonym's config name (e.g. the broker-level name of a topic config). */
                            { name: "name", type: "string", versions: "1+" },
                            /** The synonym's value, or null. */
                            { name: "value", type: "string", versions: "1+", nullableVersions: "0+" },
                            /** Where the synonym's value comes from (see ConfigSource). */
                            { name: "source", type: "int8", versions: "1+" },
                          ],
                        },
                      },
                      versions: "1+",
                    },
                    /** The config's type: 1 boolean, 2 string, 3 int, 4 short, 5 long, 6 double, 7 list, 8 class, 9 password. */
                    { name: "configType", type: "int8", versions: "3+", default: 0 },
                    /** The config's documentation, or null. */
                    { name: "documentation", type: "string", versions: "3+", nullableVersions: "0+" },
                  ],
                },
              },
              versions: "0+",
            },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const DescribeConfigs = {
  apiKey: 32,
  name: "DescribeConfigs",
  request: DescribeConfigsRequest,
  response: DescribeConfigsResponse,
} as const satisfies ApiSpec;

export type DescribeConfigsRequest = Message<typeof DescribeConfigsRequest>;
export type DescribeConfigsResponse = Message<typeof DescribeConfigsResponse>;
export type DescribeConfigsRequestInput = MessageInput<typeof DescribeConfigsRequest>;
export type DescribeConfigsResponseInput = MessageInput<typeof DescribeConfigsResponse>;
