/**
 * The embedded target's metadata fields (impl/embedded/observe.ts): the controller epoch and znode stamp
 * of each partition state, broker registrations, and every state written between two observations. The
 * metadata invariants judge the simulator only through them, so these tests check that they are exact
 * (consecutive versions, none merged) and that clean-election fires on the simulator with the seeded fault
 * elect-outside-isr and stays silent without it.
 */
import { describe, expect, it } from "vitest";
import { createEmbeddedTarget } from "../../impl/embedded/index.ts";
import type { Observation, PartitionStateObservation } from "../../spec/adapter.ts";
import type { Fault, Operation } from "../../spec/operations.ts";
import { partitionOf, produce, runScenario, type Step } from "./scenario.ts";

const create = (rf: number, minIsr = 1, partitions = 1): Operation => ({
  kind: "createTopic",
  topic: "t",
  partitions,
  replicationFactor: rf,
  config: { minInsyncReplicas: minIsr },
});

const cleanElection = (complaints: string[]) => complaints.filter((c) => c.startsWith("clean-election:"));

describe("clean-election judges the simulator", () => {
  // The preferred replica dies, drops out of the ISR, and on re-registering the faulty controller makes it
  // leader at once (a preferred election without the ISR check): the write that elects it names a leader
  // outside the ISR of the write before.
  const steps = (): Step[] => {
    let preferred = 0;
    return [
      create(3, 2),
      (o) => {
        preferred = partitionOf(o, "t").replicas[0];
        return { kind: "crash", broker: preferred };
      },
      { kind: "advanceTime", ms: 35_000 },
      produce("v1"),
      () => ({ kind: "restart", broker: preferred }),
      { kind: "advanceTime", ms: 1_000 },
      produce("v2"),
    ];
  };

  it("fires with elect-outside-isr on", async () => {
    const on = await runScenario({ seededFaults: ["elect-outside-isr"] }, steps());
    const found = cleanElection(on.complaints);
    expect(found.length, on.complaints.join("\n")).toBeGreaterThan(0);
    expect(found[0]).toMatch(/elected at epoch \d+ from outside the last ISR/);
  });

  it("stays silent on the same steps with it off", async () => {
    const off = await runScenario({}, steps());
    expect(off.complaints).toEqual([]);
  });
});

describe("the embedded observation's metadata fields", () => {
  it("stamps each partition state and names registered brokers", async () => {
    const r = await runScenario({}, [create(3), { kind: "crash", broker: 2 }]);
    const p = partitionOf(r.last, "t");
    expect(p.stateZnode).toBeDefined();
    expect(p.stateZnode!.czxid).toBeGreaterThan(0);
    expect(p.stateZnode!.mzxid).toBeGreaterThanOrEqual(p.stateZnode!.czxid);
    expect(p.controllerEpoch).toBe(r.last.controller.epoch);
    expect(r.last.metadataRead?.consistent).toBe(true);
    // A crashed broker's session lingers until it times out, so it is still registered.
    expect(r.last.brokers.map((b) => [b.id, b.state, b.registered])).toEqual([
      [1, "running", true],
      [2, "crashed", true],
      [3, "running", true],
    ]);
    await r.target.inject({ kind: "advanceTime", ms: 35_000 });
    await r.target.settle();
    const later = await r.target.observe();
    expect(later.brokers.find((b) => b.id === 2)?.registered).toBe(false);
  });

  it("reports every partition state written between two observations, consecutive and none merged", async () => {
    // Session expiries, crashes, restarts and time make the controller and leaders write partition
    // states; an expired session writes twice in one step (the broker leaves the ISR, then rejoins it).
    const target = createEmbeddedTarget();
    await target.start({ brokers: 3, seed: 7, config: {} });
    await target.execute({
      kind: "createTopic",
      topic: "t",
      partitions: 4,
      replicationFactor: 3,
      config: {},
    });
    await target.settle();
    let previous: Observation = await target.observe();
    let withEarlier = 0;
    const faults: Fault[] = [];
    for (let round = 0; round < 6; round++) {
      const b = 1 + (round % 3);
      faults.push({ kind: "expireSession", broker: b }, { kind: "advanceTime", ms: 1_000 });
      faults.push({ kind: "crash", broker: b }, { kind: "advanceTime", ms: 35_000 });
      faults.push({ kind: "restart", broker: b }, { kind: "advanceTime", ms: 35_000 });
    }
    for (const f of faults) {
      await target.inject(f);
      await target.settle();
      const now = await target.observe();
      for (const p of now.partitions) {
        const q = previous.partitions.find((x) => x.topic === p.topic && x.partition === p.partition);
        if (q === undefined) continue;
        const earlier = p.earlierStates ?? [];
        // Unwritten since the previous observation: the same version, nothing in between.
        if (p.stateZnode!.version === q.stateZnode!.version) {
          expect(earlier).toEqual([]);
          continue;
        }
        const chain: PartitionStateObservation[] = [q, ...earlier, p];
        const versions = chain.map((s) => s.stateZnode!.version);
        // Every version from the previous observation's to this one's, each once.
        expect(versions, `t-${p.partition} after ${f.kind}`).toEqual(
          Array.from({ length: versions.length }, (_, i) => versions[0] + i),
        );
        if (earlier.length > 0) withEarlier++;
      }
      previous = now;
    }
    await target.stop();
    // The test means something only if some step wrote a partition state more than once.
    expect(withEarlier).toBeGreaterThan(0);
  });
});
