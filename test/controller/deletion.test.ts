/**
 * Topic deletion as Kafka's ZooKeeper-mode controller does it (TopicDeletionManager), on the simulated
 * cluster: an admin writes /admin/delete_topics/T, the controller takes T's partitions offline, tells
 * every replica StopReplica(deletePartitions=true), and removes T's znodes only when every replica
 * answered. A replica that is down holds the deletion until it returns; a new controller resumes it.
 */
import { describe, expect, it } from "vitest";
import { TopicDeletions } from "../../impl/controller/deletion.ts";
import { decodePartitionState, ZkPaths } from "../../impl/metadata/layout.ts";
import type { ClientResponse } from "../../impl/node/requests.ts";
import { type Settings, SimCluster } from "../../impl/sim/cluster.ts";

function cluster(config: Settings = {}): SimCluster {
  const sim = new SimCluster({ seed: 7, brokers: 3, config });
  for (let id = 1; id <= 3; id++) sim.startBroker(id);
  sim.settle();
  return sim;
}

function call(sim: SimCluster, broker: number, request: Parameters<SimCluster["sendClient"]>[1]) {
  let out: ClientResponse | null | undefined;
  sim.sendClient(broker, request, (r) => {
    out = r;
  });
  sim.runUntil(() => out !== undefined);
  if (!out) throw new Error(`no response to ${request.api}`);
  return out;
}

function controllerId(sim: SimCluster): number {
  return [...sim.brokers.values()].find((b) => b.node?.controller.isActive)!.id;
}

function exists(sim: SimCluster, path: string): boolean {
  return sim.tree.exists(sim.observerSession, path) !== null;
}

function createTopic(sim: SimCluster, name: string, partitions: number, rf: number): void {
  const r = call(sim, controllerId(sim), {
    api: "createTopics",
    name,
    numPartitions: partitions,
    replicationFactor: rf,
    config: { minInsyncReplicas: 1 },
  });
  expect(r).toEqual({ api: "createTopics", error: null });
  sim.settle();
}

function leaderOf(sim: SimCluster, topic: string, p: number): number {
  const node = sim.tree.get(sim.observerSession, ZkPaths.partitionState(topic, p))!;
  return decodePartitionState(node.data).leader;
}

function produce(sim: SimCluster, topic: string, p: number, values: string[]) {
  return call(sim, leaderOf(sim, topic, p), {
    api: "produce",
    topic,
    partition: p,
    acks: -1,
    timeoutMs: 5_000,
    records: values.map((v) => ({ key: null, value: Buffer.from(v) })),
  });
}

/** What kafka-topics.sh --zookeeper --delete writes. */
function requestDeletion(sim: SimCluster, topic: string): void {
  sim.tree.create(sim.observerSession, ZkPaths.deleteTopic(topic), Buffer.alloc(0), "persistent");
  sim.advance(1); // delivers the watch
  sim.settle();
}

function replicasOnDisk(sim: SimCluster, topic: string): number[] {
  const on: number[] = [];
  for (const b of sim.brokers.values()) if (b.disk.existing().some((p) => p.topic === topic)) on.push(b.id);
  return on.sort();
}

function metadataTopics(sim: SimCluster, broker: number): string[] {
  const r = call(sim, broker, { api: "metadata", topics: null });
  if (r.api !== "metadata") throw new Error(r.api);
  return r.topics.map((t) => t.name);
}

