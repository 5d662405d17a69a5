/**
 * Restarts. `kafkaspec cluster` restarted on the same data directory keeps its topics (the embedded
 * metadata snapshot) and its records (the logs on disk): what a developer expects after stopping the
 * cluster. A broker restarted after kill -9, while its old metadata session still holds its
 * registration, answers clients with retriable errors until it has registered.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startCluster } from "../../impl/broker/cluster.ts";
import { brokerConfigFrom } from "../../impl/broker/config.ts";
import { METADATA_SNAPSHOT_FILE } from "../../impl/broker/metadata-snapshot.ts";
import { KafkaConnection } from "../../impl/broker/peer/connection.ts";
import { BrokerRuntime } from "../../impl/broker/runtime.ts";
import { BrokerServer } from "../../impl/broker/server.ts";
import { EmbeddedStore } from "../../impl/metadata/embedded.ts";
import { encodeBrokerRegistration, ZkPaths } from "../../impl/metadata/layout.ts";
import { encodeBatch } from "../../impl/records/batch.ts";
import { KafkaErrorCode } from "../../spec/errors.ts";
import { freePortRange, kcat } from "../interop/support.ts";

const dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-restart-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("keeps topics and records across a restart of the whole cluster", async () => {
  const port = await freePortRange(2);
  const options = {
    brokers: 2,
    port,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1" },
    log: () => {},
  };
  const first = await startCluster(options);
  const values = Array.from({ length: 40 }, (_, i) => `r${i}`);
  const p = await kcat(
    ["-b", first.bootstrap, "-P", "-t", "kept", "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
  expect(p.code, p.stderr).toBe(0);
  await first.stop();
  expect(existsSync(join(dataDir, METADATA_SNAPSHOT_FILE))).toBe(true);

  const second = await startCluster(options);
  try {
    const c = await kcat([
      "-b",
      second.bootstrap,
      "-C",
      "-t",
      "kept",
      "-o",
      "beginning",
      "-e",
      "-f",
      "%o %s\\n",
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split("\n")).toEqual(values.map((v, i) => `${i} ${v}`));
    // New writes continue after the old ones.
    const more = await kcat(["-b", second.bootstrap, "-P", "-t", "kept", "-X", "acks=all"], "after\n");
    expect(more.code, more.stderr).toBe(0);
    const tail = await kcat(["-b", second.bootstrap, "-C", "-t", "kept", "-o", "-1", "-e", "-f", "%o %s\\n"]);
    expect(tail.stdout.trim()).toBe("40 after");
  } finally {
    await second.stop();
  }
});

/**
 * The kill -9 soak's consumer stall (issue #5): the killed broker was the group's coordinator; kafkajs
 * kept its address, and the restarted broker, not yet registered (its old ZooKeeper session had not
 * expired), answered Heartbeat with BROKER_NOT_AVAILABLE. kafkajs takes that error as fatal: the
 * consumer crashed and never came back. Kafka accepts no request before it has started; the errors
 * here are the retriable ones a broker that leads and coordinates nothing gives.
 */
it("answers every client request with a retriable error until a restarted broker has registered", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kafkaspec-unregistered-test-"));
  const store = new EmbeddedStore();
  const port = await freePortRange(1);
  // The killed incarnation's session still holds /brokers/ids/1.
  const old = await store.connect({ sessionTimeoutMs: 60_000 });
  await old.mkdirp(ZkPaths.brokerIds);
  await old.create(
    ZkPaths.brokerId(1),
    encodeBrokerRegistration({
      id: 1,
      endpoints: [{ listener: "PLAINTEXT", host: "127.0.0.1", port, securityProtocol: "PLAINTEXT" }],
      rack: null,
      jmxPort: -1,
      timestampMs: Date.now(),
      version: 5,
    }),
    "ephemeral",
  );
  const config = brokerConfigFrom(
    new Map([
      ["broker.id", "1"],
      ["listeners", `PLAINTEXT://127.0.0.1:${port}`],
      ["log.dirs", join(dir, "logs")],
      ["offsets.topic.replication.factor", "1"],
    ]),
  );
  const runtime = new BrokerRuntime({ config, store, log: () => {}, readyWaitMs: 200 });
  const server = new BrokerServer(runtime, { host: "127.0.0.1", port, maxRequestBytes: 1 << 20 });
  const c = new KafkaConnection(() => ({ host: "127.0.0.1", port }), "unregistered-test");
  try {
    await runtime.start();
    await server.listen();
    expect(runtime.running).toBe(false);
    const member = { groupId: "g", memberId: "m-1", groupInstanceId: null };
    const [heartbeat, sync, leave, commit, offsets, find, join_, produce, fetch, list] = await Promise.all([
      c.request(12, 3, { ...member, generationId: 3 }),
      c.request(14, 3, { ...member, generationId: 3, assignments: [] }),
      c.request(13, 3, { groupId: "g", members: [{ memberId: "m-1", groupInstanceId: null }] }),
      c.request(8, 7, {
        ...member,
        generationIdOrMemberEpoch: 3,
        topics: [
          {
            name: "t",
            partitions: [
              { partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null },
            ],
          },
        ],
      }),
      c.request(9, 5, { groupId: "g", topics: [{ name: "t", partitionIndexes: [0] }] }),
      c.request(10, 2, { key: "g", keyType: 0 }),
      c.request(11, 5, {
        ...member,
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 10_000,
        protocolType: "consumer",
        protocols: [{ name: "range", metadata: Buffer.alloc(0) }],
      }),
      c.request(0, 7, {
        acks: -1,
        timeoutMs: 1000,
        topicData: [
          {
            name: "t",
            partitionData: [
              { index: 0, records: encodeBatch([{ value: Buffer.from("v"), timestamp: Date.now() }]) },
            ],
          },
        ],
      }),
      c.request(1, 4, {
        replicaId: -1,
        maxWaitMs: 100,
        minBytes: 1,
        maxBytes: 1 << 20,
        topics: [{ topic: "t", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }],
      }),
      c.request(2, 1, {
        replicaId: -1,
        topics: [{ name: "t", partitions: [{ partitionIndex: 0, timestamp: -1n }] }],
      }),
    ]);
    const E = KafkaErrorCode;
    expect({
      heartbeat: heartbeat.errorCode,
      sync: sync.errorCode,
      leave: leave.errorCode,
      commit: commit.topics[0].partitions[0].errorCode,
      offsets: offsets.errorCode,
      find: find.errorCode,
      join: join_.errorCode,
      produce: produce.responses[0].partitionResponses[0].errorCode,
      fetch: fetch.responses[0].partitions[0].errorCode,
      list: list.topics[0].partitions[0].errorCode,
    }).toEqual({
      heartbeat: E.NOT_COORDINATOR,
      sync: E.NOT_COORDINATOR,
      leave: E.NOT_COORDINATOR,
      commit: E.NOT_COORDINATOR,
      offsets: E.NOT_COORDINATOR,
      find: E.COORDINATOR_NOT_AVAILABLE,
      join: E.NOT_COORDINATOR,
      produce: E.NOT_LEADER_OR_FOLLOWER,
      fetch: E.NOT_LEADER_OR_FOLLOWER,
      list: E.NOT_LEADER_OR_FOLLOWER,
    });

    // The old session ends: the broker registers and serves (it coordinates nothing yet).
    await old.close();
    await runtime.ready(10_000);
    expect(runtime.running).toBe(true);
    const after = await c.request(12, 3, { ...member, generationId: 3 });
    expect(after.errorCode).toBe(E.NOT_COORDINATOR);
  } finally {
    c.close();
    await server.close();
    await runtime.shutdown();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
