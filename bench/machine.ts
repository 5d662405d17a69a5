/** The machine and runtimes a benchmark ran on, for its results file. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  java: string;
}

export function machineInfo(): MachineInfo {
  let java = "unknown";
  try {
    // `java -version` writes to stderr; the first line names the version.
    java = execFileSync("java", ["-version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split(
      "\n",
    )[0];
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr;
    if (typeof stderr === "string" && stderr !== "") java = stderr.split("\n")[0];
  }
  if (java === "unknown" || java === "") {
    const r = execFileSync("sh", ["-c", "java -version 2>&1 | head -1"], { encoding: "utf8" });
    java = r.trim() || "unknown";
  }
  const c = cpus();
  return {
    cpu: c[0]?.model ?? "unknown",
    cores: c.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java,
  };
}

/** Peak resident set size of a process (VmHWM), in MiB; null if it is gone. */
export function peakRssMiB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m === null ? null : Math.round(Number(m[1]) / 1024);
  } catch {
    return null;
  }
}
