/** The state invariants: one caught and one passing observation each. */
import { describe, expect, it } from "vitest";
import { checkState } from "../../spec/invariants/index.ts";
import { controllerEpochMonotonic, leaderEpochMonotonic } from "../../spec/invariants/state/epochs.ts";
import { strongIsr, weakIsr } from "../../spec/invariants/state/isr-matches-leader.ts";
import { leaderCompleteness } from "../../spec/invariants/state/leader-completeness.ts";
import { leaderInIsr } from "../../spec/invariants/state/leader-in-isr.ts";
import { logMatching } from "../../spec/invariants/state/log-matching.ts";
import { stableGroupExclusive } from "../../spec/invariants/state/stable-group-exclusive.ts";
import { validHighWatermark } from "../../spec/invariants/state/valid-high-watermark.ts";
import { observation, part } from "./observe.ts";

const healthy = () =>
  observation({
    partitions: [part({ leader: 1, isr: [1, 2, 3], hw: 2, logs: { 1: "a b c", 2: "a b c", 3: "a b" } })],
  });

describe("a healthy cluster", () => {
  it("passes every state invariant, alone and after itself", () => {
    expect(checkState(healthy())).toEqual([]);
    expect(checkState(healthy(), healthy())).toEqual([]);
  });
});

describe("leader-in-isr", () => {
  it("catches a leader outside the controller's ISR", () => {
    const o = observation({
      partitions: [part({ leader: 3, isr: [1, 2], leaderIsr: [], hw: 0, logs: { 1: "", 2: "", 3: "" } })],
    });
    expect(leaderInIsr.check(o)).toEqual([
      {
        invariant: "leader-in-isr",
        message: "t-0: leader 3 is not in the controller's ISR [1,2]",
        events: [],
      },
    ]);
  });

  it("passes a partition without a leader, and a crashed leader still listed", () => {
    const o = observation({
      brokers: { 1: "crashed", 2: "running" },
      partitions: [
        part({ leader: null, isr: [1], hw: 0, logs: { 1: "", 2: "" } }),
        part({ partition: 1, leader: 1, isr: [1, 2], hw: 0, logs: { 1: "", 2: "" } }),
      ],
    });
    expect(leaderInIsr.check(o)).toEqual([]);
  });
});

describe("weak-isr and strong-isr", () => {
  it("catches an ISR member whose log differs from the leader's below the high watermark", () => {
    const o = observation({
      partitions: [part({ leader: 1, isr: [1, 2], hw: 2, logs: { 1: "a b", 2: "a x@2" } })],
    });
    expect(weakIsr.check(o).map((v) => v.message)).toEqual([
      "t-0: leader's ISR member 2 differs from leader 1 below high watermark 2 at offset 1: b@epoch1 vs x@epoch2",
    ]);
    expect(strongIsr.check(o)).toHaveLength(1);
  });

  it("tells the two apart: a member only the controller lists", () => {
    const o = observation({
      partitions: [part({ leader: 1, isr: [1, 2], leaderIsr: [1], hw: 2, logs: { 1: "a b", 2: "a" } })],
    });
    expect(weakIsr.check(o)).toEqual([]);
    expect(strongIsr.check(o).map((v) => v.message)).toEqual([
      "t-0: controller's ISR member 2 differs from leader 1 below high watermark 2 at offset 1: b@epoch1 vs nothing",
    ]);
  });

  it("passes divergence above the high watermark, and skips a member whose broker is not running", () => {
    const o = observation({
      brokers: { 1: "running", 2: "running", 3: "starting" },
      partitions: [part({ leader: 1, isr: [1, 2, 3], hw: 1, logs: { 1: "a b", 2: "a x@2", 3: "" } })],
    });
    expect(weakIsr.check(o)).toEqual([]);
    expect(strongIsr.check(o)).toEqual([]);
  });
});

describe("valid-high-watermark", () => {
  it("catches an ISR member that ends below the high watermark", () => {
    const o = observation({
      partitions: [part({ leader: 1, isr: [1, 2], hw: 3, logs: { 1: "a b c", 2: "a b" } })],
    });
    expect(validHighWatermark.check(o).map((v) => v.message)).toEqual([
      "t-0: ISR member 2 ends at 2, below the high watermark 3",
    ]);
  });

  it("catches a replica believing in a high watermark beyond its log", () => {
    const o = observation({
      partitions: [part({ leader: 1, isr: [1], hw: 1, logs: { 1: "a", 2: "" }, hws: { 2: 1 } })],
    });
    expect(validHighWatermark.check(o).map((v) => v.message)).toEqual([
      "t-0: replica 2 has high watermark 1 beyond its log end 0",
    ]);
  });

  it("does not judge the ISR against a high watermark whose leader is down", () => {
    const o = observation({
      brokers: { 1: "crashed", 2: "running" },
      partitions: [part({ leader: 1, isr: [1, 2], hw: 3, logs: { 1: "a b c", 2: "a b" } })],
    });
    expect(validHighWatermark.check(o)).toEqual([]);
  });

  it("passes a lagging follower outside the ISR", () => {
    const o = observation({
      partitions: [part({ leader: 1, isr: [1, 3], hw: 3, logs: { 1: "a b c", 2: "a", 3: "a b c" } })],
    });
    expect(validHighWatermark.check(o)).toEqual([]);
  });
});

