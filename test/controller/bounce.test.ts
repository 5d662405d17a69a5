/**
 * A controller killed and restarted at once: it registers again before any controller saw its old
 * session go, so the new controller's failover finds it live. The partitions it led must still get a new
 * leader epoch (Kafka handles a bounced broker as failure then startup), or followers keep fetching from
 * the restarted process at the old incarnation's epoch and never fence or truncate. The partitions it
 * followed drop it from their ISR until it has caught up again (it may have lost an unflushed tail).
 */
import { describe, expect, it } from "vitest";
import { decodeController, decodePartitionState, ZkPaths } from "../../impl/metadata/layout.ts";
import type { ClientResponse } from "../../impl/node/requests.ts";
import type { LogRecord } from "../../impl/replication/replica-log.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";

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
  // A follower that changed epoch may fetch after a backoff timer: let virtual time pass for the answer.
  for (let waited = 0; out === undefined && waited < 5_000; waited += 100) sim.advance(100);
  if (!out) throw new Error("no response");
  return out;
}

const record = (): LogRecord[] => [{ key: null, value: Buffer.from("x") }];

describe("controller: a bounce nobody saw", () => {
  for (const seed of [1, 2, 3, 5]) {
    it(`the killed-and-restarted controller's partitions get a new leader epoch (seed ${seed})`, () => {
      const sim = new SimCluster({ seed, brokers: 3, seededFaults: [] });
      for (let id = 1; id <= 3; id++) sim.startBroker(id);
      sim.settle();
      const controller = () => {
        const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
        return c === null ? -1 : decodeController(c.data).brokerId;
      };
      const state = (p: number) =>
        decodePartitionState(sim.tree.get(sim.observerSession, ZkPaths.partitionState("t", p))!.data);
      const bounced = controller();
      expect(
        call(sim, bounced, {
          api: "createTopics",
          name: "t",
          numPartitions: 3,
          replicationFactor: 3,
          config: { minInsyncReplicas: 2, uncleanLeaderElection: false },
        }),
      ).toEqual({ api: "createTopics", error: null });
      sim.settle();
      const before = [0, 1, 2].map(state);
      const led = [0, 1, 2].filter((p) => before[p].leader === bounced);
      expect(led.length).toBeGreaterThan(0);
      sim.crashBroker(bounced);
      sim.startBroker(bounced); // at once: its old session still holds /brokers/ids/N
      sim.advance(20_000);
      sim.settle();
      expect(controller()).not.toBe(bounced);
      const moved = [0, 1, 2].map(state);
      // No wait for a fetch retry here: a restarted follower once took the answer to its previous process's
      // held fetch as its own and sat out replicaRetryMs (30 s) before acks=all writes could complete
      // (test/sim/peer-calls.test.ts).
      for (const p of [0, 1, 2]) {
        const after = moved[p];
        if (led.includes(p)) expect(after.leaderEpoch).toBeGreaterThan(before[p].leaderEpoch);
        else {
          // A partition it followed keeps its leader, but the restarted follower leaves the ISR (failure
          // then startup, as Kafka handles a bounce: its log may have lost an unflushed tail).
          expect(after.leader).toBe(before[p].leader);
          expect(after.leaderEpoch).toBe(before[p].leaderEpoch + 1);
        }
        const r = call(sim, after.leader, {
          api: "produce",
          topic: "t",
          partition: p,
          acks: -1,
          timeoutMs: 5000,
          records: record(),
        });
        expect(r).toMatchObject({ api: "produce", error: null });
      }
      // Once caught up, the restarted broker is back in every ISR.
      sim.advance(30_000);
      for (const p of [0, 1, 2]) expect(state(p).isr).toContain(bounced);
    });
  }
});
