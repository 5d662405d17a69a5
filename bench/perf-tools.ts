/**
 * Apache Kafka's own performance tools (org.apache.kafka.tools.ProducerPerformance and
 * ConsumerPerformance from the kafka-tools jar), run as Java processes: a client that is not ours,
 * with its own latency percentiles, pointed at any cluster. Parsers are pure; runners spawn java.
 */
import { execFile } from "node:child_process";

export interface ProduceResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyP99Ms: number;
  latencyP999Ms: number;
}

export interface ConsumeResult {
  records: number;
  /** Excluding the group join (ConsumerPerformance's fetch.* columns). */
  recordsPerSec: number;
  mbPerSec: number;
  rebalanceMs: number;
}

/**
 * ProducerPerformance's summary line: "300000 records sent, 51264.5 records/sec (4.89 MB/sec),
 * 512.3 ms avg latency, 1024.0 ms max latency, 480 ms 50th, 900 ms 95th, 1000 ms 99th, 1020 ms 99.9th."
 */
export function parseProducerSummary(output: string): ProduceResult {
  const line = output
    .split("\n")
    .reverse()
    .find((l) => /records sent, .* 99\.9th/.test(l));
  if (line === undefined) throw new Error(`no ProducerPerformance summary in:\n${output.slice(-2000)}`);
  const num = (re: RegExp) => {
    const m = re.exec(line);
    if (m === null) throw new Error(`ProducerPerformance summary without ${re}: ${line}`);
    return Number(m[1]);
  };
  return {
    records: num(/^(\d+) records sent/),
    recordsPerSec: num(/([\d.]+) records\/sec/),
    mbPerSec: num(/\(([\d.]+) MB\/sec\)/),
    latencyAvgMs: num(/([\d.]+) ms avg latency/),
    latencyMaxMs: num(/([\d.]+) ms max latency/),
    latencyP50Ms: num(/(\d+) ms 50th/),
    latencyP95Ms: num(/(\d+) ms 95th/),
    latencyP99Ms: num(/(\d+) ms 99th/),
    latencyP999Ms: num(/(\d+) ms 99\.9th/),
  };
}

/** ConsumerPerformance's header line and value line, by column name. */
export function parseConsumerSummary(output: string): ConsumeResult {
  const lines = output.split("\n").map((l) => l.trim());
  const h = lines.findIndex((l) => l.startsWith("start.time"));
  if (h < 0 || h + 1 >= lines.length)
    throw new Error(`no ConsumerPerformance summary in:\n${output.slice(-2000)}`);
  const names = lines[h].split(",").map((s) => s.trim());
  const values = lines[h + 1].split(",").map((s) => s.trim());
  const col = (name: string) => {
    const i = names.indexOf(name);
    if (i < 0) throw new Error(`ConsumerPerformance output without ${name}: ${lines[h]}`);
    return Number(values[i]);
  };
  return {
    records: col("data.consumed.in.nMsg"),
    recordsPerSec: col("fetch.nMsg.sec"),
    mbPerSec: col("fetch.MB.sec"),
    rebalanceMs: col("rebalance.time.ms"),
  };
}

function java(libs: string, mainClass: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      "java",
      ["-Xmx512m", "-cp", `${libs}/*`, mainClass, ...args],
      { timeout: timeoutMs, maxBuffer: 64 << 20 },
      (error, stdout, stderr) => {
        if (error !== null)
          reject(new Error(`${mainClass} failed: ${error.message}\n${stderr.slice(-2000)}`));
        else resolve(stdout);
      },
    );
  });
}

export interface ProduceRun {
  libs: string;
  bootstrap: string;
  topic: string;
  records: number;
  recordSize: number;
  acks: "1" | "all";
  /** Records per second to send at; -1 (default) for as fast as possible. */
  throughput?: number;
}

export async function producerPerformance(r: ProduceRun): Promise<ProduceResult> {
  const out = await java(
    r.libs,
    "org.apache.kafka.tools.ProducerPerformance",
    [
      "--topic",
      r.topic,
      "--num-records",
      String(r.records),
      "--record-size",
      String(r.recordSize),
      "--throughput",
      String(r.throughput ?? -1),
      "--producer-props",
      `bootstrap.servers=${r.bootstrap}`,
      `acks=${r.acks}`,
      // Idempotence is the Java client's default with acks=all and not allowed with acks=1.
      `enable.idempotence=${r.acks === "all"}`,
    ],
    600_000,
  );
  return parseProducerSummary(out);
}

export async function consumerPerformance(
  r: Omit<ProduceRun, "acks" | "recordSize">,
): Promise<ConsumeResult> {
  const out = await java(
    r.libs,
    "org.apache.kafka.tools.ConsumerPerformance",
    [
      "--bootstrap-server",
      r.bootstrap,
      "--topic",
      r.topic,
      "--messages",
      String(r.records),
      "--timeout",
      "60000",
    ],
    600_000,
  );
  return parseConsumerSummary(out);
}
