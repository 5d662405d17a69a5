/**
 * Same seed, same run: a workload of operations and faults drawn from a seeded PRNG runs twice on the
 * embedded target, and the simulator traces and the outcomes must be identical byte for byte; another
 * seed must give a different trace.
 */
import { describe, expect, it } from "vitest";
import { createEmbeddedTarget } from "../../impl/embedded/index.ts";
import { EventQueue } from "../../impl/sim/event-queue.ts";
import { Prng } from "../../impl/sim/prng.ts";
import type { ClientOp, Fault } from "../../spec/operations.ts";
import { isFault } from "../../spec/operations.ts";

function workload(seed: number, n: number): Array<ClientOp | Fault> {
  const r = new Prng(seed);
  const ops: Array<ClientOp | Fault> = [
    {
      kind: "createTopic",
      topic: "t",
      partitions: 2,
      replicationFactor: 3,
      config: { minInsyncReplicas: 2 },
    },
  ];
  let v = 0;
  for (let i = 0; i < n; i++) {
    const x = r.int(0, 9);
    const broker = r.int(1, 3);
    if (x < 5) {
      ops.push({
        kind: "produce",
        producer: "p",
        topic: "t",
        key: `k${r.int(0, 5)}`,
        value: `v${++v}`,
        partitioner: { kind: "murmur2" },
        acks: r.pick([1, -1] as const),
        idempotent: false,
      });
    } else if (x < 7)
      ops.push({
        kind: "fetch",
        consumer: "c",
        topic: "t",
        partition: r.int(0, 1),
        offset: 0,
        maxRecords: 50,
      });
    else if (x === 7) ops.push({ kind: "crash", broker });
    else if (x === 8) ops.push({ kind: "restart", broker });
    else ops.push({ kind: "advanceTime", ms: r.pick([500, 5_000, 20_000]) });
  }
  return ops;
}

async function run(seed: number): Promise<{ trace: string; outcomes: string }> {
  const target = createEmbeddedTarget({ trace: true });
  await target.start({ brokers: 3, seed, config: {} });
  const outcomes: string[] = [];
  for (const op of workload(seed, 60)) {
    const o = isFault(op) ? await target.inject(op) : await target.execute(op);
    await target.settle();
    outcomes.push(JSON.stringify(o));
  }
  outcomes.push(JSON.stringify(await target.observe()));
  return { trace: target.sim.trace!.join("\n"), outcomes: outcomes.join("\n") };
}

describe("deterministic simulation", () => {
  it("the same seed gives the same trace and outcomes, byte for byte", async () => {
    const a = await run(11);
    const b = await run(11);
    expect(a.trace.length).toBeGreaterThan(1000);
    expect(b.trace).toBe(a.trace);
    expect(b.outcomes).toBe(a.outcomes);
  });

  it("another seed gives another run", async () => {
    const a = await run(11);
    const c = await run(12);
    expect(c.trace).not.toBe(a.trace);
  });

  it("the PRNG is a pure function of its seed", () => {
    const x = new Prng(7);
    const y = new Prng(7);
    const xs = Array.from({ length: 100 }, () => x.nextU32());
    expect(Array.from({ length: 100 }, () => y.nextU32())).toEqual(xs);
    expect(new Set(xs).size).toBe(100);
    const z = new Prng(8);
    expect(z.nextU32()).not.toBe(new Prng(7).nextU32());
    for (let i = 0; i < 1000; i++) {
      const v = x.int(3, 5);
      expect(v >= 3 && v <= 5).toBe(true);
    }
  });

  it("the event queue orders by time and breaks ties by scheduling order", () => {
    const q = new EventQueue();
    const seen: string[] = [];
    q.schedule(5, "timer", () => seen.push("a5"));
    q.schedule(1, "message", () => seen.push("b1"));
    q.schedule(5, "message", () => seen.push("c5"));
    q.schedule(1, "timer", () => seen.push("d1"));
    const cancelled = q.schedule(2, "timer", () => seen.push("x"));
    cancelled.cancelled = true;
    while (q.size > 0) q.pop()?.run();
    expect(seen).toEqual(["b1", "d1", "a5", "c5"]);
  });
});
