/**
 * Broker configuration by Kafka's own property names (server.properties). Unknown properties are kept
 * and reported, not rejected, because real server.properties files carry many settings we do not use.
 */
import { DEFAULT_MAX_OPEN_FILES } from "../storage/disk-fs.ts";
import { parseProperties } from "./properties.ts";

export interface Listener {
  name: string;
  host: string;
  port: number;
}

export interface BrokerConfig {
  brokerId: number;
  listeners: Listener[];
  advertisedListeners: Listener[];
  logDirs: string[];
  /** Absent: embedded metadata (one process). Present: "host:port[,host:port][/chroot]". */
  zookeeperConnect: string | null;
  zookeeperSessionTimeoutMs: number;
  numPartitions: number;
  defaultReplicationFactor: number;
  minInsyncReplicas: number;
  uncleanLeaderElectionEnable: boolean;
  autoCreateTopicsEnable: boolean;
  logSegmentBytes: number;
  logSegmentMs: number;
  logRetentionMs: number;
  logRetentionBytes: number;
  logFlushIntervalMessages: number;
  logFlushIntervalMs: number;
  replicaLagTimeMaxMs: number;
  replicaFetchWaitMaxMs: number;
  socketRequestMaxBytes: number;
  messageMaxBytes: number;
  offsetsTopicNumPartitions: number;
  offsetsTopicReplicationFactor: number;
  groupInitialRebalanceDelayMs: number;
  /**
   * max.partitions (KIP-578's name; Kafka itself has no such limit): partitions the cluster may hold in all.
   * CreateTopics, CreatePartitions and auto-creation beyond it are answered POLICY_VIOLATION.
   */
  maxPartitions: number;
  /**
   * kafkaspec.log.max.open.files: the most file descriptors the broker's storage keeps open at once
   * (segments, indexes, checkpoints are opened on use and closed least recently used). Kafka has no such
   * setting (it keeps every segment's files open), hence our prefix. Default: a quarter of the process's
   * RLIMIT_NOFILE, between 8 and 512, so client and peer sockets keep most descriptors.
   */
  logMaxOpenFiles: number;
  /** Every property as given, for DescribeConfigs and for settings read elsewhere. */
  raw: Map<string, string>;
  /** Properties we do not act on: printed once at start so nobody thinks they took effect. */
  ignored: string[];
}

/**
 * Default max.partitions. Kafka's guidance for ZooKeeper-mode clusters is up to 4,000 partitions per broker
 * (Jun Rao, "Apache Kafka Supports 200K Partitions Per Cluster", confluent.io blog, 2018); creating a
 * partition here costs about 10 ms of fsyncs on the broker's event loop, so more is rarely wise.
 */
export const DEFAULT_MAX_PARTITIONS = 4_000;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const KNOWN = new Set([
  "broker.id",
  "node.id",
  "listeners",
  "advertised.listeners",
  "advertised.host.name",
  "advertised.port",
  "port",
  "host.name",
  "log.dirs",
  "log.dir",
  "zookeeper.connect",
  "zookeeper.session.timeout.ms",
  "zookeeper.connection.timeout.ms",
  "num.partitions",
  "default.replication.factor",
  "min.insync.replicas",
  "unclean.leader.election.enable",
  "auto.create.topics.enable",
  "log.segment.bytes",
  "log.roll.ms",
  "log.roll.hours",
  "log.retention.ms",
  "log.retention.minutes",
  "log.retention.hours",
  "log.retention.bytes",
  "log.flush.interval.messages",
  "log.flush.interval.ms",
  "replica.lag.time.max.ms",
  "replica.fetch.wait.max.ms",
  "socket.request.max.bytes",
  "message.max.bytes",
  "offsets.topic.num.partitions",
  "offsets.topic.replication.factor",
  "group.initial.rebalance.delay.ms",
  "max.partitions",
  "kafkaspec.log.max.open.files",
  "listener.security.protocol.map",
  "inter.broker.listener.name",
  // Controlled shutdown (read by the runtime; request.timeout.ms bounds each of its attempts).
  "controlled.shutdown.enable",
  "controlled.shutdown.max.retries",
  "controlled.shutdown.retry.backoff.ms",
  "request.timeout.ms",
]);

function parseListener(spec: string, what: string): Listener {
  const m = /^([A-Za-z_][A-Za-z0-9_]*):\/\/(\[[^\]]*\]|[^:]*):(\d+)$/.exec(spec.trim());
  if (!m) throw new ConfigError(`${what}: "${spec}" is not NAME://host:port`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`${what}: port ${port} is out of range`);
  return { name: m[1].toUpperCase(), host: m[2].replace(/^\[|\]$/g, ""), port };
}

