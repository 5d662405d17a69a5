/**
 * The tutorial's cluster as written: ZooKeeper and three `kafkaspec broker` processes started from
 * examples/cluster/server-{1,2,3}.properties (only addresses, log dirs and, for a quicker test, the
 * ZooKeeper session timeout and the offsets topic's partition count overridden), driven by kafkajs,
 * a client that is not ours.
 *
 * 1. A topic with RF=3 and min.insync.replicas=2 takes acks=all produces under load while the leader
 *    of a partition is killed with kill -9: no acknowledged record is lost, the consumer group keeps
 *    consuming, and the killed broker, restarted from its log dirs, rejoins every ISR.
 * 2. kill -9 of a consumer group's coordinator and an immediate restart: the member, consuming from
 *    another broker, finds the new coordinator and keeps consuming (`npm run test:faults` only).
 * 3. Expiring the controller's ZooKeeper session moves the controller, and a write under the old
 *    controller's epoch is refused by ZooKeeper (the fence every controller write carries).
 */
import { execFile } from "node:child_process";
import { appendFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Admin, type Consumer, Kafka, type logCreator, logLevel } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalCluster } from "../../impl/cluster-target/local-cluster.ts";
import { OFFSETS_TOPIC, partitionForGroup } from "../../impl/group/offsets-topic.ts";
import { ControllerMovedError, ZkPaths } from "../../impl/metadata/layout.ts";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");
const TOPIC = "orders";
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
    await sleep(200);
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${last})` : ""}`,
  );
}

/** kafkajs's log lines, timestamped, appended to a file (diagnosis only). */
function fileLogCreator(path: string): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp, ...extra } = log;
      appendFileSync(
        path,
        `${timestamp} ${logLevel[level]} [${namespace}] ${message} ${JSON.stringify(extra)}\n`,
      );
    };
}

let cluster: LocalCluster;
let kafka: Kafka;
let admin: Admin;

/** KAFKASPEC_KEEP_CLUSTER=DIR keeps brokers' logs and log dirs in a fresh dir under DIR (for diagnosis). */
const KEEP = process.env.KAFKASPEC_KEEP_CLUSTER;

beforeAll(async () => {
  cluster = await LocalCluster.start({
    dir: KEEP ? await mkdtemp(join(KEEP, "soak-")) : undefined,
    brokers: 3,
    propertiesFiles: [1, 2, 3].map((n) => join(ROOT, `examples/cluster/server-${n}.properties`)),
    properties: { "zookeeper.session.timeout.ms": 6000, "offsets.topic.num.partitions": 3 },
  });
  try {
    kafka = new Kafka({
      clientId: "tutorial",
      brokers: cluster.bootstrap.split(","),
      logLevel: KEEP ? logLevel.INFO : logLevel.NOTHING,
      ...(KEEP ? { logCreator: fileLogCreator(join(cluster.dir, "kafkajs.log")) } : {}),
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    admin = kafka.admin();
    await admin.connect();
    // Generous: under a loaded CI machine three broker processes boot (tsx) and register one after another.
    let seen = "nothing yet";
    await until("three brokers and a controller", 90_000, async () => {
      const c = await admin.describeCluster();
      seen = `brokers ${c.brokers.map((b) => b.nodeId).join(",")} controller ${c.controller}`;
      return c.brokers.length === 3 && c.controller !== null && c.controller >= 0;
    }).catch((e: Error) => {
      throw new Error(
        `${e.message}; last seen: ${seen}\n${[1, 2, 3].map((b) => cluster.logTail(b)).join("\n")}`,
      );
    });
  } catch (e) {
    // afterAll may not run after a failed beforeAll: leave no broker or ZooKeeper behind.
    await admin?.disconnect().catch(() => {});
    await cluster.stop().catch(() => {});
    throw e;
  }
}, 120_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => {});
  await cluster?.stop();
}, 30_000);

/**
 * A partition as kcat reads it from offset 0: "offset value" lines. Asynchronous: the brokers are
 * reached through proxies in this process, which a blocking call would stall.
 */
