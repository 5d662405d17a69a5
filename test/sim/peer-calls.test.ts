/**
 * One peer request, one answer, to the process that asked. Before peer-calls.ts the simulator addressed
 * answers by broker id: a leader's answer to a held fetch of a killed follower reached the restarted
 * process, whose own fetch of the same request id (numbering starts at 1 again) took it for its answer.
 * It got NOT_LEADER_OR_FOLLOWER from the held fetch (failed at the new leader epoch), then its real
 * answer, ignored; it fetched again only after replicaRetryMs (30 s here) and acks=all writes stalled.
 */
import { describe, expect, it } from "vitest";
import { decodeController, decodePartitionState, ZkPaths } from "../../impl/metadata/layout.ts";
import type { ClientResponse } from "../../impl/node/requests.ts";
import type { ReplicaFetchRequest, ReplicaFetchResponse } from "../../impl/replication/messages.ts";
import { SimCluster } from "../../impl/sim/cluster.ts";
import { PeerCalls } from "../../impl/sim/peer-calls.ts";

const fetch = (requestId: number): ReplicaFetchRequest => ({
  type: "replicaFetch",
  requestId,
  replicaId: 2,
  topic: "t",
  partition: 0,
  fetchOffset: 0,
  currentLeaderEpoch: 0,
  maxRecords: 10,
  maxBytes: 1 << 20,
});

const answer = (requestId: number, error: ReplicaFetchResponse["error"] = null): ReplicaFetchResponse => ({
  type: "replicaFetchResponse",
  requestId,
  topic: "t",
  partition: 0,
  error,
  highWatermark: 0,
  logStartOffset: 0,
  leaderLogEndOffset: 0,
  records: Buffer.alloc(0),
});

describe("PeerCalls", () => {
  it("gives each delivered request its own id and routes the answer to the asking process", () => {
    const calls = new PeerCalls();
    const old = calls.opened(2, 1, 3, fetch(3)); // broker 2's first process, its request 3
    const fresh = calls.opened(2, 3, 3, fetch(3)); // its restarted process, request 3 again
    expect(old.requestId).not.toBe(fresh.requestId);
    const toOld = calls.answered(3, 2, answer(old.requestId, "NOT_LEADER_OR_FOLLOWER"));
    expect(toOld.incarnation).toBe(1);
    expect(toOld.message.requestId).toBe(3);
    const toFresh = calls.answered(3, 2, answer(fresh.requestId));
    expect(toFresh.incarnation).toBe(3);
    expect(toFresh.message).toMatchObject({ requestId: 3, error: null });
    expect(calls.openCount).toBe(0);
  });

  it("refuses a second answer to one request, and an answer from or to the wrong broker", () => {
    const calls = new PeerCalls();
    const r = calls.opened(2, 1, 3, fetch(7));
    expect(() => calls.answered(1, 2, answer(r.requestId))).toThrow(/does not match/);
    expect(() => calls.answered(3, 1, answer(r.requestId))).toThrow(/does not match/);
    calls.answered(3, 2, answer(r.requestId));
    expect(() => calls.answered(3, 2, answer(r.requestId))).toThrow(/answered before/);
  });
});

function call(
  sim: SimCluster,
  broker: number,
  request: Parameters<SimCluster["sendClient"]>[1],
): ClientResponse | null {
  let out: ClientResponse | null | undefined;
  sim.sendClient(broker, request, (r) => {
    out = r;
  });
  sim.runUntil(() => out !== undefined);
  // Nothing in flight but timers (a lost message is sent again after its timeout): let time pass.
  for (let waited = 0; out === undefined && waited < 120_000; waited += 100) {
    sim.advance(100);
    sim.runUntil(() => out !== undefined);
  }
  return out ?? null;
}

describe("simulator: a restarted broker gets no answer meant for its previous process", () => {
  // Seeds 1 and 2 stalled before the fix (the restarted controller's fetch took a stale answer).
  for (const seed of [1, 2, 3, 5]) {
    it(`acks=all writes complete at once after a bounce (seed ${seed})`, () => {
      const sim = new SimCluster({ seed, brokers: 3, seededFaults: [] });
      for (let id = 1; id <= 3; id++) sim.startBroker(id);
      sim.settle();
      const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
      const bounced = c === null ? -1 : decodeController(c.data).brokerId;
      expect(
        call(sim, bounced, {
          api: "createTopics",
          name: "t",
          numPartitions: 3,
          replicationFactor: 3,
          config: { minInsyncReplicas: 2, uncleanLeaderElection: false },
        }),
      ).toEqual({ api: "createTopics", error: null });
      sim.settle(); // every follower's fetch is now held at its leader
      sim.crashBroker(bounced);
      sim.startBroker(bounced); // at once: the held fetches of its old process are still there
      sim.advance(20_000);
      sim.settle();
      const started = sim.now;
      for (const p of [0, 1, 2]) {
        const state = decodePartitionState(
          sim.tree.get(sim.observerSession, ZkPaths.partitionState("t", p))!.data,
        );
        const r = call(sim, state.leader, {
          api: "produce",
          topic: "t",
          partition: p,
          acks: -1,
          timeoutMs: 5_000,
          records: [{ key: null, value: Buffer.from("x") }],
        });
        expect(r).toMatchObject({ api: "produce", error: null });
      }
      // Followers fetch again within milliseconds of each write (network delays of 1-3 ms).
      expect(sim.now - started).toBeLessThan(1_000);
    });
  }
});

describe("simulator: answers over a network that loses and duplicates messages", () => {
  it("duplicated and lost messages raise no false double answer, and every write reaches every replica", () => {
    const sim = new SimCluster({
      seed: 11,
      brokers: 3,
      seededFaults: [],
      network: { lossProbability: 0.05, duplicateProbability: 0.2 },
    });
    for (let id = 1; id <= 3; id++) sim.startBroker(id);
    sim.settle();
    const c = sim.tree.get(sim.observerSession, ZkPaths.controller);
    const created = call(sim, c === null ? 1 : decodeController(c.data).brokerId, {
      api: "createTopics",
      name: "t",
      numPartitions: 1,
      replicationFactor: 3,
      config: { minInsyncReplicas: 2, uncleanLeaderElection: false },
    });
    expect(created).toEqual({ api: "createTopics", error: null });
    sim.advance(35_000); // a lost LeaderAndIsr or fetch is sent again after its timeout
    let acked = 0;
    for (let i = 0; i < 20; i++) {
      const leader = decodePartitionState(
        sim.tree.get(sim.observerSession, ZkPaths.partitionState("t", 0))!.data,
      ).leader;
      const r = call(sim, leader, {
        api: "produce",
        topic: "t",
        partition: 0,
        acks: -1,
        timeoutMs: 60_000,
        records: [{ key: null, value: Buffer.from(`r${i}`) }],
      });
      if (r?.api === "produce" && r.error === null) acked++;
    }
    expect(acked).toBe(20);
    sim.advance(120_000);
    // Every replica caught up: no fetch stalled on an answer taken by the wrong request.
    const ends = sim
      .brokerIds()
      .map((id) => sim.brokers.get(id)!.node!.replicas.get("t\u00000")!.log.logEndOffset);
    expect(new Set(ends).size).toBe(1);
    expect(ends[0]).toBeGreaterThanOrEqual(acked);
  });
});
