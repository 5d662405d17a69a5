/**
 * One broker as an operating-system process: `node bin/kafkaspec.mjs broker --config FILE`, in a
 * process group of its own so that kill -9, SIGSTOP and SIGCONT reach all of it, with its output
 * appended to a log file beside its log dirs. Restarting runs the same command again: same properties,
 * same log dirs, so it recovers what its disk kept.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exited, signalGroup, stopGroup, waitExit } from "./process-group.ts";
import { reapOnExit } from "./reaper.ts";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const KAFKASPEC_BIN = join(REPO_ROOT, "bin", "kafkaspec.mjs");

/**
 * Every child process group of this Node process (brokers, ZooKeeper), so that an exit leaves none
 * behind: they run detached (their own groups), so nothing else would stop them.
 */
const live = new Set<ChildProcess>();
let exitHooksInstalled = false;

function killAll(): void {
  for (const c of live) signalGroup(c, "SIGKILL");
}

/** On SIGINT/SIGTERM: stop the children, then let the signal do what it would have done. */
function onSignal(signal: NodeJS.Signals): void {
  killAll();
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

export function trackChild(child: ChildProcess): void {
  live.add(child);
  // Exit hooks do not run when this process is killed outright; the reaper covers that case.
  reapOnExit(child);
  child.once("exit", () => live.delete(child));
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.once("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => onSignal(sig));
}

export class BrokerProcess {
  private child: ChildProcess | null = null;
  private stopped = false;

  constructor(
    readonly brokerId: number,
    readonly configPath: string,
    readonly logPath: string,
    /** More arguments for `kafkaspec broker` (e.g. --seeded-fault NAME). */
    readonly extraArgs: readonly string[] = [],
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Whether the process exists (running or paused). */
  get alive(): boolean {
    return this.child !== null && !exited(this.child);
  }

  get paused(): boolean {
    return this.stopped && this.alive;
  }

  start(): void {
    if (this.alive) throw new Error(`broker ${this.brokerId} is already running (pid ${this.pid})`);
    const out = openSync(this.logPath, "a");
    try {
      const child = spawn(
        process.execPath,
        [KAFKASPEC_BIN, "broker", "--config", this.configPath, ...this.extraArgs],
        {
          detached: true,
          stdio: ["ignore", out, out],
          cwd: REPO_ROOT,
        },
      );
      trackChild(child);
      this.child = child;
      this.stopped = false;
    } finally {
      closeSync(out);
    }
  }

  /** kill -9 of the whole group; resolves once the process is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === null || exited(child)) return;
    signalGroup(child, "SIGKILL");
    await waitExit(child);
    this.stopped = false;
  }

  pause(): void {
    if (this.child !== null && signalGroup(this.child, "SIGSTOP")) this.stopped = true;
  }

  resume(): void {
    if (this.child !== null && signalGroup(this.child, "SIGCONT")) this.stopped = false;
  }

  /** Graceful: SIGTERM (the broker flushes and closes its logs), SIGKILL after graceMs. */
  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (child === null) return;
    await stopGroup(child, graceMs);
    this.stopped = false;
  }
}