describe("TopicDeletions (the deletion manager's bookkeeping)", () => {
  it("a topic is done only when every replica answered without error; a dead broker's replicas wait", () => {
    const d = new TopicDeletions();
    d.enqueue("t", [
      [1, 2],
      [2, 3],
    ]);
    expect(d.has("t")).toBe(true);
    const sent = d.start(new Set([1, 2]));
    expect([...sent.entries()]).toEqual([
      [1, [{ topic: "t", partition: 0 }]],
      [
        2,
        [
          { topic: "t", partition: 0 },
          { topic: "t", partition: 1 },
        ],
      ],
    ]);
    expect(d.start(new Set([1, 2])).size).toBe(0); // started replicas are not sent twice
    expect(d.onResponse(1, [{ topic: "t", partition: 0, error: null }])).toEqual([]);
    expect(d.onResponse(2, [{ topic: "t", partition: 0, error: "KAFKA_STORAGE_ERROR" }])).toEqual([]);
    // Broker 2's failed replica and broker 3's are pending; broker 3 comes back.
    d.brokerFailed(2);
    expect(d.replicaStates("t").map((r) => r.state)).toEqual(["successful", "pending", "pending", "pending"]);
    d.start(new Set([2, 3]));
    expect(
      d.onResponse(2, [
        { topic: "t", partition: 0, error: null },
        { topic: "t", partition: 1, error: null },
      ]),
    ).toEqual([]);
    expect(d.onResponse(3, [{ topic: "t", partition: 1, error: null }])).toEqual(["t"]);
    d.complete("t");
    expect(d.queued()).toEqual([]);
  });

  it("an answer for a replica that was not sent a StopReplica (a late one from an earlier send) counts for nothing", () => {
    const d = new TopicDeletions();
    d.enqueue("t", [[1]]);
    expect(d.onResponse(1, [{ topic: "t", partition: 0, error: null }])).toEqual([]);
    expect(d.isDone("t")).toBe(false);
  });
});

