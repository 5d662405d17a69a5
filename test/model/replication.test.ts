import { describe, expect, it } from "vitest";
import { ReplicaLog } from "../../model/log.ts";
import {
  endOffsetForEpoch,
  type ReplicationEvent,
  replicationMachine,
  truncationOffset,
} from "../../model/replication.machine.ts";
import { initial, step } from "../../model/step.ts";

type Snap = ReturnType<typeof initial<typeof replicationMachine>>;
const send = (s: Snap, ...events: ReplicationEvent[]) =>
  events.reduce((acc, e) => step(replicationMachine, acc, e), s);

function partition(minIsr = 1, replicas = [1, 2]): Snap {
  return initial(replicationMachine, {
    topic: "t",
    partition: 0,
    replicas,
    minIsr,
    lagMaxMs: 10000,
    requestTimeoutMs: 30000,
    flushIntervalMessages: 0,
    now: 0,
  });
}

const lead = (
  leader: number | null,
  leaderEpoch: number,
  isr: number[],
  replicas = [1, 2],
  controllerEpoch = 1,
): ReplicationEvent => ({
  type: "LEADER_AND_ISR",
  leader,
  leaderEpoch,
  isr,
  replicas,
  controllerEpoch,
});
const append = (id: number, value: string, acks: 0 | 1 | -1 = -1): ReplicationEvent => ({
  type: "APPEND",
  id,
  key: null,
  value,
  acks,
});
const fetch = (follower: number, responseLost = false): ReplicationEvent => ({
  type: "REPLICA_FETCH",
  follower,
  canWriteIsr: true,
  responseLost,
});
const values = (s: Snap, b: number) => s.context.replicaStates[b].log.map((e) => `${e.value}@${e.epoch}`);

