/** The Kafka settings the model reads, by Kafka's property names, with Kafka's defaults. */
import type { ClusterSetup } from "../spec/adapter.ts";

/** Kafka's defaults for the settings the model reads, by Kafka's property names. */
export const MODEL_DEFAULTS = {
  "replica.lag.time.max.ms": 30000,
  "zookeeper.session.timeout.ms": 18000,
  "request.timeout.ms": 30000,
  "offsets.retention.ms": 604800000,
  "min.insync.replicas": 1,
  "unclean.leader.election.enable": false,
  /** 0: never forced; a kill -9 keeps what the OS page cache holds, so a crash loses nothing. */
  "log.flush.interval.messages": 0,
  "auto.create.topics.enable": true,
  "num.partitions": 1,
  "default.replication.factor": 1,
  "auto.leader.rebalance.enable": true,
  "leader.imbalance.check.interval.seconds": 300,
} as const;

export type ModelSettings = {
  -readonly [K in keyof typeof MODEL_DEFAULTS]: (typeof MODEL_DEFAULTS)[K] extends boolean ? boolean : number;
};

export function readSettings(config: ClusterSetup["config"]): ModelSettings {
  const out = { ...MODEL_DEFAULTS } as ModelSettings;
  for (const key of Object.keys(MODEL_DEFAULTS) as Array<keyof ModelSettings>) {
    const v = config[key];
    if (v === undefined) continue;
    if (typeof MODEL_DEFAULTS[key] === "boolean")
      (out as Record<string, unknown>)[key] = v === true || v === "true";
    else (out as Record<string, unknown>)[key] = Number(v);
  }
  return out;
}
