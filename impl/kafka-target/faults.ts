/**
 * Faults on a real cluster through a fault script: an executable called as `SCRIPT ACTION BROKER_ID`
 * with ACTION one of crash, restart, pause, resume (tools/apache-kafka/fault.sh is one for Apache Kafka
 * processes started by tools/apache-kafka/start.sh). Exit status 0 means done; anything else means the
 * fault was not applied, and its stderr says why.
 */
import { execFile } from "node:child_process";
import type { FaultKind } from "../../spec/operations.ts";

export const SCRIPT_FAULTS: readonly FaultKind[] = ["crash", "restart", "pause", "resume"];
export type ScriptFault = "crash" | "restart" | "pause" | "resume";

export interface ScriptResult {
  ok: boolean;
  /** stderr (or the spawn error) when not ok. */
  message: string;
}

export function runFaultScript(
  script: string,
  action: ScriptFault,
  broker: number,
  timeoutMs = 120_000,
): Promise<ScriptResult> {
  return new Promise((resolve) => {
    execFile(script, [action, String(broker)], { timeout: timeoutMs }, (error, _stdout, stderr) => {
      if (error === null) resolve({ ok: true, message: "" });
      else resolve({ ok: false, message: (stderr.trim() || error.message).slice(0, 500) });
    });
  });
}