function listeners(value: string | undefined, what: string): Listener[] {
  if (value === undefined || value.trim() === "") return [];
  return value.split(",").map((s) => parseListener(s, what));
}

/** Reads a property map into a BrokerConfig, applying Kafka's defaults. */
export function brokerConfigFrom(props: Map<string, string>): BrokerConfig {
  const int = (name: string, fallback: number, min = Number.MIN_SAFE_INTEGER): number => {
    const v = props.get(name);
    if (v === undefined || v.trim() === "") return fallback;
    if (!/^-?\d+$/.test(v.trim())) throw new ConfigError(`${name}: "${v}" is not an integer`);
    const n = Number(v.trim());
    if (n < min) throw new ConfigError(`${name}: ${n} is below the minimum ${min}`);
    return n;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const v = props.get(name)?.trim().toLowerCase();
    if (v === undefined || v === "") return fallback;
    if (v !== "true" && v !== "false") throw new ConfigError(`${name}: "${v}" is not true or false`);
    return v === "true";
  };

  const brokerId = props.has("node.id") ? int("node.id", 0, 0) : int("broker.id", 0, 0);
  let ls = listeners(props.get("listeners"), "listeners");
  if (ls.length === 0) {
    ls = [{ name: "PLAINTEXT", host: props.get("host.name") ?? "", port: int("port", 9092, 0) }];
  }
  let advertised = listeners(props.get("advertised.listeners"), "advertised.listeners");
  if (advertised.length === 0) advertised = ls.map((l) => ({ ...l, host: l.host || "localhost" }));

  const retentionMs = props.has("log.retention.ms")
    ? int("log.retention.ms", -1)
    : props.has("log.retention.minutes")
      ? int("log.retention.minutes", 0) * 60_000
      : int("log.retention.hours", 168) * 3_600_000;
  const segmentMs = props.has("log.roll.ms")
    ? int("log.roll.ms", 0, 1)
    : int("log.roll.hours", 168, 1) * 3_600_000;
  const dirs = (props.get("log.dirs") ?? props.get("log.dir") ?? "/tmp/kafka-logs")
    .split(",")
    .map((d) => d.trim())
    .filter((d) => d !== "");

  return {
    brokerId,
    listeners: ls,
    advertisedListeners: advertised,
    logDirs: dirs,
    zookeeperConnect: props.get("zookeeper.connect")?.trim() || null,
    zookeeperSessionTimeoutMs: int("zookeeper.session.timeout.ms", 18_000, 1),
    numPartitions: int("num.partitions", 1, 1),
    defaultReplicationFactor: int("default.replication.factor", 1, 1),
    minInsyncReplicas: int("min.insync.replicas", 1, 1),
    uncleanLeaderElectionEnable: bool("unclean.leader.election.enable", false),
    autoCreateTopicsEnable: bool("auto.create.topics.enable", true),
    logSegmentBytes: int("log.segment.bytes", 1_073_741_824, 14),
    logSegmentMs: segmentMs,
    logRetentionMs: retentionMs,
    logRetentionBytes: int("log.retention.bytes", -1),
    logFlushIntervalMessages: int("log.flush.interval.messages", Number.MAX_SAFE_INTEGER, 1),
    logFlushIntervalMs: int("log.flush.interval.ms", Number.MAX_SAFE_INTEGER, 0),
    replicaLagTimeMaxMs: int("replica.lag.time.max.ms", 30_000, 1),
    replicaFetchWaitMaxMs: int("replica.fetch.wait.max.ms", 500, 0),
    socketRequestMaxBytes: int("socket.request.max.bytes", 104_857_600, 1),
    messageMaxBytes: int("message.max.bytes", 1_048_588, 0),
    offsetsTopicNumPartitions: int("offsets.topic.num.partitions", 50, 1),
    offsetsTopicReplicationFactor: int("offsets.topic.replication.factor", 3, 1),
    groupInitialRebalanceDelayMs: int("group.initial.rebalance.delay.ms", 3_000, 0),
    maxPartitions: int("max.partitions", DEFAULT_MAX_PARTITIONS, 1),
    logMaxOpenFiles: int("kafkaspec.log.max.open.files", DEFAULT_MAX_OPEN_FILES, 1),
    raw: props,
    ignored: [...props.keys()].filter((k) => !KNOWN.has(k)),
  };
}

export function parseBrokerConfig(text: string): BrokerConfig {
  return brokerConfigFrom(parseProperties(text));
}
