/**
 * The real `kafkaspec` entry point with the toy doubles registered as targets, so tests can spawn a
 * process that finds a counterexample (exit 1) without depending on the model or the brokers.
 * Run: node bin/run-ts.mjs test/doubles/toy-cli.ts check --target broken ...
 */
import { type CheckDeps, checkCommand } from "../../cli/commands/check.ts";
import { main } from "../../cli/main.ts";
import { offsetReuse } from "./offset-reuse.ts";
import { FAKE_CATALOG, SeededToyTarget } from "./seeded-toy.ts";
import { ToyChecker, toyAssign, toyInvariants } from "./toy-checks.ts";
import { ToyTarget } from "./toy-target.ts";

export const TOY_DEPS: CheckDeps = {
  targets: {
    toy: { description: "a correct in-memory toy", load: async () => () => new ToyTarget() },
    broken: {
      description: "the toy reusing an offset",
      load: async () => () => offsetReuse(new ToyTarget(), 3),
    },
    seeded: { description: "the toy with seeded faults", load: async () => () => new SeededToyTarget() },
  },
  suite: async () => ({
    checker: () => new ToyChecker(),
    invariants: toyInvariants,
    assign: toyAssign,
    customPartitioners: [],
  }),
  catalog: async () => FAKE_CATALOG,
};

if (process.argv[1]?.endsWith("toy-cli.ts"))
  process.exitCode = await main(process.argv.slice(2), undefined, [checkCommand(TOY_DEPS)]);
