import type { TimestampType } from "../records/types.ts";

/**
 * A partition log's configuration, keyed by Kafka's topic-level property names so DescribeConfigs,
 * CreateTopics and server.properties all speak the same words. Defaults are Kafka's.
 * "No limit" values (Long.MAX_VALUE in Kafka, -1 for retention) stay as Kafka spells them.
 */
export interface LogConfig {
  "segment.bytes": number;
  "segment.ms": number;
  "segment.index.bytes": number;
  "index.interval.bytes": number;
  /** -1: keep forever. */
  "retention.ms": number;
  /** -1: no size limit. */
  "retention.bytes": number;
  "flush.messages": number;
  "flush.ms": number;
  "max.message.bytes": number;
  "message.timestamp.type": TimestampType;
}

/** Kafka's Long.MAX_VALUE as a JS number: "never" for flush.messages and flush.ms. */
export const LONG_MAX = Number(9223372036854775807n);

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  "segment.bytes": 1073741824,
  "segment.ms": 604800000,
  "segment.index.bytes": 10485760,
  "index.interval.bytes": 4096,
  "retention.ms": 604800000,
  "retention.bytes": -1,
  "flush.messages": LONG_MAX,
  "flush.ms": LONG_MAX,
  "max.message.bytes": 1048588,
  "message.timestamp.type": "CreateTime",
});

export class InvalidConfigError extends Error {
  readonly error = "INVALID_CONFIG" as const;
}

type Scale = 1 | 60000 | 3600000;
/**
 * Broker-level names (server.properties) for each topic-level name, most specific first; Kafka's
 * precedence: log.roll.ms over log.roll.hours, log.retention.ms over .minutes over .hours.
 */
const BROKER_NAMES: Record<keyof LogConfig, readonly [string, Scale][]> = {
  "segment.bytes": [["log.segment.bytes", 1]],
  "segment.ms": [
    ["log.roll.ms", 1],
    ["log.roll.hours", 3600000],
  ],
  "segment.index.bytes": [["log.index.size.max.bytes", 1]],
  "index.interval.bytes": [["log.index.interval.bytes", 1]],
  "retention.ms": [
    ["log.retention.ms", 1],
    ["log.retention.minutes", 60000],
    ["log.retention.hours", 3600000],
  ],
  "retention.bytes": [["log.retention.bytes", 1]],
  "flush.messages": [["log.flush.interval.messages", 1]],
  "flush.ms": [["log.flush.interval.ms", 1]],
  "max.message.bytes": [["message.max.bytes", 1]],
  "message.timestamp.type": [["log.message.timestamp.type", 1]],
};

/** Lower bounds Kafka enforces (segment.bytes >= 14, the size of one legacy message header). */
const MINIMUM: Partial<Record<keyof LogConfig, number>> = {
  "segment.bytes": 14,
  "segment.ms": 1,
  "segment.index.bytes": 8,
  "index.interval.bytes": 0,
  "retention.ms": -1,
  "retention.bytes": -1,
  "flush.messages": 1,
  "flush.ms": 0,
  "max.message.bytes": 0,
};

export const LOG_CONFIG_NAMES = Object.keys(DEFAULT_LOG_CONFIG) as (keyof LogConfig)[];

function parseNumber(name: string, raw: string, scale: number): number {
  const trimmed = raw.trim();
  if (!/^-?\d+$/.test(trimmed)) throw new InvalidConfigError(`${name}=${raw} is not an integer`);
  const n = Number(trimmed);
  return n === -1 ? -1 : n * scale;
}

/**
 * Builds a LogConfig from a properties map: topic-level names ("retention.ms") override broker-level
 * ones ("log.retention.hours"), which override `base` (Kafka's defaults unless given). Unknown keys
 * are ignored, so a whole server.properties can be passed. Throws InvalidConfigError on a bad value.
 */
export function parseLogConfig(
  props: Readonly<Record<string, string>> | ReadonlyMap<string, string>,
  base: Readonly<LogConfig> = DEFAULT_LOG_CONFIG,
): LogConfig {
  const get = (k: string): string | undefined =>
    props instanceof Map ? props.get(k) : (props as Record<string, string>)[k];
  const out: LogConfig = { ...base };
  for (const name of LOG_CONFIG_NAMES) {
    let raw: string | undefined = get(name);
    let scale: number = 1;
    let source: string = name;
    if (raw === undefined) {
      for (const [broker, s] of BROKER_NAMES[name]) {
        const v = get(broker);
        if (v !== undefined) {
          raw = v;
          scale = s;
          source = broker;
          break;
        }
      }
    }
    if (raw === undefined) continue;
    if (name === "message.timestamp.type") {
      const t = raw.trim();
      if (t !== "CreateTime" && t !== "LogAppendTime") throw new InvalidConfigError(`${source}=${raw}`);
      out[name] = t;
      continue;
    }
    const value = parseNumber(source, raw, scale);
    const min = MINIMUM[name] ?? 0;
    if (value < min) throw new InvalidConfigError(`${source}=${raw} is below the minimum ${min}`);
    (out as unknown as Record<string, number>)[name] = value;
  }
  return out;
}

/** The config as Kafka property strings (for DescribeConfigs); Long.MAX_VALUE printed exactly. */
export function logConfigEntries(config: Readonly<LogConfig>): [string, string][] {
  return LOG_CONFIG_NAMES.map((n) => {
    const v = config[n];
    return [n, typeof v === "number" && v >= LONG_MAX ? "9223372036854775807" : String(v)];
  });
}
