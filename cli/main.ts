/**
 * The `kafkaspec` command line: finds the subcommand in the registry and runs it. Exit status: 0 when
 * what was asked holds, 1 when it does not (a counterexample, a missed seeded fault), 2 for bad arguments
 * (with the message and the command's usage line).
 */
import { type CliCommand, EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { type Io, processIo } from "./io.ts";

export function usage(commands: readonly CliCommand[] = COMMANDS): string {
  const width = Math.max(...commands.map((c) => c.name.length), 4);
  return [
    "usage: kafkaspec <command> [options]",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${"help".padEnd(width)}  this text, or \`kafkaspec help <command>\` for one command's options`,
    "",
    ...commands.flatMap((c) => [...c.usage, ""]),
  ].join("\n");
}

export async function main(
  argv: string[],
  io: Io = processIo,
  commands: readonly CliCommand[] = COMMANDS,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined) {
      const c = commands.find((x) => x.name === topic);
      if (c === undefined) {
        io.err(`kafkaspec: unknown command "${topic}"`);
        io.err(usage(commands));
        return EXIT_USAGE;
      }
      io.out(c.usage.join("\n"));
      return EXIT_OK;
    }
    if (name === undefined) {
      io.err(usage(commands));
      return EXIT_USAGE;
    }
    io.out(usage(commands));
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    io.err(`kafkaspec: unknown command "${name}"`);
    io.err(usage(commands));
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`kafkaspec ${command.name}: ${e.message}`);
      io.err(`usage: ${command.usage[0]}`);
      return EXIT_USAGE;
    }
    io.err(`kafkaspec ${command.name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_FAILED;
  }
}
