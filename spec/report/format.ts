/**
 * A check's result as a person reads it: the summary (what ran, what was checked, how fast), and on
 * failure the counterexample (seed, replay, shrunk operations, broken invariants, history around them).
 */
import type { CheckResult, CheckStats, FailureReport } from "./types.ts";

function counts(c: Record<string, number>): string {
  const entries = Object.entries(c).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return entries.length === 0 ? "none" : entries.map(([k, v]) => `${k} ${v}`).join(", ");
}

export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function formatStats(s: CheckStats): string[] {
  return [
    `runs:        ${s.runs}${s.shrinkRuns > 0 ? ` (+${s.shrinkRuns} while shrinking)` : ""}`,
    `operations:  ${s.operations} (${counts(s.operationsByKind)})`,
    `faults:      ${s.faults} (${counts(s.faultsByKind)})`,
    `outcomes:    ok ${s.outcomes.ok}, failed ${s.outcomes.failed}, unknown ${s.outcomes.unknown}, pending at end ${s.outcomes.pending}`,
    `errors:      ${counts(s.errors)}`,
    `skipped:     ${s.skippedSteps} generated steps that did not apply when their turn came`,
    `invariants:  ${Object.keys(s.invariantChecks).length} checked: ${counts(s.invariantChecks)}`,
    `elapsed:     ${formatSeconds(s.elapsedMs)}, ${s.opsPerSecond} ops/s`,
  ];
}

/**
 * How the counterexample came to its size: "shrunk from X in N steps" only when shrinking finished; a case
 * cut short by a budget is the smallest found in that time, not a minimal one.
 */
export function describeShrink(f: FailureReport): string {
  const from = `from ${f.originalOperations} in ${f.shrinks} steps`;
  const spent = formatSeconds(f.shrinkMs ?? 0);
  switch (f.shrinking ?? "complete") {
    case "budget":
      return `the smallest failing case found in the shrink budget (${spent} of shrinking, ${from}; shrinking stopped, maybe not minimal)`;
    case "time-limit":
      return `the smallest failing case found before the time limit (${spent} of shrinking, ${from}; shrinking stopped, maybe not minimal)`;
    case "off":
      return "not shrunk: the first failing case";
    case "replay":
      return "replayed as given";
    default:
      return `shrunk ${from}`;
  }
}

/** `reproduce` is the command line that replays the failure (the CLI knows its own arguments). */
export function formatFailure(f: FailureReport, reproduce: string): string[] {
  const lines = [
    `counterexample: ${f.operations.length} operations (${describeShrink(f)})`,
    `seed ${f.seed}, replay ${f.replay}, target seed ${f.runSeed}`,
    `reproduce: ${reproduce}`,
    "",
    "broken:",
  ];
  for (const x of f.findings)
    lines.push(
      `  ${x.invariant} [${x.source}]: ${x.message}${x.events.length > 0 ? `  (events ${x.events.map((i) => `#${i}`).join(", ")})` : ""}`,
    );
  const cut = f.shrinking === "budget" || f.shrinking === "time-limit";
  lines.push("", `operations (${cut ? "smallest found" : f.shrinking === "off" ? "not shrunk" : "shrunk"}):`);
  f.operations.forEach((op, i) => {
    lines.push(`  ${String(i + 1).padStart(3)}. ${op}`);
  });
  lines.push(
    "",
    "history around the violation (> marks the events cited):",
    ...f.excerpt.map((l) => `  ${l}`),
  );
  return lines;
}

export function formatResult(r: CheckResult, reproduce: string): string {
  const head = `kafkaspec check: target ${r.target}, ${r.brokers} brokers, seed ${r.seed}, faults ${
    r.faultKinds.length > 0 ? r.faultKinds.join(",") : "none"
  }${r.seededFaults.length > 0 ? `, seeded fault ${r.seededFaults.join(",")}` : ""}`;
  const verdict = r.ok
    ? `PASS: every outcome allowed by the model and every invariant held${r.interrupted ? " (stopped by the time limit)" : ""}`
    : "FAIL";
  const lines = [
    head,
    ...(r.replayWarning !== undefined ? [`warning: ${r.replayWarning}`] : []),
    verdict,
    ...formatStats(r.stats),
  ];
  if (r.jobs !== undefined)
    lines.push(
      `jobs:        ${r.jobs.length} in parallel threads: ${r.jobs
        .map((j) => `seed ${j.seed} ${j.runs}/${j.share} runs${j.ok ? "" : " FAIL"}`)
        .join("; ")}`,
    );
  if (r.failure !== undefined) lines.push("", ...formatFailure(r.failure, reproduce));
  return lines.join("\n");
}

/** The JSON form: the result as is, the full history of the failing run included. */
export function resultJSON(r: CheckResult, reproduce: string): string {
  return JSON.stringify(r.failure === undefined ? r : { ...r, failure: { ...r.failure, reproduce } });
}
