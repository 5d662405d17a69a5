/**
 * The last guard against leaked brokers and ZooKeepers. They run detached (process groups of their
 * own, so kill -9 reaches a whole broker), which also means nothing stops them when this process dies
 * without running its exit hooks: a test worker killed by its runner, a SIGKILL. The reaper is a
 * small child process holding the read end of a pipe from us; we tell it each process group we start
 * and each that ends. When the pipe closes (the kernel closes it however we die) it kills every group
 * still listed, then exits.
 */
import { type ChildProcess, spawn } from "node:child_process";

/** The reaper's whole program: "+PID" / "-PID" lines on stdin; SIGKILL to every listed group at EOF. */
const REAPER_PROGRAM = `
const groups = new Set();
let pending = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  pending += chunk;
  let i;
  while ((i = pending.indexOf("\\n")) >= 0) {
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    const pid = Number(line.slice(1));
    if (!Number.isInteger(pid) || pid <= 0) continue;
    if (line[0] === "+") groups.add(pid);
    else groups.delete(pid);
  }
});
process.stdin.on("close", () => {
  for (const g of groups) {
    try { process.kill(-g, "SIGCONT"); process.kill(-g, "SIGKILL"); } catch {}
  }
  process.exit(0);
});
`;

let reaper: ChildProcess | null = null;

function ensureReaper(): ChildProcess | null {
  if (reaper !== null && reaper.exitCode === null && reaper.signalCode === null) return reaper;
  try {
    // Its own group: a Ctrl-C to ours must not take the reaper down before it has reaped.
    const child = spawn(process.execPath, ["-e", REAPER_PROGRAM], {
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
    });
    child.on("error", () => {});
    child.stdin?.on("error", () => {});
    // Neither the reaper nor its pipe keeps this process alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    reaper = child;
    return child;
  } catch {
    return null;
  }
}

/** Puts a detached child's process group (its pid) in the reaper's list until the child exits. */
export function reapOnExit(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  const r = ensureReaper();
  r?.stdin?.write(`+${pid}\n`);
  child.once("exit", () => {
    if (r !== null && r === reaper && r.stdin?.writable) r.stdin.write(`-${pid}\n`);
  });
}

/** The reaper's pid (tests check it is there and does its job). */
export function reaperPid(): number | null {
  return reaper?.pid ?? null;
}
