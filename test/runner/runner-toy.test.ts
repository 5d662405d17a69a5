/**
 * The runner against targets whose behaviour is known: a correct toy passes; a toy that reuses an
 * offset is caught, shrunk and replayed exactly from the printed seed and replay token.
 */
import { describe, expect, it } from "vitest";
import { type RunCheckOptions, runCheck } from "../../spec/runner.ts";
import { offsetReuse } from "../doubles/offset-reuse.ts";
import { ToyChecker, toyAssign, toyInvariants } from "../doubles/toy-checks.ts";
import { ToyTarget } from "../doubles/toy-target.ts";

const base: RunCheckOptions = {
  target: () => new ToyTarget(),
  checker: () => new ToyChecker(),
  invariants: toyInvariants,
  assign: toyAssign,
  runs: 40,
  opsPerRun: 60,
  seed: 7,
  faults: ["crash", "restart", "time"],
  brokers: 3,
};

describe("runCheck on the toy target", () => {
  it("passes a correct target and counts what it did", async () => {
    const result = await runCheck(base);
    expect(result.failure).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.stats.runs).toBe(40);
    expect(result.stats.operationsByKind.produce).toBeGreaterThan(0);
    expect(result.stats.operationsByKind.joinGroup).toBeGreaterThan(0);
    expect(result.stats.operationsByKind.syncGroup).toBeGreaterThan(0);
    expect(result.stats.faultsByKind.crash).toBeGreaterThan(0);
    expect(result.stats.invariantChecks["toy-consistent-reads"]).toBe(40);
    expect(result.stats.outcomes.ok).toBeGreaterThan(0);
    expect(result.faultKinds).toEqual(["crash", "restart", "advanceTime"]);
  });

  it("generates only faults of the chosen families", async () => {
    const result = await runCheck({ ...base, runs: 20, faults: ["crash"] });
    expect(
      Object.keys(result.stats.faultsByKind).filter((k) => k !== "crash" && k !== "advanceTime"),
    ).toEqual([]);
    expect(result.faultKinds).toEqual(["crash"]);
  });

  it("catches a reused offset, shrinks it and replays it from seed and token", async () => {
    const broken = { ...base, target: () => offsetReuse(new ToyTarget(), 3) };
    const result = await runCheck(broken);
    expect(result.ok).toBe(false);
    const f = result.failure!;
    expect(f.findings.map((x) => x.invariant)).toContain("model-outcome");
    expect(f.findings[0].message).toMatch(/acknowledged for v\d+ and again/);
    expect(f.operations.length).toBeLessThan(f.originalOperations);
    // The smallest case: a topic and enough produces to reach the third acknowledgement.
    expect(f.operations.filter((l) => l.includes("produce")).length).toBeLessThanOrEqual(4);
    expect(f.excerpt.some((l) => l.startsWith(">"))).toBe(true);
    expect(f.replay).toMatch(/^[\d:]+@.*#[0-9a-f]{8}$/);

    const again = await runCheck({ ...broken, seed: f.seed, replay: f.replay });
    expect(again.ok).toBe(false);
    expect(again.failure!.operations).toEqual(f.operations);
    expect(again.failure!.findings).toEqual(f.findings);
    expect(again.stats.runs).toBe(1);
  });

  it("stops the target of every run", async () => {
    const targets: ToyTarget[] = [];
    await runCheck({
      ...base,
      runs: 5,
      target: () => {
        const t = new ToyTarget();
        targets.push(t);
        return t;
      },
    });
    // The first target is the capability probe, never started.
    expect(targets.slice(1).every((t) => t.stopped)).toBe(true);
    expect(targets.length).toBe(6);
  });
});

describe("runCheck with the real history invariants", () => {
  it("catches the reused offset in the history alone (a checker that accepts everything)", async () => {
    const { HISTORY_INVARIANTS } = await import("../../spec/invariants/index.ts");
    const result = await runCheck({
      ...base,
      runs: 60,
      faults: [],
      checker: () => ({ begin() {}, check: () => ({ ok: true }) }),
      invariants: { history: HISTORY_INVARIANTS, state: [] },
      target: () => offsetReuse(new ToyTarget(), 2),
    });
    expect(result.ok).toBe(false);
    const names = result.failure!.findings.map((f) => f.invariant);
    expect(names.some((n) => /inconsistent-offsets|duplicate|nonmonotonic-send/.test(n))).toBe(true);
    expect(result.failure!.findings.every((f) => f.source === "history")).toBe(true);
  });
});

describe("a target that cannot start", () => {
  it("fails the check once, as target-start, without retrying it run after run", async () => {
    let starts = 0;
    const result = await runCheck({
      ...base,
      target: () => {
        const t = new ToyTarget();
        t.start = async () => {
          starts++;
          throw new Error("connection refused");
        };
        return t;
      },
    });
    expect(result.ok).toBe(false);
    expect(result.failure!.findings).toMatchObject([{ source: "target", invariant: "target-start" }]);
    expect(result.failure!.findings[0].message).toMatch(/connection refused/);
    expect(starts).toBe(1);
  });
});

describe("rebalance phases", () => {
  it("bring generations in which two or more members synced, and keep each run's budget for the rest", async () => {
    let run = -1;
    const synced = new Map<string, Set<string>>();
    const perRun: number[] = [];
    const target = () => {
      const t = new ToyTarget();
      const r = ++run;
      perRun[r] = 0;
      const execute = t.execute.bind(t);
      const inject = t.inject.bind(t);
      t.inject = (fault) => {
        perRun[r]++;
        return inject(fault);
      };
      t.execute = async (op) => {
        const out = await execute(op);
        perRun[r]++;
        if (op.kind === "syncGroup" && out.status === "ok") {
          const key = `${r}/${op.groupId}/${op.generation}`;
          synced.set(key, (synced.get(key) ?? new Set()).add(op.member));
        }
        return out;
      };
      return t;
    };
    const result = await runCheck({ ...base, target, runs: 60 });
    expect(result.ok).toBe(true);
    const multi = [...synced.values()].filter((members) => members.size >= 2).length;
    expect(multi).toBeGreaterThanOrEqual(10);
    // A phase's operations come on top of the run's budget (so they take none from the rest of the
    // workload), and a phase is at most 24 steps.
    expect(Math.max(...perRun)).toBeGreaterThan(base.opsPerRun);
    expect(Math.max(...perRun)).toBeLessThanOrEqual(base.opsPerRun + 24 * 4);
  });
});
