/**
 * The follower side of a bounce: while its leader is down, a follower's fetches are lost with their
 * connection and only its retry timer sends them again. Node timers run on the event loop's cached clock,
 * so a timer armed for sentAt + replica.fetch.backoff.ms can fire when Date.now() reads a millisecond or
 * two earlier. The retry chain must survive such a wake-up: before, the follower saw "not waited long
 * enough", sent nothing and armed no timer, and stopped fetching until its next LeaderAndIsr (with the
 * bounced leader leading again at the same epoch, never: its acks=all writes then timed out).
 */
import { describe, expect, it } from "vitest";
import { SeededFaults } from "../../impl/faults/catalog.ts";
import type { ReplicationMessage } from "../../impl/replication/messages.ts";
import { PartitionReplica, type ReplicaConfig } from "../../impl/replication/replica.ts";
import { MemoryReplicaLog } from "../../impl/replication/replica-log.ts";

const CONFIG: ReplicaConfig = {
  replicaLagTimeMaxMs: 10_000,
  minInsyncReplicas: 2,
  flushEveryAppend: true,
  replicaFetchWaitMaxMs: 500,
  replicaRetryMs: 1_000,
  replicaFetchMaxRecords: 100,
};

function follower() {
  const sent: ReplicationMessage[] = [];
  const timers: number[] = [];
  let id = 1;
  const replica = new PartitionReplica("t", 0, new MemoryReplicaLog(), CONFIG, {
    brokerId: 1,
    faults: new SeededFaults([]),
    send: (_to, m) => sent.push(m),
    produceCompleted: () => {},
    alterIsr: () => {},
    setTimer: (at) => timers.push(at),
    nextRequestId: () => id++,
    highWatermarkAdvanced: () => {},
  });
  return { replica, sent, timers };
}

/** Fires the earliest armed timer `early` ms before its time, as the event loop may; returns when. */
function fireNext(f: ReturnType<typeof follower>, early: number): number {
  expect(f.timers.length).toBeGreaterThan(0);
  const at = Math.min(...f.timers);
  f.timers.splice(f.timers.indexOf(at), 1);
  f.replica.onTimer(at - early);
  return at;
}

describe("follower retry timer", () => {
  it("keeps re-sending a lost fetch when its timer wakes slightly early", () => {
    const f = follower();
    f.replica.becomeFollower(
      { leader: 2, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2], partitionEpoch: 0 },
      0,
    );
    expect(f.sent.map((m) => m.type)).toEqual(["replicaFetch"]);
    // The leader is down: no fetch is ever answered. Every first timer of a request fires 2 ms early (a
    // re-armed one is due 2 ms later, when the loop's clock has caught up: it fires on time).
    for (let round = 0; round < 6; round++) fireNext(f, round % 2 === 0 ? 2 : 0);
    const fetches = f.sent.filter((m) => m.type === "replicaFetch").length;
    expect(fetches).toBe(4);
    expect(f.timers.length).toBeGreaterThan(0); // the chain is still armed
  });

  it("does not re-send before the backoff when the timer is on time or late", () => {
    const f = follower();
    f.replica.becomeFollower(
      { leader: 2, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2], partitionEpoch: 0 },
      0,
    );
    fireNext(f, 0);
    expect(f.sent.filter((m) => m.type === "replicaFetch").length).toBe(2);
    // A stale timer (armed for an earlier request) firing now must not send a third fetch at once.
    f.replica.onTimer(1_500);
    expect(f.sent.filter((m) => m.type === "replicaFetch").length).toBe(2);
  });
});
