/**
 * `kafkaspec broker --config server.properties`: one broker by Kafka's property names. Embedded
 * metadata when zookeeper.connect is absent (a single-broker cluster), ZooKeeper when it is present.
 */
import { readFileSync } from "node:fs";
import { type CliCommand, EXIT_FAILED, EXIT_OK, parseStrict, UsageError } from "../command.ts";
import type { Io } from "../io.ts";

const USAGE = [
  "kafkaspec broker --config server.properties [--override key=value ...] [--seeded-fault NAME ...]",
  "  runs one broker; zookeeper.connect set: metadata in ZooKeeper, else embedded (single broker)",
  "  --seeded-fault NAME  switch on a seeded bug (impl/faults/catalog.ts), for testing the suite; repeatable",
];

export function parseOverrides(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of list ?? []) {
    const i = o.indexOf("=");
    if (i <= 0) throw new UsageError(`--override must be key=value, got "${o}"`);
    out[o.slice(0, i).trim()] = o.slice(i + 1).trim();
  }
  return out;
}

/** Resolves on SIGTERM or SIGINT (and removes its listeners). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off("SIGTERM", term);
      process.off("SIGINT", int);
      resolve(sig);
    };
    const term = () => on("SIGTERM");
    const int = () => on("SIGINT");
    process.on("SIGTERM", term);
    process.on("SIGINT", int);
  });
}

/**
 * Last line of defence while serving: an error that escaped every handler (a rejection nobody awaited, a
 * throw in a callback) is logged in one line and the process keeps serving. Node's default would exit,
 * taking every partition this process leads and every client connection with it for one bad request;
 * each known path catches its own errors, so this only catches what they missed, and the log line says
 * so. Returns a function that removes the handlers (after shutdown, a failure may end the process).
 */
export function keepServingOnStrayErrors(log: (line: string) => void, who: string): () => void {
  const describe = (e: unknown) =>
    (e instanceof Error ? (e.stack ?? e.message) : String(e)).split("\n", 2).join(" ");
  const onRejection = (e: unknown) => log(`${who}: unhandled rejection, still serving: ${describe(e)}`);
  const onException = (e: unknown) => log(`${who}: uncaught exception, still serving: ${describe(e)}`);
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}

export const brokerCommand: CliCommand = {
  name: "broker",
  summary: "run one Kafka-compatible broker from a server.properties file",
  usage: USAGE,
  async run(argv: string[], io: Io) {
    const { values } = parseStrict(argv, {
      config: { type: "string" },
      override: { type: "string", multiple: true },
      "seeded-fault": { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.out(USAGE.join("\n"));
      return EXIT_OK;
    }
    if (values.config === undefined) throw new UsageError("missing --config FILE");
    let text: string;
    try {
      text = readFileSync(values.config, "utf8");
    } catch (e) {
      throw new UsageError(`cannot read ${values.config}: ${(e as Error).message}`);
    }
    const { ConfigError, brokerConfigFrom } = await import("../../impl/broker/config.ts");
    const { parseProperties, PropertiesError } = await import("../../impl/broker/properties.ts");
    let config: import("../../impl/broker/config.ts").BrokerConfig;
    try {
      const props = parseProperties(text);
      for (const [k, v] of Object.entries(parseOverrides(values.override))) props.set(k, v);
      config = brokerConfigFrom(props);
    } catch (e) {
      if (e instanceof ConfigError || e instanceof PropertiesError)
        throw new UsageError(`${values.config}: ${e.message}`);
      throw e;
    }
    if (config.ignored.length > 0)
      io.err(`ignoring properties we do not act on: ${config.ignored.join(", ")}`);
    const { startBroker } = await import("../../impl/broker/broker.ts");
    const release = keepServingOnStrayErrors((l) => io.err(l), `broker ${config.brokerId}`);
    let store: import("../../impl/metadata/store.ts").MetadataStore;
    let keeper: { stop(): void } | null = null;
    if (config.zookeeperConnect !== null) {
      const { ZooKeeperStore } = await import("../../impl/metadata/zookeeper.ts");
      store = new ZooKeeperStore(config.zookeeperConnect);
    } else {
      // A single broker with embedded metadata keeps it beside its logs, so a restart keeps its topics.
      const { EmbeddedStore } = await import("../../impl/metadata/embedded.ts");
      const { keepEmbeddedMetadata, METADATA_SNAPSHOT_FILE } = await import(
        "../../impl/broker/metadata-snapshot.ts"
      );
      const { mkdirSync } = await import("node:fs");
      const { join } = await import("node:path");
      const embedded = new EmbeddedStore();
      mkdirSync(config.logDirs[0], { recursive: true });
      keeper = await keepEmbeddedMetadata(
        embedded,
        join(config.logDirs[0], METADATA_SNAPSHOT_FILE),
        undefined,
        (l) => io.err(`[broker ${config.brokerId}] ${l}`),
      );
      store = embedded;
    }
    let broker: import("../../impl/broker/broker.ts").RunningBroker;
    try {
      const seededFaults = values["seeded-fault"] ?? [];
      if (seededFaults.length > 0)
        io.err(`broker ${config.brokerId}: seeded faults on: ${seededFaults.join(", ")}`);
      broker = await startBroker(config, store, { log: (l) => io.err(l), seededFaults });
    } catch (e) {
      io.err(`broker ${config.brokerId} could not start: ${(e as Error).message}`);
      keeper?.stop();
      await store.close().catch(() => {});
      release();
      return EXIT_FAILED;
    }
    const adv = config.advertisedListeners[0];
    io.out(
      `broker ${broker.brokerId} listening on ${broker.host || "0.0.0.0"}:${broker.port} (advertised ${adv.host}:${adv.port}), logs in ${config.logDirs[0]}, metadata ${config.zookeeperConnect ?? "embedded"}`,
    );
    const sig = await untilSignal();
    io.err(`${sig}: shutting down broker ${broker.brokerId}`);
    await broker.stop();
    keeper?.stop();
    await store.close().catch(() => {});
    release();
    return EXIT_OK;
  },
};
