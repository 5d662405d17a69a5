/**
 * The `kafka` target: its run namespaces, its fault script contract (and that it leaves the cluster as it
 * found it), a JoinGroup left pending while the coordinator holds it, and whole suite runs against real
 * clusters: Apache Kafka 3.9 when its jars are here, and our own `kafkaspec cluster`.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaTarget } from "../../impl/kafka-target/index.ts";
import { Namespace, runNamespace } from "../../impl/kafka-target/naming.ts";
import { formatResult } from "../../spec/report/format.ts";
import { loadReferenceSuite, runCheck } from "../../spec/runner.ts";
import { CLUSTER_KINDS, type RunningCluster, reportUnavailable } from "../client/brokers.ts";

reportUnavailable();

describe("run namespaces", () => {
  it("gives every run its own prefix and maps names both ways", () => {
    const a = runNamespace(7);
    const b = runNamespace(7);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^ks7-[0-9a-z]+-$/);
    const ns = new Namespace(a);
    expect(ns.wire("t0")).toBe(`${a}t0`);
    expect(ns.local(ns.wire("t0"))).toBe("t0");
    expect(ns.local("__consumer_offsets")).toBe("__consumer_offsets");
  });
});

describe("fault script", () => {
  let dir: string;
  let script: string;
  let calls: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "kafkaspec-fault-"));
    calls = join(dir, "calls");
    script = join(dir, "fault.sh");
    // Refuses to restart broker 9, as a real script refuses a fault that does not apply.
    writeFileSync(
      script,
      `#!/bin/sh\necho "$1 $2" >> ${calls}\n[ "$1 $2" = "restart 9" ] && { echo "broker 9 is running" >&2; exit 1; }\nexit 0\n`,
    );
    chmodSync(script, 0o755);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("advertises crash, restart, pause and resume only with a script", () => {
    expect(new KafkaTarget({ bootstrap: "127.0.0.1:1" }).capabilities.faults).toEqual([]);
    expect(new KafkaTarget({ bootstrap: "127.0.0.1:1", faultScript: script }).capabilities).toEqual({
      faults: ["crash", "restart", "pause", "resume"],
      observe: false,
      virtualTime: false,
    });
    // Given the cluster's ZooKeeper, it observes what the controller recorded there.
    expect(new KafkaTarget({ bootstrap: "127.0.0.1:1", zookeeper: "127.0.0.1:2" }).capabilities.observe).toBe(
      "metadata",
    );
  });

  it("runs SCRIPT ACTION BROKER, maps its exit status, and on stop brings back what it crashed or paused", async () => {
    writeFileSync(calls, "");
    const t = new KafkaTarget({ bootstrap: "127.0.0.1:1", faultScript: script });
    expect(await t.inject({ kind: "crash", broker: 2 })).toEqual({ status: "ok", value: {} });
    expect(await t.inject({ kind: "pause", broker: 3 })).toEqual({ status: "ok", value: {} });
    expect(await t.inject({ kind: "crash", broker: 1 })).toEqual({ status: "ok", value: {} });
    expect(await t.inject({ kind: "restart", broker: 1 })).toEqual({ status: "ok", value: {} });
    const refused = await t.inject({ kind: "restart", broker: 9 });
    expect(refused).toMatchObject({ status: "failed", error: "INVALID_REQUEST" });
    expect(refused.status === "failed" && refused.message).toMatch(/broker 9 is running/);
    expect(await t.inject({ kind: "isolate", sides: [[1], [2]] })).toMatchObject({ status: "failed" });
    await t.stop();
    expect(readFileSync(calls, "utf8").trim().split("\n")).toEqual([
      "crash 2",
      "pause 3",
      "crash 1",
      "restart 1",
      "restart 9",
      "resume 3",
      "restart 2",
    ]);
  });
});

for (const kind of CLUSTER_KINDS) {
  describe.skipIf(kind.unavailable !== null)(`kafka target against ${kind.name}`, () => {
    let cluster: RunningCluster;
    beforeAll(async () => {
      cluster = await kind.start();
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it("leaves a JoinGroup pending while the coordinator holds it; settle does not wait for it", async () => {
      const t = new KafkaTarget({ bootstrap: cluster.bootstrap });
      await t.start({ brokers: cluster.brokers, seed: 1, config: {} });
      try {
        expect(
          await t.execute({
            kind: "createTopic",
            topic: "t0",
            partitions: 2,
            replicationFactor: 1,
            config: {},
          }),
        ).toMatchObject({ status: "ok" });
        const join = (member: string) =>
          t.execute({
            kind: "joinGroup",
            groupId: "g0",
            member,
            topics: ["t0"],
            assignor: "range",
            sessionTimeoutMs: 10_000,
            rebalanceTimeoutMs: 10_000,
          });
        const first = await join("c1");
        expect(first).toMatchObject({
          status: "ok",
          value: { groupId: "g0", members: [{ topics: ["t0"] }] },
        });
        if (first.status !== "ok") return;
        const { generation, memberId } = first.value as { generation: number; memberId: string };
        expect(
          await t.execute({
            kind: "syncGroup",
            groupId: "g0",
            member: "c1",
            generation,
            assignments: { [memberId]: [{ topic: "t0", partition: 0 }] },
          }),
        ).toEqual({ status: "ok", value: { assignment: [{ topic: "t0", partition: 0 }] } });
        let settled = false;
        const second = join("c2").then((o) => {
          settled = true;
          return o;
        });
        const before = Date.now();
        await t.settle();
        expect(Date.now() - before).toBeLessThan(2_000);
        expect(settled).toBe(false);
        // c1 rejoins when asked; then both joins complete in the next generation.
        expect(await t.execute({ kind: "heartbeat", groupId: "g0", member: "c1", generation })).toMatchObject(
          {
            status: "failed",
            error: "REBALANCE_IN_PROGRESS",
          },
        );
        const again = await join("c1");
        expect(again).toMatchObject({ status: "ok", value: { generation: generation + 1 } });
        expect(await second).toMatchObject({ status: "ok", value: { generation: generation + 1 } });
      } finally {
        await t.stop();
      }
    }, 60_000);

    it("passes the suite: every outcome allowed by the model (3 runs, no faults)", async () => {
      const suite = await loadReferenceSuite();
      const result = await runCheck({
        target: () => new KafkaTarget({ bootstrap: cluster.bootstrap }),
        checker: suite.checker,
        invariants: suite.invariants,
        assign: suite.assign,
        customPartitioners: suite.customPartitioners,
        runs: 3,
        opsPerRun: 30,
        seed: 42,
        faults: [],
        brokers: cluster.brokers,
        // A JoinGroup still held at the end need not be waited for long: it ends unknown, which is allowed.
        finalWaitMs: 2_000,
      });
      if (!result.ok) console.error(formatResult(result, ""));
      expect(result.ok).toBe(true);
      expect(result.stats.operations).toBeGreaterThan(30);
      expect(result.stats.outcomes.ok).toBeGreaterThan(10);
    }, 120_000);
  });
}
