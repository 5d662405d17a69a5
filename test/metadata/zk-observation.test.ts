/**
 * Metadata observations read from a real ZooKeeper (impl/metadata/zk-observation.ts): Kafka's znodes as
 * KafkaZk writes them, read back after a sync into an Observation; the sync and the reply zxids that say
 * how fresh and how consistent the reads are. The pure builder is checked on the same snapshots.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assignmentOf, encodePartitionState, KafkaZk, ZkPaths } from "../../impl/metadata/layout.ts";
import type { MetadataSession } from "../../impl/metadata/store.ts";
import {
  buildMetadataObservation,
  lastZxid,
  readMetadataSnapshot,
  StateChanges,
  syncZxid,
} from "../../impl/metadata/zk-observation.ts";
import { ZooKeeperSession, ZooKeeperStore } from "../../impl/metadata/zookeeper.ts";
import { checkState } from "../../spec/invariants/index.ts";
import { type ZooKeeperServer, zookeeperForTests } from "../support/zookeeper.ts";

let server: ZooKeeperServer;
let store: ZooKeeperStore;
let reader: ZooKeeperSession;
let writer: MetadataSession;
let broker1: MetadataSession;
let broker2: MetadataSession;

const PREFIX = "ks1-ab-";
const build = (snap: Awaited<ReturnType<typeof readMetadataSnapshot>>, time = 0) =>
  buildMetadataObservation(snap, {
    time,
    brokers: [1, 2, 3],
    topicName: (wire) => (wire.startsWith(PREFIX) ? wire.slice(PREFIX.length) : null),
    defaults: { minInsyncReplicas: 1, uncleanLeaderElection: false },
    reactionBoundMs: 21_000,
  });
const include = (t: string) => t.startsWith(PREFIX);

beforeAll(async () => {
  server = await zookeeperForTests();
  store = new ZooKeeperStore(`${server.connectString}/kafkaspec-zk-observation-${process.pid}-${Date.now()}`);
  const session = await store.connect({ sessionTimeoutMs: 10_000 });
  if (!(session instanceof ZooKeeperSession)) throw new Error("not a ZooKeeper session");
  reader = session;
  writer = await store.connect({ sessionTimeoutMs: 10_000 });
  broker1 = await store.connect({ sessionTimeoutMs: 10_000 });
  broker2 = await store.connect({ sessionTimeoutMs: 10_000 });
  const zk = new KafkaZk(writer);
  await zk.createTopLevelPaths();
  for (const [id, s] of [
    [1, broker1],
    [2, broker2],
  ] as const)
    await new KafkaZk(s).registerBroker({
      id,
      endpoints: [
        { listener: "PLAINTEXT", host: "127.0.0.1", port: 9090 + id, securityProtocol: "PLAINTEXT" },
      ],
      rack: null,
      jmxPort: -1,
      timestampMs: 0,
      version: 5,
    });
  const elected = await new KafkaZk(broker2).electController(2);
  if (!elected.elected) throw new Error(`broker 2 did not become controller: ${JSON.stringify(elected)}`);
  const fence = { epoch: elected.epoch, epochZkVersion: elected.epochZkVersion };
  // This run's topic (with a min.insync.replicas override), another run's, and the internal one.
  await zk.createTopic(
    `${PREFIX}t0`,
    assignmentOf([
      [1, 2, 3],
      [2, 3, 1],
    ]),
    { "min.insync.replicas": "2" },
  );
  await zk.createTopic("ks9-zz-t0", assignmentOf([[1]]));
  await zk.createTopic("__consumer_offsets", assignmentOf([[1, 2]]));
  await zk.createPartitionStates(
    `${PREFIX}t0`,
    new Map([
      [0, { leader: 1, leaderEpoch: 0, isr: [1, 2, 3], controllerEpoch: fence.epoch }],
      [1, { leader: -1, leaderEpoch: 4, isr: [3], controllerEpoch: fence.epoch }],
    ]),
    fence,
  );
}, 60_000);

afterAll(async () => {
  await store?.close();
  await server?.stop();
});

describe("a metadata observation from ZooKeeper", () => {
  it("reads the controller, registrations and the run's partitions under their run names, in one consistent pass", async () => {
    const snap = await readMetadataSnapshot(reader, { includeTopic: include });
    expect(snap.fromZxid).toBeGreaterThan(0);
    expect(snap.toZxid).toBe(snap.fromZxid);
    expect(snap.topics.map((t) => t.wireName)).toEqual([`${PREFIX}t0`]);
    const obs = build(snap, 1234);
    expect(obs.scope).toBe("metadata");
    expect(obs.time).toBe(1234);
    expect(obs.metadataRead).toEqual({
      fromZxid: snap.fromZxid,
      toZxid: snap.fromZxid,
      consistent: true,
      reactionBoundMs: 21_000,
    });
    expect(obs.controller).toEqual({ broker: 2, epoch: 1 });
    expect(obs.brokers).toEqual([
      { id: 1, state: "running", registered: true },
      { id: 2, state: "running", registered: true },
      { id: 3, state: "offline", registered: false },
    ]);
    expect(obs.groups).toEqual([]);
    const [p0, p1] = obs.partitions;
    expect(p0).toMatchObject({
      topic: "t0",
      partition: 0,
      leader: 1,
      leaderEpoch: 0,
      isr: [1, 2, 3],
      replicas: [1, 2, 3],
      minInsyncReplicas: 2,
      uncleanLeaderElection: false,
      controllerEpoch: 1,
      replicaStates: [],
      leaderIsr: [],
    });
    expect(p0.stateZnode?.version).toBe(0);
    expect(p0.stateZnode?.mzxid).toBeLessThanOrEqual(snap.toZxid);
    // A leader of -1 is Kafka's "no leader".
    expect(p1).toMatchObject({ partition: 1, leader: null, leaderEpoch: 4, isr: [3] });
    expect(checkState(obs)).toEqual([]);
  });

  it("sees a write made through another session at once, and stamps its version and zxid", async () => {
    const before = build(await readMetadataSnapshot(reader, { includeTopic: include }));
    const stat = await writer.set(
      ZkPaths.partitionState(`${PREFIX}t0`, 0),
      encodePartitionState({ leader: 2, leaderEpoch: 1, isr: [2, 3], controllerEpoch: 1 }),
      0,
    );
    const snap = await readMetadataSnapshot(reader, { includeTopic: include });
    expect(snap.fromZxid).toBeGreaterThanOrEqual(stat.mzxid);
    const after = build(snap, 10);
    expect(after.partitions[0]).toMatchObject({ leader: 2, leaderEpoch: 1, isr: [2, 3] });
    expect(after.partitions[0].stateZnode).toEqual({
      czxid: before.partitions[0].stateZnode!.czxid,
      mzxid: stat.mzxid,
      version: 1,
    });
    // One write, from the ISR: a clean election as the invariants see it.
    expect(checkState(after, before)).toEqual([]);
  });

  it("keeps the states written between two snapshots that its watches saw, oldest first", async () => {
    const changes = new StateChanges(reader);
    const path = ZkPaths.partitionState(`${PREFIX}t0`, 1);
    const first = build(await readMetadataSnapshot(reader, { includeTopic: include, changes }));
    const v0 = first.partitions[1].stateZnode!.version;
    const write = async (leader: number, epoch: number, version: number) => {
      await writer.set(
        path,
        encodePartitionState({ leader, leaderEpoch: epoch, isr: [leader], controllerEpoch: 1 }),
        version,
      );
      // Long enough for the watch to fire and the state to be read again.
      await new Promise((r) => setTimeout(r, 300));
    };
    await write(3, 5, v0);
    await write(2, 6, v0 + 1);
    await write(3, 7, v0 + 2);
    const after = build(await readMetadataSnapshot(reader, { includeTopic: include, changes }));
    const p = after.partitions[1];
    expect(p).toMatchObject({ leader: 3, leaderEpoch: 7 });
    expect(p.earlierStates?.map((s) => [s.leader, s.leaderEpoch, s.stateZnode?.version])).toEqual([
      [3, 5, v0 + 1],
      [2, 6, v0 + 2],
    ]);
    // Nothing is reported twice: the next snapshot starts from this one.
    const again = build(await readMetadataSnapshot(reader, { includeTopic: include, changes }));
    expect(again.partitions[1].earlierStates).toBeUndefined();
    // 2 -> 3 with 3 outside [2] is an election outside the ISR, seen only through the watches.
    expect(checkState(after, first).map((v) => v.invariant)).toContain("clean-election");
    changes.close();
  });

  it("a broker whose session closes is no longer registered, and the reply zxids follow the store", async () => {
    const z1 = await syncZxid(reader);
    await broker1.close();
    expect(lastZxid(reader)).toBe(z1);
    const z2 = await syncZxid(reader);
    expect(z2).toBeGreaterThan(z1);
    const obs = build(await readMetadataSnapshot(reader, { includeTopic: include }));
    expect(obs.brokers.find((b) => b.id === 1)).toEqual({ id: 1, state: "offline", registered: false });
    // Broker 1 still leads nothing now (partition 0 moved to 2 above); the controller is registered.
    expect(checkState(obs)).toEqual([]);
  });

  it("reads through any metadata session, without zxids when the store gives none", async () => {
    const { EmbeddedStore } = await import("../../impl/metadata/embedded.ts");
    const embedded = new EmbeddedStore();
    const s = await embedded.connect({ sessionTimeoutMs: 10_000 });
    await new KafkaZk(s).createTopLevelPaths();
    const snap = await readMetadataSnapshot(s, { includeTopic: include, maxAttempts: 2 });
    expect(snap).toMatchObject({ fromZxid: -1, toZxid: -1, attempts: 2, topics: [] });
    expect(build(snap).metadataRead?.consistent).toBe(false);
    await embedded.close();
  });
});
