/**
 * `kafkaspec cluster`: N brokers in one process for development, ports PORT..PORT+N-1, logs under
 * DIR/broker-N, one EmbeddedStore shared in-process as their metadata store. The brokers still talk
 * to each other over TCP with Kafka's inter-broker APIs, exactly as separate processes would.
 */
import { join } from "node:path";
import { EmbeddedStore } from "../metadata/embedded.ts";
import { type RunningBroker, startBroker } from "./broker.ts";
import { brokerConfigFrom } from "./config.ts";

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
  brokers: RunningBroker[];
  store: EmbeddedStore;
  bootstrap: string;
  stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const host = options.host ?? "127.0.0.1";
  const store = new EmbeddedStore();
  // Sessions of brokers that vanish without closing expire by the store's clock.
  const ticker = setInterval(() => store.tick(), 500);
  const brokers: RunningBroker[] = [];
  const stop = async () => {
    clearInterval(ticker);
    await Promise.all(brokers.map((b) => b.stop()));
    await store.close();
  };
  try {
    for (let i = 0; i < options.brokers; i++) {
      const id = i + 1;
      const props = new Map<string, string>([
        ["broker.id", String(id)],
        ["listeners", `PLAINTEXT://${host}:${options.port + i}`],
        ["log.dirs", join(options.dataDir, `broker-${id}`)],
        ["offsets.topic.replication.factor", String(Math.min(3, options.brokers))],
        ["default.replication.factor", String(Math.min(3, options.brokers))],
        ...Object.entries(options.properties ?? {}),
      ]);
      brokers.push(
        await startBroker(brokerConfigFrom(props), store, {
          log: options.log,
          seededFaults: options.seededFaults,
        }),
      );
    }
  } catch (e) {
    await stop();
    throw e;
  }
  await Promise.all(brokers.map((b) => b.runtime.ready(30_000)));
  return { brokers, store, bootstrap: `${host}:${options.port}`, stop };
}
