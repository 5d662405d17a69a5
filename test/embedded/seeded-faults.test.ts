/**
 * Each seeded fault, in a scenario that reaches it: the suite (model + invariants) must complain with
 * the fault on, and stay silent on the same scenario with it off.
 */
import { describe, expect, it } from "vitest";
import type { Observation } from "../../spec/adapter.ts";
import type { Operation } from "../../spec/operations.ts";
import { fetchAll, partitionOf, produce, runScenario, type Step } from "./scenario.ts";

const create = (rf: number, minIsr = 1): Operation => ({
  kind: "createTopic",
  topic: "t",
  partitions: 1,
  replicationFactor: rf,
  config: { minInsyncReplicas: minIsr },
});
const leader = (o: Observation) => partitionOf(o, "t").leader!;
const follower = (o: Observation) => partitionOf(o, "t").replicas.find((r) => r !== leader(o))!;

async function both(steps: () => Step[], fault: string, setup = {}) {
  const off = await runScenario({ ...setup }, steps());
  const on = await runScenario({ ...setup, seededFaults: [fault] }, steps());
  return { off, on };
}

describe("seeded faults are caught by the suite, and only when on", () => {
  it("truncate-to-hw: the last ISR member truncates to its stale HW checkpoint at restart and is elected", async () => {
    const steps = (): Step[] => {
      let l = 0;
      let f = 0;
      return [
        create(2, 2),
        produce("v1"),
        produce("v2"),
        (o) => {
          l = leader(o);
          f = follower(o);
          return { kind: "crash", broker: f };
        },
        () => ({ kind: "crash", broker: l }),
        { kind: "advanceTime", ms: 35_000 },
        () => ({ kind: "restart", broker: f }),
        () => ({ kind: "restart", broker: l }),
        { kind: "advanceTime", ms: 1_000 },
        produce("v3"),
        fetchAll(),
      ];
    };
    const { off, on } = await both(steps, "truncate-to-hw");
    expect(off.complaints).toEqual([]);
    expect(on.complaints.length).toBeGreaterThan(0);
  });

  it("elect-outside-isr: a replica that missed a committed record is elected when the ISR is dead", async () => {
    const steps = (): Step[] => {
      let l = 0;
      let out = 0;
      let other = 0;
      return [
        create(3, 2),
        (o) => {
          l = leader(o);
          [out, other] = partitionOf(o, "t").replicas.filter((r) => r !== l);
          return { kind: "crash", broker: out };
        },
        { kind: "advanceTime", ms: 35_000 },
        produce("v1"),
        () => ({ kind: "crash", broker: l }),
        () => ({ kind: "crash", broker: other }),
        () => ({ kind: "restart", broker: out }),
        { kind: "advanceTime", ms: 35_000 },
        () => ({ kind: "restart", broker: l }),
        () => ({ kind: "restart", broker: other }),
        { kind: "advanceTime", ms: 1_000 },
        produce("v2"),
        fetchAll(),
      ];
    };
    const { off, on } = await both(steps, "elect-outside-isr");
    expect(off.complaints).toEqual([]);
    expect(on.complaints.length).toBeGreaterThan(0);
  });

  it("ack-before-isr: acks=all is acknowledged while an ISR member is dead", async () => {
    const steps = (): Step[] => [
      create(2, 2),
      (o) => ({ kind: "crash", broker: follower(o) }),
      produce("v1"),
    ];
    const { off, on } = await both(steps, "ack-before-isr");
    expect(off.complaints).toEqual([]);
    expect(on.complaints.length).toBeGreaterThan(0);
  });

  it("offset-reuse-after-crash: the last ISR member acknowledged unflushed records; a crash hands their offsets out again", async () => {
    const steps = (): Step[] => {
      let l = 0;
      let f = 0;
      return [
        create(2, 2),
        produce("v1"),
        (o) => {
          l = leader(o);
          f = follower(o);
          return { kind: "crash", broker: f };
        },
        { kind: "advanceTime", ms: 35_000 },
        () => ({ kind: "crash", broker: l }),
        { kind: "advanceTime", ms: 35_000 },
        () => ({ kind: "restart", broker: l }),
        () => ({ kind: "restart", broker: f }),
        { kind: "advanceTime", ms: 1_000 },
        produce("v2"),
        fetchAll(),
      ];
    };
    const { off, on } = await both(steps, "offset-reuse-after-crash");
    expect(off.complaints).toEqual([]);
    expect(on.complaints.length).toBeGreaterThan(0);
  });

  it("kip-966-last-replica-standing: the last ISR member loses unflushed records and is elected again", async () => {
    const steps = (): Step[] => {
      let l = 0;
      let f = 0;
      return [
        create(2, 2),
        produce("v1"),
        (o) => {
          l = leader(o);
          f = follower(o);
          return { kind: "crash", broker: l };
        },
        { kind: "advanceTime", ms: 35_000 },
        () => ({ kind: "crash", broker: f }),
        { kind: "advanceTime", ms: 35_000 },
        () => ({ kind: "restart", broker: f }),
        () => ({ kind: "restart", broker: l }),
        { kind: "advanceTime", ms: 1_000 },
        produce("v2"),
        fetchAll(),
      ];
    };
    const { off, on } = await both(steps, "kip-966-last-replica-standing");
    expect(off.complaints).toEqual([]);
    expect(on.complaints.length).toBeGreaterThan(0);
  });
});
