/**
 * The controller's log lines (one per election, resignation, broker change, leader or ISR change, topic
 * creation and deletion), driven on the simulator. The simulator's brokers are built without a logger (it
 * formats nothing); this test hands each controller one, as the TCP runtime does through
 * BrokerNodeConfig.logControllerEvents.
 */
import { describe, expect, it } from "vitest";
import type { Controller } from "../../impl/controller/controller.ts";
import { decodeController, ZkPaths } from "../../impl/metadata/layout.ts";
import type { ClientResponse } from "../../impl/node/requests.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";

function call(sim: SimCluster, broker: number, request: Parameters<SimCluster["sendClient"]>[1]) {
  let out: ClientResponse | null | undefined;
  sim.sendClient(broker, request, (r) => {
    out = r;
  });
  sim.runUntil(() => out !== undefined);
  if (!out) throw new Error(`no response to ${request.api}`);
  return out;
}

/** Gives every running broker's controller a logger writing to `lines`. */
function listen(sim: SimCluster, lines: string[]): void {
  for (const b of sim.brokers.values()) {
    const c = b.node?.controller as unknown as { host: { log?: (l: string) => void } } | undefined;
    if (c !== undefined) c.host.log = (l) => lines.push(l);
  }
}

describe("controller log lines (simulator)", () => {
  it("says who became controller, which brokers came and went, and how each leader was elected", () => {
    const sim = new SimCluster({ seed: 3, brokers: 3, seededFaults: [] });
    for (let id = 1; id <= 3; id++) sim.startBroker(id);
    sim.settle();
    const lines: string[] = [];
    listen(sim, lines);
    const controllerNode = () =>
      decodeController(sim.tree.get(sim.observerSession, ZkPaths.controller)!.data).brokerId;
    const first = controllerNode();
    expect(
      call(sim, first, {
        api: "createTopics",
        name: "u",
        numPartitions: 1,
        replicationFactor: 2,
        config: { minInsyncReplicas: 1, uncleanLeaderElection: true },
      }),
    ).toEqual({ api: "createTopics", error: null });
    sim.settle();
    expect(
      lines.some((l) => l.startsWith(`[controller ${first}] created topic u: 1 partitions, replicas [[`)),
    ).toBe(true);
    const active = sim.brokers.get(first)!.node!.controller as Controller;
    const [state] = active.partitionStates();
    const [leader, follower] = [state.leader, state.isr.find((b) => b !== state.leader)!];

    // The follower dies and leaves the ISR; then the leader dies; the follower comes back and is the only
    // replica left: an unclean election, which the line says in capitals.
    const survivor = [1, 2, 3].find((b) => b !== leader && b !== follower)!;
    sim.crashBroker(follower);
    sim.advance(25_000);
    sim.crashBroker(leader);
    sim.advance(25_000);
    listen(sim, lines);
    sim.startBroker(follower);
    sim.advance(25_000);
    const now = controllerNode();
    expect(now).toBeGreaterThan(0);
    const text = lines.join("\n");
    expect(text).toMatch(new RegExp(`brokers changed: new \\[\\], failed \\[${follower}\\], bounced \\[\\]`));
    expect(text).toMatch(
      new RegExp(`u-0: ISR \\[[0-9,]+\\] -> \\[${leader}\\], leader ${leader}, epoch 1 \\(broker change\\)`),
    );
    if (leader === first) {
      // The controller itself died: the survivor took over and said so.
      expect(text).toContain(`[controller ${survivor}] elected controller`);
    }
    expect(text).toMatch(
      new RegExp(
        `u-0: leader -1 -> ${follower}, epoch \\d+, ISR \\[${follower}\\] \\(UNCLEAN, broker change\\)`,
      ),
    );
  });
});
