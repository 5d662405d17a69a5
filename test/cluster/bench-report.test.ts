/**
 * bench/: the perf tools' summaries parsed (lines as Kafka 3.9's ProducerPerformance and
 * ConsumerPerformance print them) and the ratio table built from them.
 */
import { describe, expect, it } from "vitest";
import { parseConsumerSummary, parseProducerSummary } from "../../bench/perf-tools.ts";
import { type BenchResults, markdownReport, type ScenarioResult } from "../../bench/report.ts";

const PRODUCER_OUTPUT = [
  "249841 records sent, 49968.2 records/sec (4.77 MB/sec), 431.5 ms avg latency, 812.0 ms max latency.",
  "500000 records sent, 51264.5 records/sec (4.89 MB/sec), 512.34 ms avg latency, 1024.00 ms max latency, 480 ms 50th, 900 ms 95th, 1000 ms 99th, 1020 ms 99.9th.",
].join("\n");

const CONSUMER_OUTPUT = [
  "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
  "2026-11-25 15:50:01:123, 2026-11-25 15:50:05:123, 47.6837, 11.9209, 500000, 125000.0000, 3000, 1000, 47.6837, 500000.0000",
].join("\n");

describe("perf tool summaries", () => {
  it("reads the producer's final line, not its progress lines", () => {
    expect(parseProducerSummary(PRODUCER_OUTPUT)).toEqual({
      records: 500000,
      recordsPerSec: 51264.5,
      mbPerSec: 4.89,
      latencyAvgMs: 512.34,
      latencyMaxMs: 1024,
      latencyP50Ms: 480,
      latencyP95Ms: 900,
      latencyP99Ms: 1000,
      latencyP999Ms: 1020,
    });
    expect(() => parseProducerSummary("org.apache.kafka.common.errors.TimeoutException")).toThrow(
      /no ProducerPerformance summary/,
    );
  });

  it("reads the consumer's columns by name, fetch rates without the group join", () => {
    expect(parseConsumerSummary(CONSUMER_OUTPUT)).toEqual({
      records: 500000,
      recordsPerSec: 500000,
      mbPerSec: 47.6837,
      rebalanceMs: 3000,
    });
  });
});

describe("markdownReport", () => {
  const scenario = {
    name: "1 broker, acks=1",
    brokers: 1,
    partitions: 3,
    replicationFactor: 1,
    minInsyncReplicas: 1,
    acks: "1" as const,
  };
  const result = (
    system: ScenarioResult["system"],
    rate: number,
    p99: number,
    rss: number,
  ): ScenarioResult => ({
    system,
    scenario,
    produce: { ...parseProducerSummary(PRODUCER_OUTPUT), recordsPerSec: rate },
    latency: { ...parseProducerSummary(PRODUCER_OUTPUT), latencyP99Ms: p99 },
    consume: parseConsumerSummary(CONSUMER_OUTPUT),
    brokerPeakRssMiB: rss,
  });
  const bench: BenchResults = {
    date: "2026-11-25T16:00:00.000Z",
    machine: {
      cpu: "Test CPU",
      cores: 2,
      memoryGiB: 23.5,
      node: "v20.20.2",
      java: 'openjdk version "17.0.15"',
    },
    kafkaVersion: "3.9.1",
    records: 500000,
    recordSize: 100,
    latencyRate: 1000,
    results: [result("kafkaspec", 25000, 200, 150), result("apache-kafka", 50000, 100, 600)],
  };

  it("puts ours beside Apache Kafka with ratios, and names the machine and versions", () => {
    const md = markdownReport(bench);
    expect(md).toContain("Test CPU, 2 cores, 23.5 GiB; Node v20.20.2");
    expect(md).toContain("Apache Kafka 3.9.1");
    expect(md).toContain("| produce records/s | 25,000 | 50,000 | 0.50x |");
    expect(md).toContain("| produce latency p99 ms, at the fixed rate | 200 | 100 | 2.00x |");
    expect(md).toContain("| broker peak RSS MiB | 150 | 600 | 0.25x |");
  });

  it("without Apache Kafka, a single column", () => {
    const md = markdownReport({ ...bench, results: [bench.results[0]] });
    expect(md).toContain("| metric | kafkaspec |");
    expect(md).not.toContain("ratio");
    expect(md).not.toContain("Apache Kafka 3.9.1");
  });
});
