/**
 * `kafkaspec check --jobs`: bad values and unsafe targets are usage errors; a parallel check through the
 * CLI prints its workers' seeds; a failure it prints reproduces with the command line it prints (one job).
 */
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../cli/command.ts";
import { checkCommand, parseCheckArgs } from "../../cli/commands/check.ts";
import { bufferIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";

async function run(argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io, [checkCommand()]);
  return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
}

describe("--jobs arguments", () => {
  it("defaults to 1; auto is the available cores", () => {
    expect(parseCheckArgs(["--target", "model"]).jobs).toBe(1);
    expect(parseCheckArgs(["--target", "model", "--jobs", "auto"]).jobs).toBe(availableParallelism());
    expect(parseCheckArgs(["--target", "embedded", "--jobs", "2"]).jobs).toBe(2);
  });

  const bad: Array<[string[], RegExp]> = [
    [["--jobs", "0"], /--jobs must be between 1/],
    [["--jobs", "two"], /--jobs must be an integer/],
    [["--jobs=-1"], /--jobs must be between 1/],
    [["--jobs", "65"], /--jobs must be between 1/],
    [["--jobs", "2", "--target", "cluster"], /target "cluster" runs real processes/],
    [["--jobs", "2", "--target", "kafka", "--bootstrap", "h:9092"], /target "kafka" runs real processes/],
    [["--jobs", "2", "--seed", "1", "--replay", "1:0"], /--replay runs one failing case/],
  ];
  for (const [argv, message] of bad)
    it(`rejects ${argv.join(" ")}`, async () => {
      expect(() => parseCheckArgs(argv)).toThrow(UsageError);
      expect(() => parseCheckArgs(argv)).toThrow(message);
      const r = await run(["check", ...argv]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
    });
  it("--jobs 1 with cluster is fine (parsing only)", () => {
    expect(parseCheckArgs(["--target", "cluster", "--jobs", "1"]).jobs).toBe(1);
  });
});

describe("check --jobs 2", () => {
  it("passes on the model and names each worker's seed and runs", async () => {
    const r = await run([
      "check",
      "--target",
      "model",
      "--runs",
      "12",
      "--ops",
      "15",
      "--seed",
      "3",
      "--jobs",
      "2",
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^runs: {8}12$/m);
    expect(r.out).toMatch(/jobs: {8}2 in parallel threads: seed 3 6\/6 runs; seed -?\d+ 6\/6 runs/);
  }, 60_000);

  it("--seeded-fault all with jobs hunts side by side and prints reproduce lines that replay with one job", async () => {
    // Two cheap faults through the real catalog: the CLI hunts them in two workers.
    const r = await run([
      "check",
      "--target",
      "embedded",
      "--seeded-fault",
      "all",
      "--time-limit",
      "1",
      "--runs",
      "300",
      "--ops",
      "20",
      "--seed",
      "2",
      "--jobs",
      "2",
      "--json",
    ]);
    const out = JSON.parse(r.out) as {
      faults: Array<{ name: string; caught: boolean; reproduce?: string }>;
    };
    const da = out.faults.find((f) => f.name === "double-assignment");
    expect(da?.caught).toBe(true);
    expect(da?.reproduce).not.toMatch(/--jobs/);
    // The printed command line, run as printed (one job), fails again.
    const argv = da!
      .reproduce!.replace(/^kafkaspec /, "")
      .match(/'[^']*'|\S+/g)!
      .map((a) => a.replace(/'/g, ""));
    const replay = await run(argv);
    expect(replay.out).toMatch(/CAUGHT double-assignment/);
  }, 120_000);
});
