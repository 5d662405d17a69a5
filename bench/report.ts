/** The benchmark's results as data and as a markdown table of ours against Apache Kafka. Pure. */
import type { MachineInfo } from "./machine.ts";
import type { ConsumeResult, ProduceResult } from "./perf-tools.ts";

export interface Scenario {
  name: string;
  brokers: number;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
  acks: "1" | "all";
}

export interface ScenarioResult {
  system: "kafkaspec" | "apache-kafka";
  scenario: Scenario;
  /** As fast as the producer can send. */
  produce: ProduceResult;
  /** At a fixed, moderate rate (BenchResults.latencyRate): latency without queueing in the client. */
  latency: ProduceResult;
  consume: ConsumeResult;
  /** The largest peak RSS (VmHWM) among the brokers, MiB. */
  brokerPeakRssMiB: number | null;
}

export interface BenchResults {
  date: string;
  machine: MachineInfo;
  kafkaVersion: string | null;
  records: number;
  recordSize: number;
  /** Records per second of the latency runs. */
  latencyRate: number;
  results: ScenarioResult[];
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (ours: number, theirs: number) => (theirs === 0 ? "n/a" : `${(ours / theirs).toFixed(2)}x`);

interface Row {
  metric: string;
  get: (r: ScenarioResult) => number | null;
  digits: number;
}

const ROWS: Row[] = [
  { metric: "produce records/s", get: (r) => r.produce.recordsPerSec, digits: 0 },
  { metric: "produce MB/s", get: (r) => r.produce.mbPerSec, digits: 2 },
  { metric: "produce latency p50 ms, at full load", get: (r) => r.produce.latencyP50Ms, digits: 0 },
  { metric: "produce latency p99 ms, at full load", get: (r) => r.produce.latencyP99Ms, digits: 0 },
  { metric: "produce latency p50 ms, at the fixed rate", get: (r) => r.latency.latencyP50Ms, digits: 0 },
  { metric: "produce latency p99 ms, at the fixed rate", get: (r) => r.latency.latencyP99Ms, digits: 0 },
  { metric: "consume records/s", get: (r) => r.consume.recordsPerSec, digits: 0 },
  { metric: "consume MB/s", get: (r) => r.consume.mbPerSec, digits: 2 },
  { metric: "broker peak RSS MiB", get: (r) => r.brokerPeakRssMiB, digits: 0 },
];

export function markdownReport(b: BenchResults): string {
  const lines = [
    `# Benchmark ${b.date}`,
    "",
    `Machine: ${b.machine.cpu}, ${b.machine.cores} cores, ${b.machine.memoryGiB} GiB; Node ${b.machine.node}; ${b.machine.java}${
      b.results.some((r) => r.system === "apache-kafka") ? `; Apache Kafka ${b.kafkaVersion ?? "?"}` : ""
    }.`,
    `Client: Apache Kafka's ProducerPerformance / ConsumerPerformance (kafka-tools ${b.kafkaVersion ?? "?"}): ${fmt(b.records)} records of ${b.recordSize} bytes as fast as possible (throughput, latency at full load), then at ${fmt(b.latencyRate)} records/s for ten seconds (latency at the fixed rate). Consume rates exclude the group join.`,
    "",
  ];
  const scenarios = [...new Map(b.results.map((r) => [r.scenario.name, r.scenario])).values()];
  for (const s of scenarios) {
    const ours = b.results.find((r) => r.scenario.name === s.name && r.system === "kafkaspec");
    const theirs = b.results.find((r) => r.scenario.name === s.name && r.system === "apache-kafka");
    lines.push(`## ${s.name}`, "");
    lines.push(
      theirs !== undefined
        ? "| metric | kafkaspec | Apache Kafka | ratio (ours / Kafka) |"
        : "| metric | kafkaspec |",
      theirs !== undefined ? "|---|---:|---:|---:|" : "|---|---:|",
    );
    for (const row of ROWS) {
      const o = ours === undefined ? null : row.get(ours);
      const t = theirs === undefined ? null : row.get(theirs);
      const cell = (v: number | null) => (v === null ? "n/a" : fmt(v, row.digits));
      lines.push(
        theirs !== undefined
          ? `| ${row.metric} | ${cell(o)} | ${cell(t)} | ${o === null || t === null ? "n/a" : ratio(o, t)} |`
          : `| ${row.metric} | ${cell(o)} |`,
      );
    }
    lines.push("");
  }
  if (b.results.some((r) => r.system === "apache-kafka"))
    lines.push(
      "Throughput ratios above 1 mean ours is faster; latency and RSS ratios above 1 mean ours is slower or larger.",
      "",
    );
  return lines.join("\n");
}