function dumpPartition(partition: number): Promise<string> {
  return new Promise((resolve) =>
    execFile(
      "kcat",
      [
        "-C",
        "-b",
        cluster.address(1),
        "-t",
        TOPIC,
        "-p",
        String(partition),
        "-o",
        "0",
        "-e",
        "-q",
        "-f",
        "%o %s\n",
      ],
      { encoding: "utf8", timeout: 30_000 },
      (error, stdout, stderr) => resolve(error === null ? stdout : `(kcat failed: ${stderr})`),
    ),
  );
}

async function partitionsOf(topic: string) {
  const md = await admin.fetchTopicMetadata({ topics: [topic] });
  return md.topics[0].partitions;
}

/*
 * The kill -9 soak runs in `npm test`. It used to run only under `npm run test:faults`: in about 1 run of
 * 10 on a loaded machine the consumer group stopped after the kill (committed offsets stayed -1; every
 * acknowledged record was in the log). The cause was the restarted broker answering its clients
 * BROKER_NOT_AVAILABLE until it had registered, which kafkajs's consumer takes as fatal (issue #5; see
 * notRunningError in impl/broker/runtime.ts and the coordinator-restart test below).
 */

/** Tests with a known open liveness bug run only under `npm run test:faults`. */
const FAULT_TESTS = process.env.KAFKASPEC_FAULT_TESTS === "1";

/** The tutorial's topic: RF=3, min.insync.replicas=2 (kafkajs answers false when it exists already). */
async function createTutorialTopic(): Promise<void> {
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
}

