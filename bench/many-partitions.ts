/**
 * Responsiveness while a cluster creates many partitions: `kafkaspec broker` processes on ZooKeeper
 * (LocalCluster without proxies), one CreateTopics of N partitions, and ApiVersions sent to every broker
 * every 100 ms on connections of their own, from this process, until every broker hosts every replica it
 * was assigned. Reports per broker the slowest ApiVersions answer, how long creation took, and the time
 * until CreateTopics was answered. A broker that applied its LeaderAndIsr in one synchronous step left
 * ApiVersions unanswered for as long as that step took (27-39 s for 2000 partitions at load 8-10).
 *
 * Then every broker gets SIGTERM at once and the time until each process exits is reported (a broker
 * holding thousands of replicas must flush and close them all). With --strace, each broker's fsync and
 * fdatasync calls from just before CreateTopics until every replica exists (and 2 s more, for the
 * become-leader writes) are counted with `strace -f -c`, and reported per replica created.
 *
 *   node bin/run-ts.mjs bench/many-partitions.ts [--partitions 2000] [--brokers 3] [--rf 3] [--strace] [--zookeeper host:port]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KafkaConnection } from "../impl/broker/peer/connection.ts";
import { LocalCluster } from "../impl/cluster-target/local-cluster.ts";
import { CLEAN_SHUTDOWN_MARKER, LOG_DIR_CLEAN_SHUTDOWN_MARKER } from "../impl/storage/partition-log.ts";

export interface ManyPartitionsResult {
  partitions: number;
  brokers: number;
  replicationFactor: number;
  createAnsweredMs: number;
  allReplicasMs: number;
  /** Per broker: the slowest ApiVersions answer while the partitions were created, and how many were sent. */
  apiVersions: Array<{ broker: number; maxMs: number; p99Ms: number; count: number; failed: number }>;
  loadAverage: number;
  /** Per broker: milliseconds from SIGTERM to process exit (-1 if it had to be killed after 60 s). */
  shutdownMs: Array<{ broker: number; ms: number }>;
  /** The broker's own account of closing its logs (its "logs flushed and closed" line), when it printed one. */
  storageClose: Array<{ broker: number; line: string | null }>;
  /** Per broker after the stop: partitions covered by a clean-shutdown marker (the log dir's or their own). */
  cleanShutdown: Array<{ broker: number; marked: number; logs: number }>;
  /** With --strace: fsync + fdatasync calls per broker from SIGTERM to exit. */
  shutdownFsyncs?: number[];
  /** With --strace: fsync + fdatasync calls per broker during creation, and per replica created. */
  fsyncs?: { perBroker: number[]; perReplica: number };
}