describe("replication: high watermark and acks", () => {
  it("acks=all completes once every ISR member has the record; the follower learns the high watermark one fetch late", () => {
    let s = send(partition(2), lead(1, 0, [1, 2]), append(1, "m0"));
    expect(s.context.outbox).toEqual([]);
    s = send(s, fetch(2));
    expect(s.context.replicaStates[2].log).toHaveLength(1);
    expect(s.context.replicaStates[1].hw).toBe(0);
    s = send(s, fetch(2));
    expect(s.context.outbox).toEqual([{ id: 1, result: { ok: true, offset: 0 } }]);
    expect(s.context.replicaStates[1].hw).toBe(1);
  });

  it("refuses acks=all with NOT_ENOUGH_REPLICAS when the ISR is below min.insync.replicas, before appending", () => {
    const s = send(partition(2), lead(1, 0, [1]), append(1, "m0"));
    expect(s.context.outbox).toEqual([
      { id: 1, result: { ok: false, error: "NOT_ENOUGH_REPLICAS", maybeApplied: false } },
    ]);
    expect(s.context.replicaStates[1].log).toHaveLength(0);
    // acks=1 is not subject to min.insync.replicas.
    expect(send(s, append(2, "m1", 1)).context.outbox).toEqual([{ id: 2, result: { ok: true, offset: 0 } }]);
  });

  it("shrinks the ISR after replica.lag.time.max.ms, failing a waiting acks=all with NOT_ENOUGH_REPLICAS_AFTER_APPEND", () => {
    let s = send(partition(2), lead(1, 0, [1, 2]), append(1, "m0"));
    s = send(s, { type: "TICK", now: 10000, canWriteIsr: true });
    expect(s.context.isr).toEqual([1, 2]); // not yet: the lag must exceed the limit
    s = send(s, { type: "TICK", now: 10001, canWriteIsr: true });
    expect(s.context.isr).toEqual([1]);
    expect(s.context.isrChanged).toBe(true);
    expect(s.context.outbox).toEqual([
      { id: 1, result: { ok: false, error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", maybeApplied: true } },
    ]);
    // The follower catches up and is taken back into the ISR.
    s = send(s, fetch(2), fetch(2));
    expect(s.context.isr).toEqual([1, 2]);
  });

  it("keeps the ISR when the leader cannot reach the metadata store to write the change", () => {
    let s = send(partition(2), lead(1, 0, [1, 2]), append(1, "m0"));
    s = send(s, { type: "TICK", now: 20000, canWriteIsr: false });
    expect(s.context.isr).toEqual([1, 2]);
    expect(s.context.outbox).toEqual([]);
  });

  it("ignores a LeaderAndIsr from a stale controller epoch or with an old leader epoch", () => {
    let s = send(partition(), lead(1, 3, [1, 2], [1, 2], 5));
    s = send(s, lead(2, 4, [2], [1, 2], 4));
    expect(s.context).toMatchObject({ leader: 1, leaderEpoch: 3 });
    s = send(s, lead(2, 3, [2], [1, 2], 6));
    expect(s.context).toMatchObject({ leader: 1, leaderEpoch: 3 });
    s = send(s, lead(2, 4, [2], [1, 2], 6));
    expect(s.context).toMatchObject({ leader: 2, leaderEpoch: 4 });
  });
});

describe("replication: truncation by leader epoch (KIP-101)", () => {
  it("keeps a committed record the follower's stale high watermark would have cut (KIP-101 scenario 1)", () => {
    let s = send(
      partition(2),
      lead(1, 0, [1, 2]),
      append(1, "m0"),
      fetch(2),
      fetch(2),
      append(2, "m1"),
      fetch(2),
    );
    // The follower's next fetch reaches the leader (the high watermark moves to 2 and m1 is acknowledged),
    // but the follower crashes before the response: its high watermark stays 1.
    s = send(s, fetch(2, true));
    expect(s.context.outbox).toEqual([{ id: 2, result: { ok: true, offset: 1 } }]);
    expect(s.context.replicaStates[1].hw).toBe(2);
    expect(s.context.replicaStates[2].hw).toBe(1);
    s = send(s, { type: "REPLICA_CRASH", broker: 2 }, { type: "REPLICA_RESTART", broker: 2 });
    // Truncating to the high watermark would drop m1 here. By epoch the follower keeps it:
    expect(truncationOffset(s.context.replicaStates[2], s.context.replicaStates[1])).toBe(2);
    s = send(s, fetch(2));
    expect(s.context.truncations).toEqual([]);
    // The leader dies; the follower is elected and still holds the acknowledged m1.
    s = send(s, { type: "REPLICA_CRASH", broker: 1 }, lead(2, 1, [2]));
    expect(values(s, 2)).toEqual(["m0@0", "m1@0"]);
  });

  it("asks again when the leader answers an epoch the follower lacks (KIP-279; model target, seed 8)", () => {
    // The follower wrote v1 under epoch 0, then led epoch 2 without writing; the leader wrote v2 under epoch 1
    // and leads epoch 3. First round: the leader's largest epoch at or below 2 is 1, ending at 1; the follower
    // has no epoch 1, truncates to where its epoch 0 ends (1) and asks for epoch 0: the leader's answer (its
    // first epoch starts at 0) makes it drop v1. One round would have kept v1 under the leader's v2.
    const base = partition(1).context.replicaStates[1];
    const follower = {
      ...base,
      broker: 1,
      log: ReplicaLog.of([{ offset: 0, epoch: 0, key: null, value: "v1" }]),
      epochCache: [
        [0, 0],
        [2, 1],
      ] as Array<[number, number]>,
    };
    const leader = {
      ...base,
      broker: 2,
      log: ReplicaLog.of([{ offset: 0, epoch: 1, key: null, value: "v2" }]),
      epochCache: [
        [1, 0],
        [3, 1],
      ] as Array<[number, number]>,
    };
    expect(truncationOffset(follower, leader)).toBe(0);
    // Where the logs share epoch 1, the second round keeps what they share.
    const shared = {
      ...follower,
      log: ReplicaLog.of([
        { offset: 0, epoch: 1, key: null, value: "v2" },
        { offset: 1, epoch: 2, key: null, value: "x" },
      ]),
      epochCache: [
        [1, 0],
        [2, 1],
      ] as Array<[number, number]>,
    };
    const leader2 = {
      ...leader,
      log: ReplicaLog.of([
        { offset: 0, epoch: 1, key: null, value: "v2" },
        { offset: 1, epoch: 3, key: null, value: "y" },
      ]),
      epochCache: [
        [1, 0],
        [3, 1],
      ] as Array<[number, number]>,
    };
    expect(truncationOffset(shared, leader2)).toBe(1);
  });

  it("removes a divergent suffix written under an older epoch and takes the new leader's records", () => {
    let s = send(partition(1), lead(1, 0, [1, 2]), append(1, "m0", 1), fetch(2), fetch(2));
    s = send(s, append(2, "lost", 1)); // never replicated
    s = send(
      s,
      { type: "REPLICA_CRASH", broker: 1 },
      lead(2, 1, [2]),
      append(3, "m1", 1),
      append(4, "m2", 1),
    );
    s = send(s, { type: "REPLICA_RESTART", broker: 1 }, lead(2, 2, [2, 1]));
    expect(values(s, 1)).toEqual(["m0@0", "lost@0"]);
    s = send(s, fetch(1));
    expect(s.context.truncations).toEqual([{ broker: 1, from: 2, to: 1 }]);
    expect(values(s, 1)).toEqual(values(s, 2));
    expect(values(s, 1)).toEqual(["m0@0", "m1@1", "m2@1"]);
  });

  it("answers OffsetsForLeaderEpoch with the end of the largest epoch at or below the one asked (KIP-279)", () => {
    const cache: Array<[number, number]> = [
      [0, 0],
      [2, 5],
      [4, 9],
    ];
    expect(endOffsetForEpoch(cache, 12, 0)).toEqual({ epoch: 0, endOffset: 5 });
    expect(endOffsetForEpoch(cache, 12, 1)).toEqual({ epoch: 0, endOffset: 5 });
    expect(endOffsetForEpoch(cache, 12, 3)).toEqual({ epoch: 2, endOffset: 9 });
    expect(endOffsetForEpoch(cache, 12, 7)).toEqual({ epoch: 4, endOffset: 12 });
    expect(endOffsetForEpoch([[3, 4]], 6, 1)).toEqual({ epoch: -1, endOffset: 4 });
  });

  it("a crash loses only what was not flushed when log.flush.interval.messages is set", () => {
    let s = initial(replicationMachine, {
      topic: "t",
      partition: 0,
      replicas: [1],
      minIsr: 1,
      lagMaxMs: 10000,
      requestTimeoutMs: 30000,
      flushIntervalMessages: 2,
      now: 0,
    });
    s = send(s, lead(1, 0, [1], [1]), append(1, "a", 1), append(2, "b", 1), append(3, "c", 1));
    s = send(s, { type: "REPLICA_CRASH", broker: 1 });
    expect(values(s, 1)).toEqual(["a@0", "b@0"]);
  });
});
