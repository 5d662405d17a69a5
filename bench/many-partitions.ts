/**
 * Responsiveness while a cluster creates many partitions: `kafkaspec broker` processes on ZooKeeper
 * (LocalCluster without proxies), one CreateTopics of N partitions, and ApiVersions sent to every broker
 * every 100 ms on connections of their own, from this process, until every broker hosts every replica it
 * was assigned. Reports per broker the slowest ApiVersions answer, how long creation took, and the time
 * until CreateTopics was answered. A broker that applied its LeaderAndIsr in one synchronous step left
 * ApiVersions unanswered for as long as that step took (27-39 s for 2000 partitions at load 8-10).
 *
 *   node bin/run-ts.mjs bench/many-partitions.ts [--partitions 2000] [--brokers 3] [--rf 3] [--zookeeper host:port]
 */
import { readdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KafkaConnection } from "../impl/broker/peer/connection.ts";
import { LocalCluster } from "../impl/cluster-target/local-cluster.ts";

export interface ManyPartitionsResult {
  partitions: number;
  brokers: number;
  replicationFactor: number;
  createAnsweredMs: number;
  allReplicasMs: number;
  /** Per broker: the slowest ApiVersions answer while the partitions were created, and how many were sent. */
  apiVersions: Array<{ broker: number; maxMs: number; p99Ms: number; count: number; failed: number }>;
  loadAverage: number;
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
    probing = false;
    await Promise.all(probes);
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
    },
  });
  const r = await runManyPartitionsBench({
    partitions: Number(values.partitions),
    brokers: Number(values.brokers),
    replicationFactor: Number(values.rf),
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
  console.log(JSON.stringify(r));
}
