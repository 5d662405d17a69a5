/**
 * One broker process's parts put together: the runtime (node, disk, metadata, peers) and the TCP
 * server on its first listener. `startBroker` returns once the port is listening; the node registers
 * and joins the cluster in the background.
 */
import type { MetadataStore } from "../metadata/store.ts";
import type { BrokerConfig } from "./config.ts";
import { BrokerRuntime } from "./runtime.ts";
import { BrokerServer } from "./server.ts";

export interface RunningBroker {
  brokerId: number;
  host: string;
  port: number;
  runtime: BrokerRuntime;
  server: BrokerServer;
  /**
   * Graceful stop: a controlled shutdown first (leadership moved off this broker while it still serves;
   * `controlled: false` skips it, as when the whole cluster stops), then stops accepting, flushes and
   * closes logs, closes the metadata session.
   */
  stop(options?: { controlled?: boolean }): Promise<void>;
}

export async function startBroker(
  config: BrokerConfig,
  store: MetadataStore,
  options: { log?: (line: string) => void; seededFaults?: readonly string[] } = {},
): Promise<RunningBroker> {
  const runtime = new BrokerRuntime({ config, store, log: options.log, seededFaults: options.seededFaults });
  await runtime.start();
  const listener = config.listeners[0];
  const server = new BrokerServer(runtime, {
    host: listener.host,
    port: listener.port,
    maxRequestBytes: config.socketRequestMaxBytes,
  });
  let port: number;
  try {
    port = await server.listen();
  } catch (e) {
    await runtime.shutdown();
    throw e;
  }
  let stopping: Promise<void> | null = null;
  return {
    brokerId: config.brokerId,
    host: listener.host,
    port,
    runtime,
    server,
    stop(options = {}) {
      stopping ??= (async () => {
        if (options.controlled !== false) await runtime.controlledShutdown();
        await server.close();
        await runtime.shutdown();
      })();
      return stopping;
    },
  };
}
