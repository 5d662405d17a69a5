/**
 * `npm run bench [-- --against kafka] [--records N] [--record-size B] [--latency-rate R]`: produce and
 * consume throughput, and produce latency percentiles at full load and at a fixed rate, measured with Apache Kafka's own perf tools, for
 *   - 1 broker, acks=1, and
 *   - 3 brokers, RF=3, acks=all, min.insync.replicas=2,
 * against our brokers as processes on ZooKeeper; with `--against kafka`, the same against Apache Kafka
 * (tools/apache-kafka/start.sh) one after the other in the same run, and a table of ratios. Results go
 * to bench/results/<date>.json and .md.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startZooKeeperServer } from "../impl/cluster-target/zookeeper-server.ts";
import { type BenchCluster, createTopic, startApacheKafka, startOurs } from "./clusters.ts";
import { machineInfo, peakRssMiB } from "./machine.ts";
import { consumerPerformance, producerPerformance } from "./perf-tools.ts";
import { type BenchResults, markdownReport, type Scenario, type ScenarioResult } from "./report.ts";

const HERE = dirname(fileURLToPath(import.meta.url));

export const SCENARIOS: readonly Scenario[] = [
  {
    name: "1 broker, acks=1",
    brokers: 1,
    partitions: 3,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    acks: "1",
  },
  {
    name: "3 brokers, RF=3, acks=all, min.insync.replicas=2",
    brokers: 3,
    partitions: 3,
    replicationFactor: 3,
    minInsyncReplicas: 2,
    acks: "all",
  },
];

function kafkaLibs(): string {
  const libs = process.env.KAFKA_LIBS ?? join(homedir(), ".cache/kafkaspec/apache-kafka-libs");
  if (
    !existsSync(join(libs, "kafka-tools-3.9.1.jar")) &&
    !readdirSync(libs).some((f) => f.startsWith("kafka-tools-"))
  )
    throw new Error(
      `no kafka-tools jar in ${libs}: set KAFKA_LIBS (tools/apache-kafka/start.sh fetches the jars)`,
    );
  return libs;
}

function kafkaVersion(libs: string): string | null {
  const jar = readdirSync(libs).find((f) => /^kafka-clients-.*\.jar$/.test(f));
  return jar === undefined ? null : jar.replace(/^kafka-clients-|\.jar$/g, "");
}

async function runScenario(
  cluster: BenchCluster,
  s: Scenario,
  libs: string,
  records: number,
  recordSize: number,
  latencyRate: number,
): Promise<ScenarioResult> {
  const topic = `bench-${s.brokers}b-${Date.now().toString(36)}`;
  await createTopic(
    cluster.bootstrap,
    s.brokers,
    topic,
    s.partitions,
    s.replicationFactor,
    s.minInsyncReplicas,
  );
  const run = { libs, bootstrap: cluster.bootstrap, topic, recordSize, acks: s.acks };
  const produce = await producerPerformance({ ...run, records });
  const consume = await consumerPerformance({ libs, bootstrap: cluster.bootstrap, topic, records });
  // The latency run appends to the same topic after the consumer has read it.
  const latency = await producerPerformance({ ...run, records: latencyRate * 10, throughput: latencyRate });
  const rss = (await cluster.pids()).map(peakRssMiB).filter((r): r is number => r !== null);
  return {
    system: cluster.system,
    scenario: s,
    produce,
    latency,
    consume,
    brokerPeakRssMiB: rss.length === 0 ? null : Math.max(...rss),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      against: { type: "string" },
      records: { type: "string" },
      "record-size": { type: "string" },
      "kafka-port": { type: "string" },
      "latency-rate": { type: "string" },
    },
  });
  if (values.against !== undefined && values.against !== "kafka")
    throw new Error(`--against takes only "kafka", got "${values.against}"`);
  const records = Number(values.records ?? 500_000);
  const recordSize = Number(values["record-size"] ?? 100);
  const latencyRate = Number(values["latency-rate"] ?? 1000);
  const libs = kafkaLibs();
  const systems: Array<BenchCluster["system"]> =
    values.against === "kafka" ? ["kafkaspec", "apache-kafka"] : ["kafkaspec"];
  const zk = await startZooKeeperServer({ tickTimeMs: 500 });
  const results: ScenarioResult[] = [];
  try {
    for (const s of SCENARIOS) {
      for (const system of systems) {
        console.error(`[bench] ${system}: ${s.name}`);
        const cluster =
          system === "kafkaspec"
            ? await startOurs(s.brokers, zk.connectString)
            : await startApacheKafka(
                s.brokers,
                zk.connectString,
                Number(values["kafka-port"] ?? 19392),
                libs,
              );
        try {
          const r = await runScenario(cluster, s, libs, records, recordSize, latencyRate);
          console.error(
            `[bench]   produce ${Math.round(r.produce.recordsPerSec)} rec/s p50/p99 ${r.produce.latencyP50Ms}/${r.produce.latencyP99Ms} ms, at ${latencyRate}/s ${r.latency.latencyP50Ms}/${r.latency.latencyP99Ms} ms; consume ${Math.round(r.consume.recordsPerSec)} rec/s; RSS ${r.brokerPeakRssMiB} MiB`,
          );
          results.push(r);
        } finally {
          await cluster.stop();
        }
      }
    }
  } finally {
    await zk.stop();
  }
  const date = new Date().toISOString();
  const bench: BenchResults = {
    date,
    machine: machineInfo(),
    kafkaVersion: kafkaVersion(libs),
    records,
    recordSize,
    latencyRate,
    results,
  };
  const md = markdownReport(bench);
  const out = join(HERE, "results");
  await mkdir(out, { recursive: true });
  const stem = join(out, date.slice(0, 16).replace(/:/g, ""));
  await writeFile(`${stem}.json`, `${JSON.stringify(bench, null, 2)}\n`);
  await writeFile(`${stem}.md`, md);
  console.log(md);
  console.error(`[bench] wrote ${stem}.json and ${stem}.md`);
}

await main();
