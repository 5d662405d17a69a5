/**
 * Controlled shutdown on the tutorial's cluster: ZooKeeper and three `kafkaspec broker` processes from
 * examples/cluster/server-{1,2,3}.properties (addresses, log dirs and the offsets topic's partition count
 * overridden; the tutorial's 18 s ZooKeeper session timeout kept). SIGTERM to a broker makes it ask the
 * controller to move leadership off it before it stops serving (ControlledShutdown, key 7): the
 * controller's log shows each leader moved "for controlled shutdown" before the broker's registration
 * went, no partition is left led by the stopped broker or with it in the ISR, a kafkajs producer with
 * acks=all keeps going throughout with no failed send and no send waiting anywhere near a session timeout,
 * and a consumer group reads every acknowledged record within 15 s (less than the session timeout).
 * Stopping the controller itself once stalled the group ~28 s: its LeaderAndIsr requests for the new
 * leaders were cut off with its connections, so the brokers learned of them only at the next
 * controller's failover; a stopping broker now lets its queued controller requests arrive first.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Admin, Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { LocalCluster } from "../../impl/cluster-target/local-cluster.ts";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
const TOPIC = "moves";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    await sleep(100);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}`,
  );
}

let cluster: LocalCluster;
let kafka: Kafka;
let admin: Admin;

beforeAll(async () => {
  cluster = await LocalCluster.start({
    brokers: 3,
    propertiesFiles: [1, 2, 3].map((n) => join(ROOT, `examples/cluster/server-${n}.properties`)),
    properties: { "offsets.topic.num.partitions": 3 },
  });
  try {
    kafka = new Kafka({
      clientId: "controlled-shutdown",
      brokers: cluster.bootstrap.split(","),
      logLevel: logLevel.NOTHING,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    admin = kafka.admin();
    await admin.connect();
    await until("three brokers and a controller", 90_000, async () => {
      const c = await admin.describeCluster();
      return c.brokers.length === 3 && c.controller !== null && c.controller >= 0;
    });
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: TOPIC,
          numPartitions: 3,
          replicationFactor: 3,
          configEntries: [{ name: "min.insync.replicas", value: "2" }],
        },
      ],
    });
  } catch (e) {
    await admin?.disconnect().catch(() => {});
    await cluster.stop().catch(() => {});
    throw e;
  }
}, 120_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => {});
  await cluster?.stop();
}, 30_000);

async function states() {
  const zk = await cluster.metadata();
  return Promise.all([0, 1, 2].map(async (p) => (await zk.getPartitionState(TOPIC, p))!.state));
}

/** SIGTERM to the broker's process group (as `kill` would), resolving once it has exited. */
async function sigterm(id: number): Promise<number> {
  const pid = cluster.pid(id);
  if (pid === null) throw new Error(`broker ${id} is not running`);
  const started = Date.now();
  process.kill(-pid, "SIGTERM");
  await until(`broker ${id} to exit`, 30_000, async () => !cluster.isAlive(id));
  return Date.now() - started;
}

/** acks=all sends to every partition until stopped: failures and the slowest send. */
function produceUntil(stop: () => boolean) {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const stats = { sent: 0, acked: new Set<string>(), failed: [] as string[], slowestMs: 0 };
  const run = (async () => {
    await producer.connect();
    await Promise.all(
      [0, 1, 2].map(async (partition) => {
        while (!stop()) {
          const t0 = Date.now();
          const values = Array.from({ length: 10 }, (_, i) => `p${partition}-${stats.sent}-${i}`);
          stats.sent += 10;
          try {
            await producer.send({
              topic: TOPIC,
              acks: -1,
              timeout: 10_000,
              messages: values.map((value) => ({ value, partition })),
            });
            for (const v of values) stats.acked.add(v);
          } catch (e) {
            stats.failed.push(`${(e as Error).name}: ${(e as Error).message}`);
          }
          stats.slowestMs = Math.max(stats.slowestMs, Date.now() - t0);
        }
      }),
    );
    await producer.disconnect();
  })();
  return { stats, run };
}

/**
 * Produces (and consumes, in a consumer group) while broker `victim` gets SIGTERM; then waits for the
 * group to have read every acknowledged record: the group follows its coordinator and the leaders.
 */