/** `strace -c` on one process: counts fsync and fdatasync until stopped. */
class SyscallCounter {
  private readonly child: ChildProcess;
  private out = "";
  private readonly done: Promise<void>;
  constructor(pid: number) {
    this.child = spawn("strace", ["-f", "-c", "-e", "trace=fsync,fdatasync", "-p", String(pid)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.child.stderr!.on("data", (d: Buffer) => {
      this.out += d.toString();
    });
    this.done = new Promise((r) => this.child.once("exit", () => r()));
  }
  /** Waits until strace has attached (it says so on stderr). */
  async attached(): Promise<void> {
    for (const deadline = Date.now() + 10_000; !/attached/.test(this.out); ) {
      if (Date.now() > deadline) throw new Error(`strace did not attach: ${this.out}`);
      await sleep(20);
    }
  }
  /** Detaches and returns the calls counted. */
  async stop(): Promise<number> {
    this.child.kill("SIGINT");
    await this.done;
    let n = 0;
    for (const m of this.out.matchAll(
      /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)(?:\s+\d+)?\s+(fsync|fdatasync)\s*$/gm,
    ))
      n += Number(m[1]);
    return n;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function replicaDirs(dir: string, broker: number, topic: string): number {
  try {
    return readdirSync(join(dir, `broker-${broker}`, "logs")).filter((n) => n.startsWith(`${topic}-`)).length;
  } catch {
    return 0;
  }
}

export async function runManyPartitionsBench(opts: {
  partitions: number;
  brokers: number;
  replicationFactor: number;
  zookeeper?: string;
  strace?: boolean;
}): Promise<ManyPartitionsResult> {
  const cluster = await LocalCluster.start({
    brokers: opts.brokers,
    proxies: false,
    ...(opts.zookeeper !== undefined ? { zookeeper: opts.zookeeper } : {}),
    properties: {
      "offsets.topic.num.partitions": 1,
      "auto.create.topics.enable": false,
      "max.partitions": Math.max(4_000, opts.partitions + 10),
    },
  });
  const conns: KafkaConnection[] = [];
  let probing = false;
  const stopProbing = () => {
    probing = false;
  };
  try {
    const addrs = cluster.bootstrap.split(",").map((a) => {
      const [host, port] = a.split(":");
      return { host, port: Number(port) };
    });
    const admin = new KafkaConnection(() => addrs[0], "bench-admin", 600_000);
    conns.push(admin);
    // Wait for every broker to register (Metadata lists them).
    for (const deadline = Date.now() + 60_000; ; ) {
      const md = await admin
        .request(3, 1, { topics: [], allowAutoTopicCreation: false } as never)
        .catch(() => null);
      if (md !== null && (md as { brokers: unknown[] }).brokers.length === opts.brokers) break;
      if (Date.now() > deadline) throw new Error("brokers did not register within 60 s");
      await sleep(250);
    }
    const samples = addrs.map(() => [] as number[]);
    const failures = addrs.map(() => 0);
    probing = true;
    const probes = addrs.map(async (addr, i) => {
      const c = new KafkaConnection(() => addr, `bench-probe-${i + 1}`, 600_000);
      conns.push(c);
      while (probing) {
        const t0 = performance.now();
        const ok = await c.request(18, 0, {} as never).then(
          () => true,
          () => false,
        );
        if (!probing) break;
        if (!ok) failures[i]++;
        else samples[i].push(performance.now() - t0);
        await sleep(100);
      }
    });
    await sleep(500);
    const counters: SyscallCounter[] = [];
    if (opts.strace === true) {
      for (let b = 1; b <= opts.brokers; b++) counters.push(new SyscallCounter(cluster.pid(b)!));
      await Promise.all(counters.map((c) => c.attached()));
    }
    const topic = "many";
    const t0 = performance.now();
    let createAnsweredMs = -1;
    const created = admin
      .request(19, 3, {
        topics: [
          {
            name: topic,
            numPartitions: opts.partitions,
            replicationFactor: opts.replicationFactor,
            assignments: [],
            configs: [],
          },
        ],
        timeoutMs: 600_000,
        validateOnly: false,
      } as never)
      .then((r) => {
        createAnsweredMs = performance.now() - t0;
        const code = (r as { topics: Array<{ errorCode: number }> }).topics[0].errorCode;
        if (code !== 0) throw new Error(`CreateTopics answered error ${code}`);
      });
    const expected = opts.partitions * opts.replicationFactor;
    for (const deadline = Date.now() + 600_000; ; ) {
      let n = 0;
      for (let b = 1; b <= opts.brokers; b++) n += replicaDirs(cluster.dir, b, topic);
      if (n >= expected) break;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${expected} replicas after 600 s`);
      await sleep(100);
    }
    const allReplicasMs = performance.now() - t0;
    await created;
    let fsyncs: ManyPartitionsResult["fsyncs"];
    if (counters.length > 0) {
      await sleep(2_000);
      const perBroker = await Promise.all(counters.map((c) => c.stop()));
      fsyncs = {
        perBroker,
        perReplica: perBroker.reduce((a, b) => a + b, 0) / expected,
      };
    }
    probing = false;
    await Promise.all(probes);
    for (const c of conns) c.close();
    conns.length = 0;
    const stopCounters: SyscallCounter[] = [];
    if (opts.strace === true) {
      for (let b = 1; b <= opts.brokers; b++) stopCounters.push(new SyscallCounter(cluster.pid(b)!));
      await Promise.all(stopCounters.map((c) => c.attached()));
    }
    // Every broker gets SIGTERM at the same moment; each process's exit is timed on its own.
    const shutdownMs = await Promise.all(
      Array.from({ length: opts.brokers }, async (_, i) => {
        const broker = i + 1;
        const pid = cluster.pid(broker)!;
        const start = performance.now();
        process.kill(-pid, "SIGTERM");
        while (cluster.isAlive(broker)) {
          if (performance.now() - start > 60_000) {
            console.error(
              `broker ${broker} still running 60 s after SIGTERM; its log ends:\n${cluster.logTail(broker, 30)}`,
            );
            return { broker, ms: -1 };
          }
          await sleep(10);
        }
        return { broker, ms: Math.round(performance.now() - start) };
      }),
    );
    const shutdownFsyncs =
      stopCounters.length > 0 ? await Promise.all(stopCounters.map((c) => c.stop())) : undefined;
    const cleanShutdown = Array.from({ length: opts.brokers }, (_, i) => {
      const logs = join(cluster.dir, `broker-${i + 1}`, "logs");
      const dirs = readdirSync(logs).filter((n) => n.startsWith(`${topic}-`));
      const marked = dirs.filter((d) => existsSync(join(logs, d, CLEAN_SHUTDOWN_MARKER))).length;
      const rootMarked = existsSync(join(logs, LOG_DIR_CLEAN_SHUTDOWN_MARKER));
      return { broker: i + 1, marked: rootMarked ? dirs.length : marked, logs: dirs.length };
    });
    const storageClose = Array.from({ length: opts.brokers }, (_, i) => {
      let line: string | null = null;
      try {
        const text = readFileSync(join(cluster.dir, `broker-${i + 1}`, "broker.log"), "utf8");
        line = /\d+ logs flushed and closed in .*/.exec(text)?.[0] ?? null;
      } catch {}
      return { broker: i + 1, line };
    });
    const apiVersions = samples.map((s, i) => {
      const sorted = [...s].sort((a, b) => a - b);
      return {
        broker: i + 1,
        maxMs: Math.round(sorted[sorted.length - 1] ?? 0),
        p99Ms: Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0),
        count: s.length,
        failed: failures[i],
      };
    });
    return {
      partitions: opts.partitions,
      brokers: opts.brokers,
      replicationFactor: opts.replicationFactor,
      createAnsweredMs: Math.round(createAnsweredMs),
      allReplicasMs: Math.round(allReplicasMs),
      apiVersions,
      loadAverage: loadavg()[0],
      shutdownMs,
      cleanShutdown,
      storageClose,
      ...(shutdownFsyncs !== undefined ? { shutdownFsyncs } : {}),
      ...(fsyncs !== undefined ? { fsyncs } : {}),
    };
  } finally {
    stopProbing();
    for (const c of conns) c.close();
    await cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      partitions: { type: "string", default: "2000" },
      brokers: { type: "string", default: "3" },
      rf: { type: "string", default: "3" },
      zookeeper: { type: "string" },
      strace: { type: "boolean", default: false },
    },
  });
  const r = await runManyPartitionsBench({
    partitions: Number(values.partitions),
    brokers: Number(values.brokers),
    replicationFactor: Number(values.rf),
    strace: values.strace,
    ...(values.zookeeper !== undefined ? { zookeeper: values.zookeeper } : {}),
  });
  console.log(
    `${r.partitions} partitions x RF ${r.replicationFactor} on ${r.brokers} brokers (load ${r.loadAverage.toFixed(1)}): ` +
      `CreateTopics answered in ${r.createAnsweredMs} ms, every replica created in ${r.allReplicasMs} ms`,
  );
  for (const a of r.apiVersions)
    console.log(
      `  broker ${a.broker}: ApiVersions max ${a.maxMs} ms, p99 ${a.p99Ms} ms over ${a.count} requests`,
    );
  console.log(
    `  SIGTERM to exit: ${r.shutdownMs.map((s) => `broker ${s.broker} ${s.ms} ms`).join(", ")}` +
      (r.fsyncs !== undefined
        ? `; fsync+fdatasync during creation: ${r.fsyncs.perBroker.join(" / ")} (${r.fsyncs.perReplica.toFixed(2)} per replica)`
        : ""),
  );
  console.log(
    `  clean-shutdown marked: ${r.cleanShutdown.map((c) => `broker ${c.broker} ${c.marked}/${c.logs}`).join(", ")}` +
      (r.shutdownFsyncs !== undefined
        ? `; fsync+fdatasync from SIGTERM to exit: ${r.shutdownFsyncs.join(" / ")}`
        : ""),
  );
  for (const c of r.storageClose) console.log(`  broker ${c.broker}: ${c.line ?? "(no storage close line)"}`);
  console.log(JSON.stringify(r));
}
