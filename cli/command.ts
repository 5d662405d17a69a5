/**
 * What every `kafkaspec` subcommand is: a name, one line of summary, its usage, and `run`, which returns
 * the exit code (0 success, 1 the thing checked does not hold or failed, 2 bad arguments).
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Io } from "./io.ts";

export interface CliCommand {
  name: string;
  summary: string;
  /** Usage lines, the first being the synopsis. */
  usage: string[];
  run(argv: string[], io: Io): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad arguments: main prints the message and the command's synopsis, and exits 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs in strict mode, its errors turned into UsageErrors. */
export function parseStrict<O extends Options>(argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

export function parseInteger(
  flag: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${flag} must be an integer, got "${value}"`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`--${flag} must be between ${min} and ${max}, got ${value}`);
  return n;
}
