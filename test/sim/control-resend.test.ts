/**
 * Controller requests lost on a cut link are sent again, as the TCP runtime and Kafka's
 * ControllerChannelManager do. Before control-channels.ts the simulator dropped a LeaderAndIsr lost on a
 * cut for good: a follower cut off by `isolate` and healed within its ZooKeeper session stayed a
 * follower of the dead leader at epoch 0 with log end 0 (240 s and more), never rejoining.
 */
import { describe, expect, it } from "vitest";
import type { LeaderAndIsrRequest, UpdateMetadataRequest } from "../../impl/controller/messages.ts";
import {
  decodeController,
  decodePartitionState,
  decodeTopicAssignment,
  ZkPaths,
} from "../../impl/metadata/layout.ts";
import type { ClientRequest, ClientResponse } from "../../impl/node/requests.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";
import {
  ControlChannels,
  channelKey,
  controlRetryDelayMs,
  controlStillWanted,
} from "../../impl/sim/control-channels.ts";

const metadata = (controllerEpoch: number): UpdateMetadataRequest =>
  ({ type: "updateMetadata", controllerId: 1, controllerEpoch }) as unknown as UpdateMetadataRequest;
const leaderAndIsr = (controllerEpoch: number): LeaderAndIsrRequest =>
  ({ type: "leaderAndIsr", controllerId: 1, controllerEpoch }) as unknown as LeaderAndIsrRequest;

describe("ControlChannels", () => {
  it("sends one request at a time per channel, in order, the next once the head is done", () => {
    const c = new ControlChannels();
    const k = channelKey(1, 1, 2);
    const [a, b, d] = [leaderAndIsr(1), metadata(1), metadata(1)];
    expect(c.enqueue(k, a)).toBe(a);
    expect(c.enqueue(k, b)).toBeNull();
    expect(c.enqueue(k, d)).toBeNull();
    // Another destination, or another process of the same broker, has its own channel.
    expect(c.enqueue(channelKey(1, 1, 3), d)).toBe(d);
    expect(c.enqueue(channelKey(1, 2, 2), d)).toBe(d);
    expect(c.head(k)).toBe(a);
    expect(c.done(k)).toBe(b);
    expect(c.done(k)).toBe(d);
    expect(c.done(k)).toBeNull();
    expect(c.head(k)).toBeUndefined();
    expect(c.enqueue(k, a)).toBe(a);
    c.discard(k);
    expect(c.size).toBe(2);
  });

  it("waits 100 ms after a lost attempt, doubling to 1 s, and starts over for the next request", () => {
    expect([1, 2, 3, 4, 5, 50].map(controlRetryDelayMs)).toEqual([100, 200, 400, 800, 1000, 1000]);
    const c = new ControlChannels();
    const k = channelKey(1, 1, 2);
    c.enqueue(k, leaderAndIsr(1));
    c.enqueue(k, metadata(1));
    expect([c.failed(k), c.failed(k), c.failed(k)]).toEqual([100, 200, 400]);
    c.done(k);
    expect(c.failed(k)).toBe(100);
  });

  it("wants a request while its controller is active in the same epoch and the broker is live", () => {
    const live = new Set([1, 2]);
    expect(controlStillWanted({ isActive: true, epoch: 3, liveBrokers: live }, 2, metadata(3))).toBe(true);
    expect(controlStillWanted({ isActive: false, epoch: 3, liveBrokers: live }, 2, metadata(3))).toBe(false);
    expect(controlStillWanted({ isActive: true, epoch: 4, liveBrokers: live }, 2, metadata(3))).toBe(false);
    expect(controlStillWanted({ isActive: true, epoch: 3, liveBrokers: live }, 3, metadata(3))).toBe(false);
  });
});

function call(sim: SimCluster, b: number, req: ClientRequest): ClientResponse {
  let out: ClientResponse | null | undefined;
  sim.sendClient(b, req, (r) => {
    out = r;
  });
  sim.runUntil(() => out !== undefined);
  if (out === undefined || out === null) throw new Error(`no answer from broker ${b} to ${req.api}`);
  return out;
}