describe("the tutorial's cluster: three broker processes on ZooKeeper", () => {
  it("keeps every acks=all record through kill -9 of the leader; the group keeps consuming; the broker rejoins the ISR", async () => {
    await createTutorialTopic();

    const acked = new Set<string>();
    /** Where the broker said each acknowledged record went: "partition@offset". */
    const ackedAt = new Map<string, string>();
    const seen = new Map<string, number>();
    let sent = 0;
    let producing = true;
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    // Three producers' worth of load: worker w sends batches of 20 to partition w and waits for acks=all.
    const workers = [0, 1, 2].map(async (w) => {
      while (producing) {
        const values = Array.from({ length: 20 }, () => `w${w}-${sent++}`);
        try {
          const [meta] = await producer.send({
            topic: TOPIC,
            acks: -1,
            timeout: 5_000,
            messages: values.map((v) => ({ key: v, value: v, partition: w })),
          });
          for (const [i, v] of values.entries()) {
            acked.add(v);
            ackedAt.set(v, `${meta.partition}@${Number(meta.baseOffset) + i}`);
          }
        } catch {
          // Not acknowledged: may or may not be in the log; the check below is about acked records only.
          await sleep(50);
        }
      }
    });

    const consumer: Consumer = kafka.consumer({
      groupId: "tutorial-readers",
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value?.toString() ?? "";
        if (!seen.has(v)) seen.set(v, Date.now());
      },
    });

    try {
      await until("300 acknowledged records", 60_000, async () => acked.size >= 300);
      const leader = (await partitionsOf(TOPIC)).find((p) => p.partitionId === 0)!.leader;
      const ackedBeforeKill = acked.size;
      const onPartition0 = () => [...acked].filter((v) => v.startsWith("w0-")).length;
      const ackedOn0BeforeKill = onPartition0();
      const killedAt = Date.now();
      await cluster.crash(leader);

      // Producing goes on: a new leader from the ISR takes acks=all writes with two replicas in sync.
      // Partition 0's own writes count (the other partitions keep taking acks meanwhile).
      await until(
        "300 more acknowledged records after the kill, 60 of them on partition 0",
        60_000,
        async () => acked.size >= ackedBeforeKill + 300 && onPartition0() >= ackedOn0BeforeKill + 60,
      );
      // Metadata requests may still meet the dead broker's closed connections: ask until answered.
      const moved = await until("partition 0's new leader in metadata", 30_000, async () => {
        const p0 = (await partitionsOf(TOPIC)).find((p) => p.partitionId === 0)!;
        return p0.leader !== leader && !p0.isr.includes(leader) ? p0 : undefined;
      });
      expect(moved.leader).not.toBe(leader);
      expect(moved.isr).not.toContain(leader);

      await cluster.restart(leader);
      await until(`broker ${leader} back in every ISR of ${TOPIC}`, 60_000, async () =>
        (await partitionsOf(TOPIC)).every((p) => p.isr.includes(leader)),
      );

      producing = false;
      await Promise.all(workers);
      await until("the group to have read every acknowledged record", 60_000, async () =>
        [...acked].every((v) => seen.has(v)),
      ).catch(() => undefined);
      const lost = [...acked].filter((v) => !seen.has(v));
      if (lost.length > 0) {
        const ends = await admin.fetchTopicOffsets(TOPIC);
        const committed = await admin.fetchOffsets({ groupId: "tutorial-readers", topics: [TOPIC] });
        const partitions = [...new Set(lost.map((v) => ackedAt.get(v)?.split("@")[0] ?? "?"))];
        const now = new Map<string, string>();
        for (const p of partitions)
          for (const line of (await dumpPartition(Number(p))).split("\n")) {
            const i = line.indexOf(" ");
            if (i > 0) now.set(`${p}@${line.slice(0, i)}`, line.slice(i + 1));
          }
        const detail = lost
          .slice(0, 12)
          .map(
            (v) =>
              `${v} acked at ${ackedAt.get(v)}, which now holds ${now.get(ackedAt.get(v) ?? "") ?? "nothing"}`,
          );
        throw new Error(
          `${lost.length} of ${acked.size} acknowledged records not read by the group (read ${seen.size}); broker ${leader} was killed; ${detail.join("; ")}; log ends ${JSON.stringify(ends)}; committed ${JSON.stringify(committed)}`,
        );
      }
      // The group kept consuming across the failover: it read records acknowledged after the kill.
      expect([...seen.values()].filter((t) => t > killedAt).length).toBeGreaterThan(100);
      expect(acked.size).toBeGreaterThan(600);
    } finally {
      producing = false;
      await Promise.all(workers);
      await consumer.disconnect().catch(() => {});
      await producer.disconnect().catch(() => {});
    }

    // An independent reader from offset 0 (a fresh group) finds every acknowledged record too.
    const checker = kafka.consumer({ groupId: "tutorial-audit" });
    const audit = new Set<string>();
    await checker.connect();
    await checker.subscribe({ topic: TOPIC, fromBeginning: true });
    await checker.run({
      eachMessage: async ({ message }) => {
        audit.add(message.value?.toString() ?? "");
      },
    });
    try {
      await until("the audit read", 60_000, async () => [...acked].every((v) => audit.has(v)));
    } finally {
      await checker.disconnect().catch(() => {});
    }
  }, 240_000);

  /*
   * Under `npm run test:faults` only. Before 503b61c and 7eb7ad3 the group stalled here in 1 run of 26
   * (load 6-9): the coordinator, also the controller, came back before any controller saw it die, led its
   * __consumer_offsets partitions again at the same leader epoch, and its followers, whose retry timer had
   * woken a millisecond early and armed nothing, never fetched again (HW stuck, so the group's appends
   * timed out). Both are fixed with deterministic tests (test/controller/bounce*.test.ts); this test then
   * passed 10 of 10 runs. It stays out of `npm test` until more runs back it. The BROKER_NOT_AVAILABLE
   * stall it was written for is covered in `npm test` by test/broker/restart.test.ts.
   */
  it.runIf(FAULT_TESTS)(
    "keeps a consumer group consuming when its coordinator is killed with kill -9 and restarted at once",
    async () => {
      // The restarted broker listens before it can register (its old ZooKeeper session holds its id for
      // up to zookeeper.session.timeout.ms). A member busy consuming from another broker heartbeats and
      // commits to the coordinator's address all along: it must be told to find the coordinator again,
      // not that the broker is unavailable (kafkajs's consumer stops for good on BROKER_NOT_AVAILABLE).
      const topic = "restart-orders";
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            numPartitions: 1,
            replicationFactor: 3,
            configEntries: [{ name: "min.insync.replicas", value: "2" }],
          },
        ],
      });
      const leader = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0].partitions[0].leader;
      // FindCoordinator (under describeGroups) creates the offsets topic when no group has used it yet.
      await admin.describeGroups(["restart-readers"]).catch(() => undefined);
      const offsets = await until("the offsets topic's leaders", 30_000, async () => {
        const ps = (await admin.fetchTopicMetadata({ topics: [OFFSETS_TOPIC] })).topics[0].partitions;
        return ps.length > 0 && ps.every((p) => p.leader >= 0) ? ps : undefined;
      });
      const coordinatorOf = (g: string) =>
        offsets.find((p) => p.partitionId === partitionForGroup(g, offsets.length))!.leader;
      // A group coordinated by a broker that does not lead the topic: the member keeps fetching meanwhile.
      const group = Array.from({ length: 50 }, (_, i) => `restart-readers-${i}`).find(
        (g) => coordinatorOf(g) !== leader,
      )!;
      const coordinator = coordinatorOf(group);

      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      const acked: string[] = [];
      const seen = new Set<string>();
      let producing = true;
      let n = 0;
      const worker = (async () => {
        while (producing) {
          const values = Array.from({ length: 10 }, () => `restart-${n++}`);
          try {
            await producer.send({
              topic,
              acks: -1,
              timeout: 5_000,
              messages: values.map((value) => ({ value })),
            });
            acked.push(...values);
          } catch {
            await sleep(50);
          }
          await sleep(20);
        }
      })();
      const consumer = kafka.consumer({
        groupId: group,
        sessionTimeout: 10_000,
        heartbeatInterval: 300,
        retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      try {
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            seen.add(message.value?.toString() ?? "");
          },
        });
        await until("the group to read 100 records", 60_000, async () => seen.size >= 100);
        await cluster.crash(coordinator);
        await cluster.restart(coordinator);
        const ackedAtRestart = acked.length;
        await until("100 records acknowledged after the restart", 60_000, async () =>
          acked.length >= ackedAtRestart + 100 ? true : undefined,
        );
        producing = false;
        await worker;
        await until("the group to read every acknowledged record", 60_000, async () =>
          acked.every((v) => seen.has(v)),
        ).catch((e: Error) => {
          const missing = acked.filter((v) => !seen.has(v));
          throw new Error(`${e.message}: ${missing.length} of ${acked.length} not read, e.g. ${missing[0]}`);
        });
      } finally {
        producing = false;
        await worker;
        await consumer.disconnect().catch(() => {});
        await producer.disconnect().catch(() => {});
      }
    },
    200_000,
  );

  it("moves the controller when its ZooKeeper session expires, and fences the old one by epoch", async () => {
    await createTutorialTopic();
    const zk = await cluster.metadata();
    const old = await until("a controller", 30_000, async () => (await zk.getController()) ?? undefined);
    const fence = (await zk.getControllerEpoch())!;
    const oldSession = (await zk.session.exists(ZkPaths.brokerId(old)))!.ephemeralOwner;

    // Stopped, the old controller cannot reconnect and win the election again before the others act.
    cluster.pause(old);
    try {
      expect(await cluster.expireSession(old)).toBe(oldSession);
      const next = await until("a new controller", 30_000, async () => {
        const c = await zk.getController();
        return c !== null && c !== old ? c : undefined;
      });
      expect(next).not.toBe(old);
    } finally {
      cluster.resume(old);
    }
    const now = (await zk.getControllerEpoch())!;
    expect(now.epoch).toBeGreaterThan(fence.epoch);

    // The old controller's writes carry its fence; ZooKeeper refuses them now.
    await expect(
      zk.fencedMulti(fence, [
        { op: "set", path: ZkPaths.partitionState(TOPIC, 0), data: Buffer.from("{}"), version: -1 },
      ]),
    ).rejects.toBeInstanceOf(ControllerMovedError);

    // The old controller came back as a plain broker with a new session, and the cluster still works.
    await until(`broker ${old} registered again`, 30_000, async () => {
      const stat = await zk.session.exists(ZkPaths.brokerId(old));
      return stat !== null && stat.ephemeralOwner !== oldSession;
    });
    expect(await zk.getController()).not.toBe(old);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    try {
      const [r] = await producer.send({ topic: TOPIC, acks: -1, messages: [{ value: "after-the-move" }] });
      expect(r.errorCode).toBe(0);
    } finally {
      await producer.disconnect();
    }
  }, 120_000);
});
