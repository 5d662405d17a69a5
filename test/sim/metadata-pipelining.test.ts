/**
 * A broker's metadata-store requests travel like ZooKeeper's on one session: those issued in one step go
 * together and are answered together, in order. A starting broker's top-level paths therefore cost one
 * round trip, not one per path, and requests made while cut off from the store wait for the connection.
 */
import { describe, expect, it } from "vitest";
import { PERSISTENT_ZK_PATHS, ZkPaths } from "../../impl/metadata/layout.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";

const MAX_DELAY_MS = 3;

function registered(sim: SimCluster, id: number): boolean {
  return sim.tree.exists(sim.observerSession, ZkPaths.brokerId(id)) !== null;
}

describe("metadata-store requests of one step", () => {
  it("a starting broker creates every top-level path in one round trip, then registers", () => {
    const sim = new SimCluster({ seed: 3, brokers: 1 });
    sim.startBroker(1);
    expect(sim.runUntil(() => registered(sim, 1))).toBe(true);
    for (const path of PERSISTENT_ZK_PATHS) expect(sim.tree.exists(sim.observerSession, path)).not.toBeNull();
    // One round trip for the paths and one for the registration: at most four one-way delays. One round
    // trip per path (fifteen of them) could not finish before 2 * 15 * 1 ms.
    expect(sim.now).toBeLessThanOrEqual(4 * MAX_DELAY_MS);
    sim.settle();
    expect(sim.brokerState(1)).toBe("running");
  });

  it("a fresh cluster elects one controller and every broker registers", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const sim = new SimCluster({ seed, brokers: 3 });
      for (const id of [1, 2, 3]) sim.startBroker(id);
      sim.settle();
      for (const id of [1, 2, 3]) {
        expect(registered(sim, id)).toBe(true);
        expect(sim.brokerState(id)).toBe("running");
      }
      const controllers = [1, 2, 3].filter((id) => sim.brokers.get(id)?.node?.controller.isActive);
      expect(controllers).toHaveLength(1);
    }
  });

  it("requests made while cut off from the store wait, and are answered once it is reachable", () => {
    const sim = new SimCluster({ seed: 9, brokers: 2 });
    sim.startBroker(1);
    sim.settle();
    // Broker 2 starts on the far side of a partition: it cannot reach the store, so it cannot register.
    sim.isolate([1], [2]);
    sim.startBroker(2);
    sim.settle();
    sim.advance(1_000);
    expect(registered(sim, 2)).toBe(false);
    expect(sim.brokerState(2)).not.toBe("running");
    sim.heal();
    sim.settle();
    expect(registered(sim, 2)).toBe(true);
    expect(sim.brokerState(2)).toBe("running");
  });
});