async function stopWhileProducing(victim: number) {
  let stopping = false;
  const seen = new Set<string>();
  const consumer = kafka.consumer({ groupId: `cs-${victim}-${Date.now()}` });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: false });
  let assigned = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    assigned = true;
  });
  const crashes: string[] = [];
  consumer.on(consumer.events.CRASH, (e) => {
    crashes.push(`${e.payload.error.name}: ${e.payload.error.message} (restart: ${e.payload.restart})`);
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (message.value !== null) seen.add(message.value.toString());
    },
  });
  await until("the consumer to join its group", 30_000, async () => assigned);
  const { stats, run } = produceUntil(() => stopping);
  await until("the producer to get going", 30_000, async () => stats.sent >= 100);
  const stopMs = await sigterm(victim);
  await sleep(1_500);
  stopping = true;
  await run;

  try {
    // Within less than the 18 s session timeout: nobody waited for a session to expire.
    await until("the group to read every acknowledged record", 15_000, async () =>
      [...stats.acked].every((v) => seen.has(v)),
    );
  } catch (e) {
    const missing = [...stats.acked].filter((v) => !seen.has(v));
    const byPartition = [0, 1, 2].map((p) => missing.filter((v) => v.startsWith(`p${p}-`)).length);
    throw new Error(
      `${(e as Error).message}: ${missing.length} of ${stats.acked.size} missing (by partition ${byPartition.join(",")}, first ${missing.slice(0, 3).join(" ")}); consumer crashes: ${crashes.join("; ") || "none"}\n${[1, 2, 3].map((b) => cluster.logTail(b, 80)).join("\n---\n")}`,
    );
  } finally {
    await consumer.disconnect();
  }
  return { stats, stopMs };
}

async function restartAndRejoin(id: number) {
  if (!cluster.isAlive(id)) await cluster.restart(id);
  await until(`broker ${id} back in every ISR`, 60_000, async () =>
    (await states()).every((s) => s.isr.includes(id)),
  );
}

describe("SIGTERM to a broker of the tutorial's cluster (controlled shutdown)", () => {
  it("moves leadership off a leader before it exits; an acks=all producer sees no failure", async () => {
    const controller = (await (await cluster.metadata()).getController())!;
    const before = await states();
    const victim = [1, 2, 3].find((b) => b !== controller && before.some((s) => s.leader === b));
    expect(victim, `a broker other than the controller ${controller} that leads a partition`).toBeDefined();
    // Whatever fails below, the next test needs three brokers again (else it fails for want of an ISR).
    onTestFinished(() => restartAndRejoin(victim!), 90_000);
    const { stats, stopMs } = await stopWhileProducing(victim!);

    const after = await states();
    for (const s of after) {
      expect(s.leader).not.toBe(victim);
      expect(s.isr).not.toContain(victim);
    }
    expect(stats.failed).toEqual([]);
    expect(stats.slowestMs).toBeLessThan(5_000); // the session timeout is 18 s
    expect(stopMs).toBeLessThan(10_000);
    const own = cluster.logTail(victim!, 400);
    expect(own).toContain(`[broker ${victim}] controlled shutdown succeeded (attempt 1)`);
    // The controller moved each leader for the controlled shutdown, before it saw the broker go.
    const log = cluster.logTail(controller, 400).split("\n");
    const moved = log.findIndex(
      (l) => l.includes(`: leader ${victim} -> `) && l.includes(`controlled shutdown of ${victim}`),
    );
    const failed = log.findIndex((l) => l.includes("brokers changed:") && l.includes(`failed [${victim}]`));
    expect(moved, log.slice(-40).join("\n")).toBeGreaterThanOrEqual(0);
    expect(failed, log.slice(-40).join("\n")).toBeGreaterThan(moved);
  }, 120_000);

  it("works for the controller itself: leaders move, then another broker takes over as controller", async () => {
    const zk = await cluster.metadata();
    const controller = (await zk.getController())!;
    onTestFinished(() => restartAndRejoin(controller), 90_000);
    const { stats } = await stopWhileProducing(controller);
    for (const s of await states()) {
      expect(s.leader).not.toBe(controller);
      expect(s.isr).not.toContain(controller);
    }
    expect(stats.failed).toEqual([]);
    expect(stats.slowestMs).toBeLessThan(5_000);
    expect(cluster.logTail(controller, 400)).toContain(
      `[broker ${controller}] controlled shutdown succeeded`,
    );
    const next = await until("a new controller", 30_000, async () => {
      const c = await (await cluster.metadata()).getController();
      return c !== null && c !== controller ? c : undefined;
    });
    expect(cluster.logTail(next, 400)).toContain(`[controller ${next}] elected controller`);
  }, 120_000);
});
