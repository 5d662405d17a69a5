/**
 * Real clusters for the client and kafka-target tests: Apache Kafka 3.9 (one broker on a ZooKeeper,
 * through tools/apache-kafka/start.sh) when its jars are on this machine, and our own `kafkaspec
 * cluster`. A cluster that cannot run here is reported with the reason, and its tests are skipped.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { freePortRange, ROOT, startCluster } from "../interop/support.ts";
import { ZK_SERVER_SCRIPT, zookeeperForTests } from "../support/zookeeper.ts";

export interface RunningCluster {
  name: string;
  bootstrap: string;
  brokers: number;
  stop(): Promise<void>;
}

export interface ClusterKind {
  name: string;
  /** Why it cannot run here, or null. */
  unavailable: string | null;
  start(): Promise<RunningCluster>;
}

export const KAFKA_LIBS = process.env.KAFKA_LIBS ?? join(homedir(), ".cache/kafkaspec/apache-kafka-libs");
const START = join(ROOT, "tools/apache-kafka/start.sh");
const STOP = join(ROOT, "tools/apache-kafka/stop.sh");

function apacheKafkaUnavailable(): string | null {
  if (!existsSync(join(KAFKA_LIBS, ".complete")))
    return `Apache Kafka's jars are not in ${KAFKA_LIBS} (set KAFKA_LIBS, or run tools/apache-kafka/start.sh once to fetch them)`;
  if (spawnSync("java", ["-version"]).status !== 0) return "java is not on PATH";
  if (!existsSync(ZK_SERVER_SCRIPT) && process.env.ZOOKEEPER_CONNECT === undefined)
    return `ZooKeeper is not installed (${ZK_SERVER_SCRIPT}) and ZOOKEEPER_CONNECT is not set`;
  return null;
}

export const APACHE_KAFKA: ClusterKind = {
  name: "Apache Kafka 3.9",
  unavailable: apacheKafkaUnavailable(),
  async start() {
    const zk = await zookeeperForTests();
    const dir = mkdtempSync(join(tmpdir(), "kafkaspec-apache-kafka-"));
    const port = await freePortRange(1);
    try {
      execFileSync(
        START,
        ["--brokers", "1", "--zookeeper", zk.connectString, "--dir", dir, "--port", String(port)],
        {
          env: { ...process.env, KAFKA_LIBS },
          stdio: ["ignore", "ignore", "pipe"],
          timeout: 90_000,
        },
      );
    } catch (e) {
      execFileSync(STOP, ["--dir", dir]);
      await zk.stop();
      throw new Error(`Apache Kafka did not start: ${(e as Error).message}`);
    }
    return {
      name: "Apache Kafka 3.9",
      bootstrap: `127.0.0.1:${port}`,
      brokers: 1,
      async stop() {
        execFileSync(STOP, ["--dir", dir]);
        await zk.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const OUR_CLUSTER: ClusterKind = {
  name: "kafkaspec cluster",
  unavailable: null,
  async start() {
    const port = await freePortRange(1);
    const c = await startCluster({ brokers: 1, port });
    return {
      name: "kafkaspec cluster",
      bootstrap: c.bootstrap,
      brokers: 1,
      async stop() {
        await c.stop();
        rmSync(c.dataDir, { recursive: true, force: true });
      },
    };
  },
};

export const CLUSTER_KINDS: readonly ClusterKind[] = [APACHE_KAFKA, OUR_CLUSTER];

/** Prints why a cluster's tests are skipped, once per file. */
export function reportUnavailable(): void {
  for (const k of CLUSTER_KINDS)
    if (k.unavailable !== null) console.warn(`[kafkaspec tests] skipping ${k.name}: ${k.unavailable}`);
}
