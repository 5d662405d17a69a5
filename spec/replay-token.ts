/**
 * Replay tokens: "<counterexample path>@<commands replay path>#<case fingerprint>".
 *
 * The path and replay path tell fast-check which generated case to rebuild from the seed; they mean
 * something only to the generator code that made them. Change the workload arbitraries or the run's
 * shape and the same path rebuilds some other case, which a regression test would then pass without
 * testing its case. The fingerprint is a short hash of the case itself (run seed, swarm, every generated
 * step as the report describes it, and the run's shape), so a replay that rebuilds another case is refused
 * instead of silently checking something else. Tokens from before fingerprints ("<path>@<replayPath>")
 * still replay, with a warning.
 */
import { createHash } from "node:crypto";

const REPLAY_SEPARATOR = "@";
const FINGERPRINT_SEPARATOR = "#";
/** Hex digits kept of the hash: 32 bits, enough to tell one generated case from another. */
const FINGERPRINT_LENGTH = 8;

export interface ReplayToken {
  /** fast-check's counterexample path ("run:shrink:shrink..."). */
  path: string;
  /** fast-check's commands replay path (which generated steps ran). */
  replayPath?: string;
  /** The case fingerprint; absent in tokens made before fingerprints. */
  fingerprint?: string;
}

/** What a generated run is, independent of how the target behaved on it. */
export interface CaseDescription {
  /** The seed the run gives its target (ClusterSetup.seed). */
  runSeed: number;
  /** Intent kinds the run's swarm switched off. */
  disabled: Iterable<string>;
  /** Every generated step, as described in reports (steps that did not apply included). */
  steps: readonly string[];
  /** The run's shape: what else decides what the steps do. */
  brokers: number;
  opsPerRun: number;
  config: Readonly<Record<string, unknown>>;
}

export function parseReplay(token: string): ReplayToken {
  const hash = token.lastIndexOf(FINGERPRINT_SEPARATOR);
  const fingerprint = hash < 0 ? undefined : token.slice(hash + 1);
  const rest = hash < 0 ? token : token.slice(0, hash);
  const at = rest.indexOf(REPLAY_SEPARATOR);
  const parsed: ReplayToken =
    at < 0 ? { path: rest } : { path: rest.slice(0, at), replayPath: rest.slice(at + 1) };
  if (fingerprint !== undefined) parsed.fingerprint = fingerprint;
  return parsed;
}

export function formatReplay(t: ReplayToken): string {
  return (
    t.path +
    (t.replayPath !== undefined ? `${REPLAY_SEPARATOR}${t.replayPath}` : "") +
    (t.fingerprint !== undefined ? `${FINGERPRINT_SEPARATOR}${t.fingerprint}` : "")
  );
}

/** The shape a token has on the command line (CLI argument validation). */
export const REPLAY_TOKEN_PATTERN = /^\d+(:\d+)*(@[A-Za-z0-9+/]*:[A-Za-z0-9+/]*)?(#[0-9a-f]{8})?$/;

/** Canonical JSON: object keys sorted, so the same settings hash the same whatever order they came in. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object")
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v) ?? "null";
}

/** The text the fingerprint hashes: one line per part, the steps one per line. */
export function caseText(c: CaseDescription): string {
  return [
    `run seed ${c.runSeed}`,
    `brokers ${c.brokers}, ops ${c.opsPerRun}, config ${canonical(c.config)}`,
    `off ${[...c.disabled].sort().join(",")}`,
    ...c.steps,
  ].join("\n");
}

export function caseFingerprint(c: CaseDescription): string {
  return createHash("sha256").update(caseText(c)).digest("hex").slice(0, FINGERPRINT_LENGTH);
}

/**
 * A replay token whose case this version does not generate: the token was made by other generator code
 * (or with other workload options). Distinct from a check failure: nothing was checked.
 */
export class ReplayMismatchError extends Error {
  override name = "ReplayMismatchError";
  constructor(
    readonly seed: number,
    /** The token's fingerprint; undefined for a token from before fingerprints that fast-check cannot walk. */
    readonly expected: string | undefined,
    /** The fingerprint of the case the token rebuilds now; undefined when it rebuilds none. */
    readonly actual: string | undefined,
    detail?: string,
  ) {
    const made =
      expected === undefined
        ? "replay token (made before fingerprints) was made by a different generator"
        : `replay token was made by a different generator: expected case fp ${expected}`;
    const now =
      actual !== undefined
        ? `this version generates ${actual}`
        : `this version generates no case at that path${detail !== undefined ? ` (${detail})` : ""}`;
    super(`${made}, ${now}; re-run with --seed ${seed} to find it again`);
  }
}

/** The warning a token without a fingerprint gets: it replays, but nothing proves it is the case it was. */
export function unfingerprintedWarning(token: string): string {
  return `replay token "${token}" has no case fingerprint (made before fingerprints): it replays whatever case this version generates at that path, which may not be the one it was made for`;
}