describe("simulator: a follower cut off and healed within its session", () => {
  for (const seed of [1, 2, 3]) {
    it(`gets the LeaderAndIsr it missed and follows the new leader (seed ${seed})`, () => {
      // A session far longer than the cut: G keeps its registration, so nothing else tells it the news.
      const sim = new SimCluster({ seed, brokers: 3, config: { "zookeeper.session.timeout.ms": 600_000 } });
      for (let id = 1; id <= 3; id++) sim.startBroker(id);
      sim.settle();
      const read = (path: string) => {
        const n = sim.tree.get(sim.observerSession, path);
        if (n === null) throw new Error(`no ${path}`);
        return n.data;
      };
      const controller = decodeController(read(ZkPaths.controller)).brokerId;
      const created = call(sim, controller, {
        api: "createTopics",
        name: "t",
        numPartitions: 1,
        replicationFactor: 3,
        config: { minInsyncReplicas: 1 },
      });
      expect(created).toMatchObject({ error: null });
      sim.settle();
      const replicas = decodeTopicAssignment("t", read(ZkPaths.topic("t"))).partitions.get(0);
      if (replicas === undefined) throw new Error("no assignment");
      const [L, F, G] = replicas as [number, number, number];
      const replica = (b: number) => {
        const r = [...(sim.brokers.get(b)?.node?.replicas.values() ?? [])].find((x) => x.topic === "t");
        if (r === undefined) throw new Error(`broker ${b} has no replica of t`);
        return r;
      };

      sim.isolate([L, F], [G]);
      const records = [1, 2, 3, 4].map(() => ({ key: null, value: Buffer.from("x") }));
      expect(
        call(sim, L, { api: "produce", topic: "t", partition: 0, acks: 1, timeoutMs: 5000, records }),
      ).toMatchObject({
        error: null,
        baseOffset: 0,
      });
      sim.advance(1_000);
      sim.crashBroker(L);
      sim.expireSession(L);
      sim.settle();
      const state = decodePartitionState(read(ZkPaths.partitionState("t", 0)));
      expect(state.leader).toBe(F);
      expect(state.leaderEpoch).toBe(1);
      sim.advance(10_000);
      // The situation: G missed the new leader's LeaderAndIsr on the cut.
      expect(replica(G)).toMatchObject({ role: "follower", leader: L, leaderEpoch: 0, logEndOffset: 0 });

      sim.heal();
      sim.advance(5_000);
      expect(replica(G)).toMatchObject({ role: "follower", leader: F, leaderEpoch: 1, logEndOffset: 4 });
      expect(replica(F).highWatermark).toBe(4);
    });
  }
});

describe("simulator: a broker cut off past its session", () => {
  it("is sent a lost request again only while the controller counts it live", () => {
    const sim = new SimCluster({ seed: 4, brokers: 3, config: { "zookeeper.session.timeout.ms": 6_000 } });
    for (let id = 1; id <= 3; id++) sim.startBroker(id);
    sim.settle();
    const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
    if (c === null) throw new Error("no controller");
    const controller = decodeController(c.data).brokerId;
    const other = [1, 2, 3].filter((b) => b !== controller);
    const [x, cut] = other as [number, number];
    sim.isolate([controller, x], [cut]);
    const created = call(sim, controller, {
      api: "createTopics",
      name: "t",
      numPartitions: 3,
      replicationFactor: 3,
      config: { minInsyncReplicas: 1 },
    });
    expect(created).toMatchObject({ error: null });
    sim.settle();
    // The requests for the cut broker wait on its channel, sent again every 100 ms...
    expect(sim.controlChannels.size).toBeGreaterThan(0);
    sim.advance(2_000);
    expect(sim.controlChannels.size).toBeGreaterThan(0);
    // ...until its session expires and the controller no longer counts it live: then they are dropped.
    sim.advance(10_000);
    expect(sim.controlChannels.size).toBe(0);
  });
});
