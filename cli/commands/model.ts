/** `kafkaspec model diagram`: the model's machines drawn from the machines themselves (model/diagram.ts). */
import { type CliCommand, EXIT_OK, parseStrict, UsageError } from "../command.ts";

const USAGE = [
  "kafkaspec model diagram [--machine NAME] [--format mermaid]",
  "  prints a diagram of each machine of the model (or only NAME) in the given format (default mermaid)",
];

const FORMATS = ["mermaid"] as const;

export const modelCommand: CliCommand = {
  name: "model",
  summary: "the executable model: print diagrams of its state machines",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseStrict(
      argv,
      { machine: { type: "string" }, format: { type: "string" }, help: { type: "boolean", short: "h" } },
      true,
    );
    if (values.help) {
      io.out(USAGE.join("\n"));
      return EXIT_OK;
    }
    const [sub, ...extra] = positionals;
    if (sub !== "diagram")
      throw new UsageError(
        sub === undefined ? "missing subcommand: diagram" : `unknown model subcommand "${sub}"`,
      );
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const format = values.format ?? "mermaid";
    if (!(FORMATS as readonly string[]).includes(format))
      throw new UsageError(`unknown format "${format}" (known: ${FORMATS.join(", ")})`);
    const diagram = await import("../../model/diagram.ts");
    const names = Object.keys(diagram.MACHINES);
    if (values.machine !== undefined && !names.includes(values.machine))
      throw new UsageError(`unknown machine "${values.machine}" (known: ${names.join(", ")})`);
    const chosen = values.machine !== undefined ? [values.machine] : names;
    const parts = chosen.map((name) => `%% ${name}\n${diagram.machineDiagram(name, format as "mermaid")}`);
    io.out(parts.join("\n\n"));
    return EXIT_OK;
  },
};
