/**
 * The CLI's contract: exit 0 when everything holds, 1 with a counterexample (or a missed seeded fault),
 * 2 for bad arguments with a message and a usage line; --json prints one object. Most cases run in
 * process against the toy doubles; a few spawn real processes.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { checkCommand } from "../../cli/commands/check.ts";
import { bufferIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";
import { TOY_DEPS } from "../doubles/toy-cli.ts";

const toyCommands = [checkCommand(TOY_DEPS)];

async function run(argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io, toyCommands);
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("argument errors exit 2 with a message and the usage line", () => {
  const cases: Array<[string, string[], RegExp]> = [
    ["non-integer runs", ["check", "--target", "toy", "--runs", "ten"], /--runs must be an integer/],
    ["zero runs", ["check", "--target", "toy", "--runs", "0"], /--runs must be between 1/],
    ["unknown target", ["check", "--target", "nope"], /unknown target "nope"/],
    ["planned target not built", ["check", "--target", "kafka"], /"kafka" is not available/],
    [
      "unknown fault family",
      ["check", "--target", "toy", "--faults", "crash,meteor"],
      /unknown fault family "meteor"/,
    ],
    ["unknown option", ["check", "--target", "toy", "--speed", "3"], /Unknown option '--speed'/],
    ["replay without seed", ["check", "--target", "toy", "--replay", "1:2"], /needs the --seed/],
    ["malformed replay", ["check", "--target", "toy", "--seed", "1", "--replay", "x y"], /--replay must be/],
    ["bad bootstrap", ["check", "--target", "toy", "--bootstrap", "localhost"], /HOST:PORT/],
    [
      "unknown seeded fault",
      ["check", "--target", "seeded", "--seeded-fault", "nope"],
      /unknown seeded fault "nope"/,
    ],
  ];
  for (const [what, argv, message] of cases)
    it(what, async () => {
      const r = await run(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(/usage: kafkaspec check/);
    });

  it("an unknown command", async () => {
    const r = await run(["frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "frobnicate"/);
  });
});

describe("check", () => {
  it("exits 0 with the summary when everything holds", async () => {
    const r = await run([
      "check",
      "--target",
      "toy",
      "--runs",
      "20",
      "--seed",
      "3",
      "--faults",
      "crash,restart,time",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^PASS/m);
    expect(r.out).toMatch(/runs: +20/);
    expect(r.out).toMatch(/ops\/s/);
    expect(r.out).toMatch(/invariants: +\d+ checked: .*toy-consistent-reads 20/);
  });

  it("exits 1 with the shrunk counterexample and a reproduce line that reproduces it", async () => {
    const r = await run(["check", "--target", "broken", "--runs", "50", "--seed", "5", "--faults", "none"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAIL/m);
    expect(r.out).toMatch(
      /broken:\n {2}model-outcome \[model\]: offset t\d\/\d@\d acknowledged for v\d+ and again/,
    );
    const line = /reproduce: kafkaspec (.*)$/m.exec(r.out)![1];
    const argv = line.split(" ").map((a) => a.replace(/^'|'$/g, ""));
    const again = await run(argv);
    expect(again.code).toBe(1);
    const ops = (s: string) => s.slice(s.indexOf("operations (shrunk):"), s.indexOf("history around"));
    expect(ops(again.out)).toEqual(ops(r.out));
  });

  it("prints one JSON object with --json", async () => {
    const r = await run([
      "check",
      "--target",
      "broken",
      "--runs",
      "50",
      "--seed",
      "5",
      "--faults",
      "none",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({ ok: false, target: "toy+offset-reuse", seed: 5, brokers: 3, faultKinds: [] });
    expect(Object.keys(j.stats).sort()).toEqual(
      [
        "elapsedMs",
        "errors",
        "faults",
        "faultsByKind",
        "invariantChecks",
        "operations",
        "operationsByKind",
        "opsPerSecond",
        "outcomes",
        "runs",
        "shrinkRuns",
        "skippedSteps",
      ].sort(),
    );
    expect(j.failure.operations.length).toBeGreaterThan(0);
    expect(j.failure.findings[0].invariant).toBe("model-outcome");
    expect(j.failure.reproduce).toMatch(/--seed 5 --replay/);
    expect(Array.isArray(j.failure.history)).toBe(true);
  });

  it("hunts seeded faults: exit 1 when one is missed, 0 when all asked for are caught", async () => {
    const all = await run([
      "check",
      "--target",
      "seeded",
      "--seeded-fault",
      "all",
      "--runs",
      "30",
      "--seed",
      "2",
      "--json",
    ]);
    expect(all.code).toBe(1);
    const j = JSON.parse(all.out);
    expect(j.faults.map((f: { name: string; caught: boolean }) => [f.name, f.caught])).toEqual([
      ["offset-reuse", true],
      ["inert", false],
    ]);
    expect(j.faults[0].failsWithoutFault).toBe(false);
    expect(j.faults[0].reproduce).toMatch(/--seeded-fault offset-reuse --seed 2 --replay/);
    expect(j.faults[0].operations.length).toBeGreaterThan(0);
    expect(j.faults[0].totalMs).toBeGreaterThanOrEqual(j.faults[0].timeMs);
    expect(j.faults[0].originalOperations).toBeGreaterThanOrEqual(j.faults[0].operations.length);
    const one = await run([
      "check",
      "--target",
      "seeded",
      "--seeded-fault",
      "offset-reuse",
      "--runs",
      "30",
      "--seed",
      "2",
    ]);
    expect(one.code).toBe(0);
    expect(one.out).toMatch(/CAUGHT offset-reuse/);
    expect(one.out).toMatch(
      /seed 2, run seed \d+: failed after [\d.]+ m?s; shrunk from \d+ to \d+ operations/,
    );
    expect(one.out).toMatch(/^ {2}offset-reuse +CAUGHT +[\d.]+ m?s +\d+ runs$/m);
    expect(one.out).toMatch(/1 of 1 seeded faults caught/);
  });
});

describe("seeded-fault attribution", () => {
  it("does not credit a fault with a counterexample that fails with the fault off too", async () => {
    const r = await run([
      "check",
      "--target",
      "broken",
      "--seeded-fault",
      "offset-reuse",
      "--runs",
      "30",
      "--seed",
      "2",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.faults[0]).toMatchObject({ name: "offset-reuse", caught: false, failsWithoutFault: true });
    const text = await run([
      "check",
      "--target",
      "broken",
      "--seeded-fault",
      "offset-reuse",
      "--runs",
      "30",
      "--seed",
      "2",
    ]);
    expect(text.out).toMatch(/UNATTRIBUTED offset-reuse/);
  });
});

describe("help", () => {
  it("lists every command and their usage", async () => {
    const io = bufferIo();
    expect(await main(["help"], io)).toBe(0);
    const text = io.stdout.join("\n");
    expect(text).toMatch(/kafkaspec check/);
    expect(text).toMatch(/kafkaspec model diagram/);
    expect(await main(["--help"], bufferIo())).toBe(0);
    expect(await main([], bufferIo())).toBe(2);
  });
});

describe("as a real process", () => {
  const node = (args: string[]) =>
    spawnSync(process.execPath, args, { cwd: process.cwd(), encoding: "utf8", timeout: 60_000 });

  it("exits 2 on bad arguments", () => {
    const p = node(["bin/kafkaspec.mjs", "check", "--runs", "many"]);
    expect(p.status).toBe(2);
    expect(p.stderr).toMatch(/--runs must be an integer/);
    expect(p.stderr).toMatch(/usage: kafkaspec check/);
  });

  it("exits 0 for help", () => {
    const p = node(["bin/kafkaspec.mjs", "--help"]);
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(/usage: kafkaspec <command>/);
  });

  it("exits 1 with a counterexample from a broken target", () => {
    const p = node([
      "bin/run-ts.mjs",
      "test/doubles/toy-cli.ts",
      "check",
      "--target",
      "broken",
      "--runs",
      "30",
      "--seed",
      "9",
      "--json",
    ]);
    expect(p.status).toBe(1);
    expect(JSON.parse(p.stdout).ok).toBe(false);
  });
});

describe("model diagram", () => {
  it("prints a mermaid diagram of one machine, or of all", async () => {
    const one = bufferIo();
    expect(await main(["model", "diagram", "--machine", "broker", "--format", "mermaid"], one)).toBe(0);
    expect(one.stdout.join("\n")).toMatch(/stateDiagram-v2[\s\S]*-->/);
    const all = bufferIo();
    expect(await main(["model", "diagram"], all)).toBe(0);
    expect(all.stdout.join("\n").match(/stateDiagram-v2/g)!.length).toBeGreaterThanOrEqual(4);
  });

  it("rejects an unknown machine, format or subcommand with exit 2", async () => {
    for (const argv of [
      ["model", "diagram", "--machine", "nope"],
      ["model", "diagram", "--format", "dot"],
      ["model", "draw"],
      ["model"],
    ]) {
      const io = bufferIo();
      expect(await main(argv, io), argv.join(" ")).toBe(2);
      expect(io.stderr.join("\n")).toMatch(/usage: kafkaspec model diagram/);
    }
  });
});

describe("the model target as a real process", () => {
  it("passes a short check and prints one JSON object", () => {
    const p = spawnSync(
      process.execPath,
      [
        "bin/kafkaspec.mjs",
        "check",
        "--target",
        "model",
        "--runs",
        "5",
        "--ops",
        "20",
        "--seed",
        "1",
        "--json",
      ],
      { cwd: process.cwd(), encoding: "utf8", timeout: 120_000 },
    );
    expect(p.status, p.stderr).toBe(0);
    const j = JSON.parse(p.stdout);
    expect(j).toMatchObject({ ok: true, target: "model", seed: 1, brokers: 3 });
    expect(j.stats.runs).toBe(5);
    expect(j.stats.invariantChecks["leader-in-isr"]).toBeGreaterThan(0);
  });
});
