/** Signals to a child's whole process group (spawned with detached: true, so its pid is the group id). */
import type { ChildProcess } from "node:child_process";

export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  if (child.pid === undefined) return false;
  try {
    process.kill(-child.pid, signal);
    return true;
  } catch {
    return false;
  }
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Resolves when the child has exited (at once if it already has). */
export function waitExit(child: ChildProcess): Promise<void> {
  if (exited(child)) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** SIGTERM to the group, SIGKILL if it is still there after graceMs; a stopped group is continued first. */
export async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  if (exited(child)) return;
  signalGroup(child, "SIGCONT");
  signalGroup(child, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), graceMs);
  await waitExit(child);
  clearTimeout(timer);
  signalGroup(child, "SIGKILL");
}
