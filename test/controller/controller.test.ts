/**
 * Controller scenarios on the simulated cluster: failover by session expiry, a stale controller fenced
 * by /controller_epoch, leader election from the ISR, unclean election only when the topic allows it,
 * and Kafka's replica placement.
 */
import { describe, expect, it } from "vitest";
import { assignReplicas } from "../../impl/controller/placement.ts";
import {
  decodeController,
  decodeControllerEpoch,
  decodePartitionState,
  ZkPaths,
} from "../../impl/metadata/layout.ts";
import type { ClientResponse } from "../../impl/node/requests.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";

function cluster(brokers = 3, faults: string[] = []): SimCluster {
  const sim = new SimCluster({ seed: 42, brokers, seededFaults: faults });
  for (let id = 1; id <= brokers; id++) sim.startBroker(id);
  sim.settle();
  return sim;
}

function controllerOf(sim: SimCluster): { broker: number; epoch: number } {
  const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
  const e = sim.tree.get(sim.observerSession, ZkPaths.controllerEpoch)!;
  return {
    broker: c === null ? -1 : decodeController(c.data).brokerId,
    epoch: decodeControllerEpoch(e.data),
  };
}

function stateOf(sim: SimCluster, topic: string, p = 0) {
  return decodePartitionState(sim.tree.get(sim.observerSession, ZkPaths.partitionState(topic, p))!.data);
}

function call(
  sim: SimCluster,
  broker: number,
  request: Parameters<SimCluster["sendClient"]>[1],
): ClientResponse {
  let out: ClientResponse | null | undefined;
  sim.sendClient(broker, request, (r) => {
    out = r;
  });
  sim.runUntil(() => out !== undefined);
  if (!out) throw new Error("no response");
  return out;
}

function createTopic(sim: SimCluster, rf: number, unclean = false): void {
  const r = call(sim, controllerOf(sim).broker, {
    api: "createTopics",
    name: "t",
    numPartitions: 1,
    replicationFactor: rf,
    config: { minInsyncReplicas: 1, uncleanLeaderElection: unclean },
  });
  expect(r).toEqual({ api: "createTopics", error: null });
  sim.settle();
}

describe("controller", () => {
  it("one controller is elected with epoch 1; its session expiring moves the controller and bumps the epoch", () => {
    const sim = cluster();
    const first = controllerOf(sim);
    expect(first.epoch).toBe(1);
    expect(sim.brokers.get(first.broker)!.node!.controller.isActive).toBe(true);
    expect(sim.expireSession(first.broker)).toBe(true);
    sim.settle();
    const second = controllerOf(sim);
    expect(second.epoch).toBe(2);
    const active = [...sim.brokers.values()].filter((b) => b.node?.controller.isActive).map((b) => b.id);
    expect(active).toEqual([second.broker]);
  });

  it("a paused controller that lost its session is fenced: its writes fail and brokers ignore its epoch", () => {
    const sim = cluster();
    createTopic(sim, 3);
    const old = controllerOf(sim);
    sim.pauseBroker(old.broker);
    sim.advance(20_000);
    const now = controllerOf(sim);
    expect(now.broker).not.toBe(old.broker);
    expect(now.epoch).toBe(old.epoch + 1);
    const before = stateOf(sim, "t");
    sim.resumeBroker(old.broker);
    sim.settle();
    // The old controller stepped down; the partition state was written by the new one only.
    expect(sim.brokers.get(old.broker)!.node!.controller.isActive).toBe(false);
    expect(stateOf(sim, "t").controllerEpoch).toBeGreaterThanOrEqual(before.controllerEpoch);
    expect(stateOf(sim, "t").leaderEpoch).toBeGreaterThanOrEqual(before.leaderEpoch);
  });

  it("elects the next ISR member when the leader's broker dies, with a new leader epoch", () => {
    const sim = cluster();
    createTopic(sim, 3);
    const s0 = stateOf(sim, "t");
    sim.crashBroker(s0.leader);
    sim.advance(20_000);
    const s1 = stateOf(sim, "t");
    expect(s1.leader).not.toBe(s0.leader);
    expect(s0.isr).toContain(s1.leader);
    expect(s1.leaderEpoch).toBeGreaterThan(s0.leaderEpoch);
    expect(s1.isr).not.toContain(s0.leader);
  });

  it("leaves the partition offline when no ISR member is alive, unless unclean election is enabled", () => {
    for (const unclean of [false, true]) {
      const sim = cluster();
      createTopic(sim, 2, unclean);
      const s0 = stateOf(sim, "t");
      const [a, b] = s0.isr;
      sim.crashBroker(b);
      sim.advance(20_000); // b leaves the ISR
      expect(stateOf(sim, "t").isr).toEqual([a]);
      sim.startBroker(b);
      sim.crashBroker(a); // before b has even registered again, so b never rejoins the ISR
      sim.settle();
      sim.advance(20_000);
      const s = stateOf(sim, "t");
      if (unclean) {
        expect(s.leader).toBe(b);
        expect(s.isr).toEqual([b]);
      } else {
        expect(s.leader).toBe(-1);
        expect(s.isr).toEqual([a]);
      }
    }
  });

  it("a controller cut from the store for less than a session timeout keeps working after the heal", () => {
    const sim = cluster();
    createTopic(sim, 3);
    const ctl = controllerOf(sim);
    const others = [1, 2, 3].filter((b) => b !== ctl.broker);
    sim.isolate(others, [ctl.broker]);
    sim.advance(5_000); // shorter than zookeeper.session.timeout.ms: nobody's session expires
    sim.heal();
    sim.settle();
    expect(controllerOf(sim)).toEqual(ctl);
    const s0 = stateOf(sim, "t");
    const victim = s0.leader === ctl.broker ? others[0] : s0.leader;
    sim.crashBroker(victim);
    sim.advance(20_000);
    const s1 = stateOf(sim, "t");
    expect(s1.leader).not.toBe(victim);
    expect(s1.leaderEpoch).toBeGreaterThan(s0.leaderEpoch);
  });

  it("places replicas like Kafka's assignReplicasToBrokers (round-robin, shifted followers)", () => {
    expect(assignReplicas([1, 2, 3], 6, 2, 0)).toEqual([
      [1, 2],
      [2, 3],
      [3, 1],
      [1, 3],
      [2, 1],
      [3, 2],
    ]);
    expect(assignReplicas([1, 2, 3, 4], 4, 3, 1, 0, 0)).toEqual([
      [2, 3, 4],
      [3, 4, 1],
      [4, 1, 2],
      [1, 2, 3],
    ]);
  });
});
