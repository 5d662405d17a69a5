/**
 * Replay tokens name their case: a failure's token ends with "#<fingerprint>" of the generated case, a
 * replay runs the case only if it still generates that fingerprint, and otherwise stops with
 * ReplayMismatchError before running anything (the CLI exits 3). A token from before fingerprints replays
 * with a warning. Toy targets keep this fast.
 */
import { describe, expect, it } from "vitest";
import { checkCommand, EXIT_REPLAY_MISMATCH } from "../../cli/commands/check.ts";
import { bufferIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";
import { caseFingerprint, caseText, formatReplay, parseReplay } from "../../spec/replay-token.ts";
import { ReplayMismatchError, type RunCheckOptions, runCheck } from "../../spec/runner.ts";
import { offsetReuse } from "../doubles/offset-reuse.ts";
import { ToyChecker, toyAssign, toyInvariants } from "../doubles/toy-checks.ts";
import { TOY_DEPS } from "../doubles/toy-cli.ts";
import { ToyTarget } from "../doubles/toy-target.ts";

const broken: RunCheckOptions = {
  target: () => offsetReuse(new ToyTarget(), 3),
  checker: () => new ToyChecker(),
  invariants: toyInvariants,
  assign: toyAssign,
  runs: 40,
  opsPerRun: 60,
  seed: 7,
  faults: ["crash", "restart", "time"],
  brokers: 3,
};

/** The same token with its fingerprint's last hex digit changed. */
const tampered = (token: string) => token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");

describe("replay tokens carry the fingerprint of their case", () => {
  it("parses and formats tokens with and without a fingerprint", () => {
    expect(parseReplay("3:1:0@BA:A#0badcafe")).toEqual({
      path: "3:1:0",
      replayPath: "BA:A",
      fingerprint: "0badcafe",
    });
    expect(parseReplay("3:1:0@BA:A")).toEqual({ path: "3:1:0", replayPath: "BA:A" });
    expect(parseReplay("3:1:0#0badcafe")).toEqual({ path: "3:1:0", fingerprint: "0badcafe" });
    for (const t of ["3:1:0@BA:A#0badcafe", "3:1:0@BA:A", "3:1:0#0badcafe", "7"])
      expect(formatReplay(parseReplay(t))).toBe(t);
  });

  it("fingerprints what decides the case: seed, swarm, each step, the run's shape", () => {
    const c = {
      runSeed: 5,
      disabled: ["pause", "crash"],
      steps: ["createTopic name=0", "produce producer=p1 topic=0"],
      brokers: 3,
      opsPerRun: 50,
      config: { b: 1, a: 2 },
    };
    const fp = caseFingerprint(c);
    expect(fp).toMatch(/^[0-9a-f]{8}$/);
    // Order of the swarm set and of config keys does not matter; everything else does.
    expect(caseFingerprint({ ...c, disabled: ["crash", "pause"], config: { a: 2, b: 1 } })).toBe(fp);
    for (const other of [
      { ...c, runSeed: 6 },
      { ...c, disabled: ["pause"] },
      { ...c, steps: ["createTopic name=0", "produce producer=p2 topic=0"] },
      { ...c, steps: c.steps.slice(0, 1) },
      { ...c, brokers: 4 },
      { ...c, opsPerRun: 51 },
      { ...c, config: { a: 2, b: 2 } },
    ])
      expect(caseFingerprint(other), caseText(other)).not.toBe(fp);
  });

  it("a failure's token ends with the case's fingerprint, and replaying it checks and runs that case", async () => {
    const result = await runCheck(broken);
    const f = result.failure!;
    expect(f.replay).toMatch(/^\d+(:\d+)*@[A-Za-z0-9+/]*:[A-Za-z0-9+/]*#[0-9a-f]{8}$/);
    const again = await runCheck({ ...broken, seed: f.seed, replay: f.replay });
    expect(again.ok).toBe(false);
    expect(again.replayedFingerprint).toBe(parseReplay(f.replay).fingerprint);
    expect(again.replayWarning).toBeUndefined();
    expect(again.failure!.operations).toEqual(f.operations);
    expect(again.failure!.replay).toBe(f.replay);
  });

  it("a replay that passes runs its one case, not the shrink siblings after it", async () => {
    const f = (await runCheck(broken)).failure!;
    // One shrink step short of the counterexample: a case with later siblings in fast-check's shrink stream.
    const { path, replayPath } = parseReplay(f.replay);
    const parent = formatReplay({ path: path.slice(0, path.lastIndexOf(":")), replayPath });
    let runs = 0;
    // The correct toy passes it: fast-check alone would go on through the siblings.
    const again = await runCheck({
      ...broken,
      target: () => new ToyTarget(),
      seed: f.seed,
      replay: parent,
      onRunEnd: () => {
        runs++;
      },
    });
    expect(again.ok).toBe(true);
    expect(runs).toBe(1);
    expect(again.stats.runs).toBe(1);
    expect(again.interrupted).toBe(false);
  });

  it("refuses a token whose fingerprint does not match, before running anything", async () => {
    const f = (await runCheck(broken)).failure!;
    let targets = 0;
    const run = runCheck({
      ...broken,
      seed: f.seed,
      replay: tampered(f.replay),
      target: () => {
        targets++;
        return offsetReuse(new ToyTarget(), 3);
      },
    });
    await expect(run).rejects.toThrow(ReplayMismatchError);
    await expect(run).rejects.toThrow(
      new RegExp(
        `made by a different generator: expected case fp ${tampered(f.replay).slice(-8)}, this version generates ${f.replay.slice(-8)}; re-run with --seed ${f.seed}`,
      ),
    );
    // Only the capability probe: no run started.
    expect(targets).toBe(1);
  });

  it("refuses a token made by another generator or another workload shape", async () => {
    const f = (await runCheck(broken)).failure!;
    // Other fault families generate other steps along the same path; other --ops, another run shape.
    await expect(runCheck({ ...broken, faults: ["crash"], seed: f.seed, replay: f.replay })).rejects.toThrow(
      ReplayMismatchError,
    );
    // Other --ops: fast-check's commands arbitrary (maxCommands) no longer has that path at all.
    await expect(runCheck({ ...broken, opsPerRun: 61, seed: f.seed, replay: f.replay })).rejects.toThrow(
      /expected case fp [0-9a-f]{8}, this version generates no case at that path \(Unable to replay/,
    );
    // Other settings: the same steps, but not the same case.
    await expect(
      runCheck({
        ...broken,
        config: { "group.initial.rebalance.delay.ms": 0 },
        seed: f.seed,
        replay: f.replay,
      }),
    ).rejects.toThrow(/expected case fp [0-9a-f]{8}, this version generates [0-9a-f]{8};/);
  });

  it("replays a token without a fingerprint, with a warning", async () => {
    const f = (await runCheck(broken)).failure!;
    const old = f.replay.slice(0, f.replay.indexOf("#"));
    const again = await runCheck({ ...broken, seed: f.seed, replay: old });
    expect(again.ok).toBe(false);
    expect(again.failure!.operations).toEqual(f.operations);
    expect(again.replayWarning).toMatch(/has no case fingerprint/);
    expect(again.replayedFingerprint).toBe(f.replay.slice(-8));
    // One this version's generator cannot even walk is refused as well (the same exit code in the CLI).
    await expect(runCheck({ ...broken, opsPerRun: 61, seed: f.seed, replay: old })).rejects.toThrow(
      /replay token \(made before fingerprints\) was made by a different generator, this version generates no case at that path/,
    );
  });
});

describe("kafkaspec check --replay", () => {
  const commands = [checkCommand(TOY_DEPS)];
  async function run(argv: string[]) {
    const io = bufferIo();
    const code = await main(argv, io, commands);
    return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
  }
  const shape = ["check", "--target", "broken", "--runs", "50", "--seed", "5", "--faults", "none"];

  it("exits 3 with the mismatch for a token of another case, and 1 (the failure again) for its own", async () => {
    const first = await run(shape);
    expect(first.code).toBe(1);
    const token = /^seed 5, replay (\S+), target seed/m.exec(first.out)![1];
    expect(token).toMatch(/#[0-9a-f]{8}$/);
    expect((await run([...shape, "--replay", token])).code).toBe(1);

    const refused = await run([...shape, "--replay", tampered(token)]);
    expect(refused.code).toBe(EXIT_REPLAY_MISMATCH);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(
      /kafkaspec check: replay token was made by a different generator: expected case fp [0-9a-f]{8}, this version generates [0-9a-f]{8}; re-run with --seed 5 to find it again/,
    );
    expect(refused.out).toBe("");
  });

  it("warns about a token without a fingerprint and replays it", async () => {
    const first = await run(shape);
    const token = /^seed 5, replay (\S+), target seed/m.exec(first.out)![1];
    const old = token.slice(0, token.indexOf("#"));
    const r = await run([...shape, "--replay", old]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^warning: replay token ".*" has no case fingerprint/m);
    const json = await run([...shape, "--json", "--replay", old]);
    expect(json.err).toMatch(/\[kafkaspec\] warning: replay token .* has no case fingerprint/);
    expect(JSON.parse(json.out).replayWarning).toMatch(/has no case fingerprint/);
  });
});
