/**
 * `kafkaspec cluster`: N brokers in one process for development, ports PORT..PORT+N-1, logs under
 * DIR/broker-N, one EmbeddedStore shared in-process as their metadata store. The brokers still talk
 * to each other over TCP with Kafka's inter-broker APIs, exactly as separate processes would. The
 * metadata is kept in DIR/metadata-snapshot.json, so the cluster can be restarted on the same DIR.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { EmbeddedStore } from "../metadata/embedded.ts";
import { type RunningBroker, startBroker } from "./broker.ts";
import { brokerConfigFrom } from "./config.ts";
import { keepEmbeddedMetadata, METADATA_SNAPSHOT_FILE } from "./metadata-snapshot.ts";

export interface ClusterOptions {
  brokers: number;
  port: number;
  dataDir: string;
  host?: string;
  /** Extra broker properties by Kafka's names, applied to every broker. */
  properties?: Record<string, string>;
  log?: (line: string) => void;
  seededFaults?: readonly string[];
}

export interface RunningCluster {
  /** The running brokers by position (broker id = index + 1); a stopped one stays until restarted. */
  brokers: RunningBroker[];
  store: EmbeddedStore;
  bootstrap: string;
  /** Stops broker `id` gracefully (as SIGTERM would). */
  stopBroker(id: number): Promise<void>;
  /** Starts broker `id` again on its port and log directory (its logs are recovered). */
  restartBroker(id: number): Promise<RunningBroker>;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const host = options.host ?? "127.0.0.1";
  const store = new EmbeddedStore();
  mkdirSync(options.dataDir, { recursive: true });
  const snapshotFile = join(options.dataDir, METADATA_SNAPSHOT_FILE);
  // Sessions of brokers that vanish without closing expire by the store's clock; the metadata is saved
  // as it changes, so even a kill -9 of the whole process keeps the topics.
  const keeper = await keepEmbeddedMetadata(store, snapshotFile, undefined, options.log);
  const brokers: RunningBroker[] = [];
  const stop = async () => {
    // All of them go: no broker would be left to take leadership over, so none asks for it.
    await Promise.all(brokers.map((b) => b.stop({ controlled: false })));
    keeper.stop();
    await store.close();
  };
  const propsOf = (id: number) =>
    new Map<string, string>([
      ["broker.id", String(id)],
      ["listeners", `PLAINTEXT://${host}:${options.port + id - 1}`],
      ["log.dirs", join(options.dataDir, `broker-${id}`)],
      ["offsets.topic.replication.factor", String(Math.min(3, options.brokers))],
      ["default.replication.factor", String(Math.min(3, options.brokers))],
      ...Object.entries(options.properties ?? {}),
    ]);
  const start = (id: number) =>
    startBroker(brokerConfigFrom(propsOf(id)), store, {
      log: options.log,
      seededFaults: options.seededFaults,
    });
  try {
    for (let id = 1; id <= options.brokers; id++) brokers.push(await start(id));
  } catch (e) {
    await stop();
    throw e;
  }
  await Promise.all(brokers.map((b) => b.runtime.ready(30_000)));
  return {
    brokers,
    store,
    bootstrap: `${host}:${options.port}`,
    stop,
    stopBroker: (id) => brokers[id - 1].stop(),
    async restartBroker(id) {
      await brokers[id - 1].stop();
      const b = await start(id);
      brokers[id - 1] = b;
      await b.runtime.ready(30_000);
      return b;
    },
  };
}