describe("controller: topic deletion through /admin/delete_topics", () => {
  it("deletes every replica's log, the topic's znodes and the request; a same-name topic starts at offset 0", () => {
    const sim = cluster();
    createTopic(sim, "t", 2, 3);
    expect(produce(sim, "t", 0, ["a", "b", "c"])).toMatchObject({ error: null, baseOffset: 0 });
    expect(replicasOnDisk(sim, "t")).toEqual([1, 2, 3]);

    requestDeletion(sim, "t");

    expect(exists(sim, ZkPaths.topic("t"))).toBe(false);
    expect(exists(sim, ZkPaths.configTopic("t"))).toBe(false);
    expect(exists(sim, ZkPaths.deleteTopic("t"))).toBe(false);
    expect(exists(sim, ZkPaths.deleteTopics)).toBe(true);
    expect(replicasOnDisk(sim, "t")).toEqual([]);
    for (const b of sim.brokers.values()) {
      expect([...b.node!.replicas.keys()].filter((k) => k.startsWith("t\u0000"))).toEqual([]);
      expect(metadataTopics(sim, b.id)).not.toContain("t");
    }
    const c = sim.brokers.get(controllerId(sim))!.node!.controller;
    expect(c.topicsBeingDeleted()).toEqual([]);
    expect(c.partitionStates().filter((s) => s.topic === "t")).toEqual([]);
    const fetch = call(sim, 1, { api: "fetch", topic: "t", partition: 0, fetchOffset: 0, maxRecords: 10 });
    expect(fetch).toMatchObject({ api: "fetch", error: "UNKNOWN_TOPIC_OR_PARTITION" });

    createTopic(sim, "t", 2, 3);
    expect(produce(sim, "t", 0, ["fresh"])).toMatchObject({ error: null, baseOffset: 0 });
  });

  it("a produce to a deleted partition's former leader gets UNKNOWN_TOPIC_OR_PARTITION", () => {
    const sim = cluster();
    createTopic(sim, "t", 1, 2);
    const leader = leaderOf(sim, "t", 0);
    requestDeletion(sim, "t");
    const r = call(sim, leader, {
      api: "produce",
      topic: "t",
      partition: 0,
      acks: 1,
      timeoutMs: 1_000,
      records: [{ key: null, value: Buffer.from("x") }],
    });
    expect(r).toEqual({ api: "produce", error: "UNKNOWN_TOPIC_OR_PARTITION", baseOffset: -1 });
  });

  it("a replica whose broker is down holds the deletion until it registers again, then its log goes", () => {
    const sim = cluster();
    createTopic(sim, "t", 3, 3);
    produce(sim, "t", 0, ["a"]);
    const controller = controllerId(sim);
    const down = [1, 2, 3].find((b) => b !== controller)!;
    sim.crashBroker(down);
    sim.advance(20_000); // its session expires: the controller sees it gone

    requestDeletion(sim, "t");

    const c = sim.brokers.get(controller)!.node!.controller;
    expect(c.topicsBeingDeleted()).toEqual(["t"]);
    expect(exists(sim, ZkPaths.topic("t"))).toBe(true);
    expect(exists(sim, ZkPaths.deleteTopic("t"))).toBe(true);
    // Partitions are offline and gone from the live brokers' metadata; the live replicas' logs are gone.
    for (let p = 0; p < 3; p++) expect(leaderOf(sim, "t", p)).toBe(-1);
    for (const b of [1, 2, 3].filter((x) => x !== down)) expect(metadataTopics(sim, b)).not.toContain("t");
    expect(replicasOnDisk(sim, "t")).toEqual([down]);
    // The name stays taken while the deletion is pending, as in Kafka ("marked for deletion").
    const again = call(sim, controller, {
      api: "createTopics",
      name: "t",
      numPartitions: 1,
      replicationFactor: 1,
      config: {},
    });
    expect(again).toEqual({ api: "createTopics", error: "TOPIC_ALREADY_EXISTS" });
    expect(call(sim, controller, { api: "createPartitions", name: "t", count: 5 })).toEqual({
      api: "createPartitions",
      error: "INVALID_TOPIC_EXCEPTION",
    });

    sim.startBroker(down);
    sim.settle();
    sim.advance(1_000);

    expect(replicasOnDisk(sim, "t")).toEqual([]);
    expect(exists(sim, ZkPaths.topic("t"))).toBe(false);
    expect(exists(sim, ZkPaths.deleteTopic("t"))).toBe(false);
    expect(c.topicsBeingDeleted()).toEqual([]);
    expect(metadataTopics(sim, down)).not.toContain("t");
    expect(sim.brokers.get(down)!.node!.replicas.size).toBe(
      [...sim.brokers.get(down)!.node!.replicas.keys()].filter((k) => !k.startsWith("t\u0000")).length,
    );
  });

  it("a replica broker killed just before the request (its registration not yet expired) gets its deletion on restart", () => {
    const sim = cluster();
    createTopic(sim, "t", 2, 3);
    // Records on every replica: an empty partition's directory need not survive a kill (storage makes
    // it durable with its first records), and then there would be nothing left to delete.
    for (const p of [0, 1]) expect(produce(sim, "t", p, ["x"])).toMatchObject({ error: null });
    const controller = controllerId(sim);
    const killed = [1, 2, 3].find((b) => b !== controller)!;
    sim.crashBroker(killed);
    requestDeletion(sim, "t"); // the controller still counts it live: its StopReplica goes nowhere
    expect(exists(sim, ZkPaths.topic("t"))).toBe(true);
    sim.advance(30_000); // the session expires, retries find no broker
    expect(exists(sim, ZkPaths.topic("t"))).toBe(true);
    expect(replicasOnDisk(sim, "t")).toEqual([killed]);
    sim.startBroker(killed);
    sim.settle();
    sim.advance(1_000);
    expect(replicasOnDisk(sim, "t")).toEqual([]);
    expect(exists(sim, ZkPaths.topic("t"))).toBe(false);
  });

  it("a StopReplica lost on the way is sent again until the broker answers (Kafka's channel retries)", () => {
    const sim = cluster();
    createTopic(sim, "t", 1, 3);
    const controller = controllerId(sim);
    const cut = [1, 2, 3].find((b) => b !== controller)!;
    // Only the link controller <-> cut is down; both still reach ZooKeeper, so nobody is declared dead.
    sim.isolate([controller, cut], [cut]);
    requestDeletion(sim, "t");
    sim.advance(1_000);
    expect(replicasOnDisk(sim, "t")).toEqual([cut]);
    expect(exists(sim, ZkPaths.topic("t"))).toBe(true);
    sim.heal();
    sim.advance(20_000); // the next retry (every replica.lag.time.max.ms / 2) reaches it
    expect(replicasOnDisk(sim, "t")).toEqual([]);
    expect(exists(sim, ZkPaths.topic("t"))).toBe(false);
  });

  it("a new controller resumes a deletion its predecessor started", () => {
    const sim = cluster();
    createTopic(sim, "t", 2, 3);
    const first = controllerId(sim);
    const down = [1, 2, 3].find((b) => b !== first)!;
    sim.crashBroker(down);
    sim.advance(20_000);
    requestDeletion(sim, "t");
    expect(exists(sim, ZkPaths.topic("t"))).toBe(true);

    // The controller goes; the deletion is still pending in ZooKeeper; the broker that was down returns.
    sim.crashBroker(first);
    sim.advance(20_000);
    const second = controllerId(sim);
    expect(second).not.toBe(first);
    expect(sim.brokers.get(second)!.node!.controller.topicsBeingDeleted()).toEqual(["t"]);
    // No failover election brought a leader back for the topic being deleted.
    for (let p = 0; p < 2; p++) expect(leaderOf(sim, "t", p)).toBe(-1);
    sim.startBroker(down);
    sim.startBroker(first);
    sim.settle();
    sim.advance(1_000);

    expect(exists(sim, ZkPaths.topic("t"))).toBe(false);
    expect(exists(sim, ZkPaths.deleteTopic("t"))).toBe(false);
    expect(replicasOnDisk(sim, "t")).toEqual([]);
  });

  it("the topic's committed group offsets go too (tombstoned, so a new coordinator does not bring them back)", () => {
    const sim = cluster();
    createTopic(sim, "__consumer_offsets", 3, 3);
    createTopic(sim, "t", 1, 3);
    createTopic(sim, "u", 1, 3);
    const coordinator = () => {
      const f = call(sim, 1, { api: "findCoordinator", key: "g" });
      if (f.api !== "findCoordinator" || f.error !== null) throw new Error(JSON.stringify(f));
      return f.nodeId;
    };
    const committed = () => {
      const r = call(sim, coordinator(), { api: "offsetFetch", body: { groupId: "g", topics: null } });
      if (r.api !== "offsetFetch") throw new Error(JSON.stringify(r));
      return r.body.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)]);
    };
    const commit = call(sim, coordinator(), {
      api: "offsetCommit",
      body: {
        groupId: "g",
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: ["t", "u"].map((name) => ({
          name,
          partitions: [
            { partitionIndex: 0, committedOffset: 3, committedLeaderEpoch: -1, committedMetadata: null },
          ],
        })),
      },
    });
    expect(commit.api).toBe("group");
    expect(committed()).toEqual([
      ["t", [3]],
      ["u", [3]],
    ]);

    requestDeletion(sim, "t");
    expect(committed()).toEqual([["u", [3]]]);

    // The coordinator dies; its successor loads the group from __consumer_offsets, tombstones included.
    const old = coordinator();
    sim.crashBroker(old);
    sim.advance(20_000);
    expect(coordinator()).not.toBe(old);
    expect(committed()).toEqual([["u", [3]]]);
  });

  it("removes requests for unknown topics, for internal topics, and every request when delete.topic.enable=false", () => {
    const sim = cluster();
    createTopic(sim, "t", 1, 1);
    createTopic(sim, "__consumer_offsets", 3, 3);
    requestDeletion(sim, "nope");
    expect(exists(sim, ZkPaths.deleteTopic("nope"))).toBe(false);
    const offsets = "__consumer_offsets";
    expect(exists(sim, ZkPaths.topic(offsets))).toBe(true);
    requestDeletion(sim, offsets);
    expect(exists(sim, ZkPaths.deleteTopic(offsets))).toBe(false);
    expect(exists(sim, ZkPaths.topic(offsets))).toBe(true);

    const off = cluster({ "delete.topic.enable": false });
    createTopic(off, "t", 1, 3);
    requestDeletion(off, "t");
    expect(exists(off, ZkPaths.deleteTopic("t"))).toBe(false);
    expect(exists(off, ZkPaths.topic("t"))).toBe(true);
    expect(replicasOnDisk(off, "t")).toEqual([1, 2, 3]);
    expect(metadataTopics(off, 1)).toContain("t");
  });
});
