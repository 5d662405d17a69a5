/**
 * The cluster target's metadata observations on real broker processes: the preferred leader is killed
 * (its session expired at once) and restarted, with ZooKeeper read every 100 ms. Our controller moves the
 * leadership within the ISR and lets the restarted broker rejoin as a follower, and every metadata
 * invariant holds over the whole sequence; with the seeded fault elect-outside-isr switched on in the
 * broker processes, the controller hands the leadership back to the restarted broker before it has
 * caught up, and clean-election says so.
 */
import { describe, expect, it } from "vitest";
import { createClusterTarget } from "../../impl/cluster-target/index.ts";
import type { Observation, PartitionObservation } from "../../spec/adapter.ts";
import { STATE_INVARIANTS } from "../../spec/invariants/index.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scenario {
  observations: Observation[];
  findings: string[];
  /** The preferred leader that was killed and restarted. */
  bounced: number;
}

async function bounceThePreferredLeader(seededFaults: string[]): Promise<Scenario> {
  const target = createClusterTarget();
  const observations: Observation[] = [];
  const findings: string[] = [];
  const metadataInvariants = STATE_INVARIANTS.filter((i) => i.needs === "metadata");
  const observe = async (): Promise<PartitionObservation | undefined> => {
    const now = await target.observe();
    for (const inv of metadataInvariants)
      for (const v of inv.check(now, observations.at(-1))) findings.push(`${v.invariant}: ${v.message}`);
    observations.push(now);
    return now.partitions.find((p) => p.topic === "t0");
  };
  const until = async (what: string, ms: number, done: (p: PartitionObservation) => boolean) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const p = await observe();
      if (p !== undefined && done(p)) return p;
      await sleep(100);
    }
    throw new Error(
      `timed out waiting for ${what}; last: ${JSON.stringify(observations.at(-1)?.partitions)}`,
    );
  };
  try {
    await target.start({ brokers: 3, seed: 7, config: {}, seededFaults });
    const created = await target.execute({
      kind: "createTopic",
      topic: "t0",
      partitions: 1,
      replicationFactor: 3,
      config: {},
    });
    expect(created.status).toBe("ok");
    const first = await until("a leader", 20_000, (p) => p.leader !== null && p.isr.length === 3);
    const bounced = first.replicas[0];
    expect(first.leader).toBe(bounced);
    expect((await target.inject({ kind: "crash", broker: bounced })).status).toBe("ok");
    expect((await target.inject({ kind: "expireSession", broker: bounced })).status).toBe("ok");
    await until("another leader", 20_000, (p) => p.leader !== null && p.leader !== bounced);
    expect((await target.inject({ kind: "restart", broker: bounced })).status).toBe("ok");
    // Back as a follower in the ISR (correct), or as the leader at once (the seeded bug).
    await until("the restarted broker back", 30_000, (p) => p.isr.includes(bounced));
    return { observations, findings, bounced };
  } finally {
    await target.stop();
  }
}

describe("cluster target: metadata observations from ZooKeeper", () => {
  it("a leader bounce keeps every metadata invariant, read as consistent snapshots", async () => {
    const s = await bounceThePreferredLeader([]);
    expect(s.findings).toEqual([]);
    expect(s.observations.every((o) => o.scope === "metadata")).toBe(true);
    // The store is quiet most of the time: nearly every pass is one instant.
    const consistent = s.observations.filter((o) => o.metadataRead?.consistent).length;
    expect(consistent).toBeGreaterThan(s.observations.length / 2);
    // The controller's election was seen as one write after the state before it.
    const states = s.observations.flatMap((o) => o.partitions.map((p) => p.stateZnode!.version));
    expect(new Set(states).size).toBeGreaterThanOrEqual(2);
    expect(s.observations.at(-1)!.partitions[0].leader).not.toBe(s.bounced);
  }, 90_000);

  it("catches elect-outside-isr switched on in the broker processes", async () => {
    const s = await bounceThePreferredLeader(["elect-outside-isr"]);
    expect(s.findings.some((f) => f.startsWith(`clean-election: t0-0: broker ${s.bounced} elected`))).toBe(
      true,
    );
  }, 90_000);
});