describe("log-matching", () => {
  it("catches two replicas disagreeing below both high watermarks", () => {
    const o = observation({
      partitions: [part({ leader: 1, isr: [1], hw: 2, logs: { 1: "a b", 2: "a c@2" }, hws: { 2: 2 } })],
    });
    expect(logMatching.check(o).map((v) => v.message)).toEqual([
      "t-0: replicas 1 and 2 disagree below high watermark 2 at offset 1: b@epoch1 vs c@epoch2",
    ]);
  });

  it("passes disagreement above one replica's high watermark, and any disagreement with unclean election", () => {
    const above = observation({
      partitions: [part({ leader: 1, isr: [1], hw: 2, logs: { 1: "a b", 2: "a c@2" }, hws: { 2: 1 } })],
    });
    const unclean = observation({
      partitions: [
        part({ leader: 1, isr: [1], hw: 2, unclean: true, logs: { 1: "a b", 2: "a c@2" }, hws: { 2: 2 } }),
      ],
    });
    expect(logMatching.check(above)).toEqual([]);
    expect(logMatching.check(unclean)).toEqual([]);
  });
});

describe("leader-completeness", () => {
  const before = observation({
    partitions: [part({ leader: 1, epoch: 1, isr: [1, 2], hw: 2, logs: { 1: "a b c", 2: "a b c" } })],
  });

  it("catches a new leader missing a record committed before", () => {
    const after = observation({
      brokers: { 1: "crashed", 2: "running", 3: "running" },
      partitions: [part({ leader: 3, epoch: 2, isr: [3], hw: 1, logs: { 1: "a b c", 2: "a b c", 3: "a" } })],
    });
    expect(leaderCompleteness.check(after, before).map((v) => v.message)).toEqual([
      "t-0: leader 3 (epoch 2) lacks a record committed before (leader 1, epoch 1, high watermark 2) at offset 1: b@epoch1 vs nothing",
    ]);
  });

  it("passes a new leader that lacks only the uncommitted tail", () => {
    const after = observation({
      brokers: { 1: "crashed", 2: "running", 3: "running" },
      partitions: [part({ leader: 2, epoch: 2, isr: [2], hw: 2, logs: { 1: "a b c", 2: "a b", 3: "a" } })],
    });
    expect(leaderCompleteness.check(after, before)).toEqual([]);
    expect(leaderCompleteness.check(after)).toEqual([]);
  });
});

describe("controller-epoch-monotonic and leader-epoch-monotonic", () => {
  it("catch epochs going backwards", () => {
    const a = observation({
      controller: { broker: 1, epoch: 3 },
      partitions: [part({ leader: 1, epoch: 5, isr: [1], hw: 0, logs: { 1: "" } })],
    });
    const b = observation({
      controller: { broker: 2, epoch: 2 },
      partitions: [part({ leader: 1, epoch: 4, isr: [1], hw: 0, logs: { 1: "" } })],
    });
    expect(controllerEpochMonotonic.check(b, a).map((v) => v.message)).toEqual([
      "controller epoch went from 3 (broker 1) back to 2 (broker 2)",
    ]);
    expect(leaderEpochMonotonic.check(b, a).map((v) => v.message)).toEqual([
      "t-0: leader epoch went from 5 back to 4",
    ]);
    expect(controllerEpochMonotonic.check(a, b)).toEqual([]);
    expect(leaderEpochMonotonic.check(a, b)).toEqual([]);
  });

  it("catch an epoch cache out of order", () => {
    const o = observation({
      partitions: [
        part({
          leader: 1,
          isr: [1],
          hw: 0,
          logs: { 1: "" },
          epochCaches: {
            1: [
              [2, 0],
              [1, 3],
            ],
          },
        }),
      ],
    });
    expect(leaderEpochMonotonic.check(o)).toHaveLength(1);
  });
});

describe("stable-group-exclusive", () => {
  const group = (state: "Stable" | "CompletingRebalance") =>
    observation({
      groups: [
        {
          groupId: "g",
          state,
          generation: 3,
          leader: "m1",
          protocol: "range",
          members: [
            { memberId: "m1", client: "c1", assignment: [{ topic: "t", partition: 0 }] },
            {
              memberId: "m2",
              client: "c2",
              assignment: [
                { topic: "t", partition: 0 },
                { topic: "t", partition: 1 },
              ],
            },
          ],
          committed: [],
        },
      ],
    });

  it("catches a Stable group with a partition owned twice", () => {
    expect(stableGroupExclusive.check(group("Stable")).map((v) => v.message)).toEqual([
      "group g generation 3: t-0 is assigned to both m1 and m2",
    ]);
  });

  it("passes the same overlap while the group is rebalancing", () => {
    expect(stableGroupExclusive.check(group("CompletingRebalance"))).toEqual([]);
  });
});
