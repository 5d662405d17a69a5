/**
 * `kafkaspec cluster --brokers 3 --port 9092 --data-dir DIR`: a whole cluster in one process for
 * development (ports PORT..PORT+N-1, logs under DIR/broker-N, embedded metadata shared in-process).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CliCommand, EXIT_FAILED, EXIT_OK, parseInteger, parseStrict, UsageError } from "../command.ts";
import type { Io } from "../io.ts";
import { keepServingOnStrayErrors, parseOverrides, untilSignal } from "./broker.ts";

const USAGE = [
  "kafkaspec cluster [--brokers N] [--port PORT] [--data-dir DIR] [--host HOST] [--override key=value ...]",
  "  runs N brokers (default 3) in one process on ports PORT..PORT+N-1 (default 9092), logs under DIR/broker-N",
];

export const clusterCommand: CliCommand = {
  name: "cluster",
  summary: "run a whole development cluster in one process",
  usage: USAGE,
  async run(argv: string[], io: Io) {
    const { values } = parseStrict(argv, {
      brokers: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      host: { type: "string" },
      override: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      io.out(USAGE.join("\n"));
      return EXIT_OK;
    }
    const brokers = parseInteger("brokers", values.brokers, 3, 1, 64);
    const port = parseInteger("port", values.port, 9092, 1, 65535 - brokers + 1);
    const overrides = parseOverrides(values.override);
    const dataDir = values["data-dir"] ?? mkdtempSync(join(tmpdir(), "kafkaspec-cluster-"));
    const { startCluster } = await import("../../impl/broker/cluster.ts");
    let cluster: import("../../impl/broker/cluster.ts").RunningCluster;
    // See keepServingOnStrayErrors: one stray failure must not take down every broker in the process.
    const release = keepServingOnStrayErrors((l) => io.err(l), "cluster");
    try {
      cluster = await startCluster({
        brokers,
        port,
        dataDir,
        host: values.host,
        properties: overrides,
        log: (l) => io.err(l),
      });
    } catch (e) {
      io.err(`cluster could not start: ${(e as Error).message}`);
      release();
      return EXIT_FAILED;
    }
    for (const b of cluster.brokers)
      io.out(
        `broker ${b.brokerId} listening on ${b.host}:${b.port}, logs in ${join(dataDir, `broker-${b.brokerId}`)}`,
      );
    const sig = await untilSignal();
    io.err(`${sig}: shutting down the cluster`);
    await cluster.stop();
    release();
    return EXIT_OK;
  },
};

export { UsageError };
