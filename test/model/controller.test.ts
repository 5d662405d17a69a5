import { describe, expect, it } from "vitest";
import { assignReplicas, type ControllerEvent, controllerMachine } from "../../model/controller.machine.ts";
import { initial, step } from "../../model/step.ts";

type Snap = ReturnType<typeof initial<typeof controllerMachine>>;
const send = (s: Snap, ...events: ControllerEvent[]) =>
  events.reduce((acc, e) => step(controllerMachine, acc, e), s);

function cluster(brokers: number[]): Snap {
  let s = initial(controllerMachine);
  for (const b of brokers) s = send(s, { type: "BROKER_REGISTERED", broker: b, brokerEpoch: b, choice: 0 });
  return send(s, { type: "CONTROLLER_ELECTED", broker: brokers[0], choice: 0 });
}

describe("replica placement (AdminUtils.assignReplicasToBrokers)", () => {
  it("matches Kafka's layout for 5 brokers, 10 partitions, RF 3, fixed start index 0", () => {
    // The expected map of testReplicaAssignment in apache/kafka core/src/test/scala/unit/kafka/admin/AdminTest.scala
    // (later AdminRackAwareTest), rack unaware.
    expect(assignReplicas([0, 1, 2, 3, 4], 10, 3, 0, 0)).toEqual([
      [0, 1, 2],
      [1, 2, 3],
      [2, 3, 4],
      [3, 4, 0],
      [4, 0, 1],
      [0, 2, 3],
      [1, 3, 4],
      [2, 4, 0],
      [3, 0, 1],
      [4, 1, 2],
    ]);
  });

  it("never places two replicas of a partition on one broker", () => {
    for (let n = 1; n <= 6; n++)
      for (let rf = 1; rf <= n; rf++)
        for (let start = 0; start < n; start++)
          for (const replicas of assignReplicas(
            Array.from({ length: n }, (_, i) => i + 1),
            2 * n + 1,
            rf,
            start,
            start,
          ))
            expect(new Set(replicas).size).toBe(rf);
  });
});

describe("controller", () => {
  it("bumps controller_epoch on every election", () => {
    let s = cluster([1, 2, 3]);
    expect(s.context).toMatchObject({ controller: 1, epoch: 1 });
    s = send(s, { type: "CONTROLLER_GONE" }, { type: "CONTROLLER_ELECTED", broker: 2, choice: 0 });
    expect(s.context).toMatchObject({ controller: 2, epoch: 2 });
    expect(s.value).toBe("active");
  });

  it("refuses a topic that exists, and a replication factor above the registered brokers", () => {
    let s = cluster([1, 2]);
    const create = (topic: string, rf: number): ControllerEvent => ({
      type: "CREATE_TOPIC",
      topic,
      partitions: 2,
      replicationFactor: rf,
      config: { minInsyncReplicas: 1, uncleanLeaderElection: false },
      startIndex: 0,
      shift: 0,
    });
    s = send(s, create("t", 3));
    expect(s.context.reply).toEqual({ ok: false, error: "INVALID_REPLICATION_FACTOR" });
    s = send(s, create("t", 2));
    expect(s.context.reply).toEqual({ ok: true });
    s = send(s, create("t", 1));
    expect(s.context.reply).toEqual({ ok: false, error: "TOPIC_ALREADY_EXISTS" });
  });

  it("elects a live ISR member when the leader's broker fails, and bumps the leader epoch", () => {
    let s = cluster([1, 2, 3]);
    s = send(s, {
      type: "CREATE_TOPIC",
      topic: "t",
      partitions: 1,
      replicationFactor: 3,
      config: { minInsyncReplicas: 2, uncleanLeaderElection: false },
      startIndex: 0,
      shift: 0,
    });
    const before = s.context.topics.t.partitions[0];
    expect(before).toMatchObject({ leader: 1, leaderEpoch: 0, isr: [1, 2, 3] });
    s = send(s, { type: "BROKER_DEREGISTERED", broker: 1, choice: 1 });
    const after = s.context.topics.t.partitions[0];
    expect(after.leader).toBe(3); // choice 1 of the live ISR candidates [2, 3]
    expect(after.leaderEpoch).toBe(1);
    expect(after.isr).toEqual([2, 3]);
    expect(s.context.elections).toEqual([
      { topic: "t", partition: 0, leader: 3, candidates: [2, 3], unclean: false },
    ]);
  });

  it("elects outside the ISR only when the topic allows unclean election", () => {
    for (const unclean of [false, true]) {
      let s = cluster([1, 2]);
      s = send(s, {
        type: "CREATE_TOPIC",
        topic: "t",
        partitions: 1,
        replicationFactor: 2,
        config: { minInsyncReplicas: 1, uncleanLeaderElection: unclean },
        startIndex: 0,
        shift: 0,
      });
      // The follower drops out of the ISR (the leader wrote it), then the leader's broker dies.
      const ps = s.context.topics.t.partitions[0];
      s = send(s, {
        type: "ISR_UPDATE",
        topic: "t",
        partition: 0,
        leaderEpoch: ps.leaderEpoch,
        version: ps.version,
        isr: [1],
      });
      s = send(s, { type: "BROKER_DEREGISTERED", broker: 1, choice: 0 });
      const after = s.context.topics.t.partitions[0];
      if (unclean) expect(after).toMatchObject({ leader: 2, isr: [2] });
      else expect(after).toMatchObject({ leader: null, isr: [1] });
      // When the last ISR member comes back, the clean election happens.
      s = send(s, { type: "BROKER_REGISTERED", broker: 1, brokerEpoch: 9, choice: 0 });
      if (!unclean) expect(s.context.topics.t.partitions[0]).toMatchObject({ leader: 1, isr: [1] });
    }
  });

  it("fences a write from a controller whose epoch is not current, and a stale ISR update", () => {
    let s = cluster([1, 2]);
    s = send(s, {
      type: "CREATE_TOPIC",
      topic: "t",
      partitions: 1,
      replicationFactor: 2,
      config: { minInsyncReplicas: 1, uncleanLeaderElection: false },
      startIndex: 0,
      shift: 0,
    });
    s = send(s, { type: "CONTROLLER_GONE" }, { type: "CONTROLLER_ELECTED", broker: 2, choice: 0 });
    const before = s.context.topics.t.partitions[0];
    s = send(s, { type: "CONTROLLER_WRITE", epoch: 1, topic: "t", partition: 0, leader: 2, isr: [2] });
    expect(s.context.reply).toEqual({ ok: false, error: "STALE_CONTROLLER_EPOCH" });
    expect(s.context.topics.t.partitions[0]).toEqual(before);
    s = send(s, {
      type: "ISR_UPDATE",
      topic: "t",
      partition: 0,
      leaderEpoch: 0,
      version: before.version - 1,
      isr: [1],
    });
    expect(s.context.reply).toEqual({ ok: false, error: "FENCED_LEADER_EPOCH" });
    s = send(s, { type: "CONTROLLER_WRITE", epoch: 2, topic: "t", partition: 0, leader: 2, isr: [2, 1] });
    expect(s.context.reply).toEqual({ ok: true });
    expect(s.context.topics.t.partitions[0]).toMatchObject({
      leader: 2,
      leaderEpoch: before.leaderEpoch + 1,
    });
  });
});
