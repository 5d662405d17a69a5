/**
 * Helpers for interop tests: run real Kafka clients (kafka-python scripts from examples/, kafkajs, kcat)
 * as separate processes against a running cluster and collect the JSON lines they print.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createConnection } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const EXAMPLES = join(ROOT, "examples");

export interface Line {
  event: string;
  [field: string]: unknown;
}

export interface RunResult {
  code: number | null;
  lines: Line[];
  stdout: string;
  stderr: string;
}

/** A Python that has kafka-python: pyenv's (pip install kafka-python Faker) or Debian's python3-kafka. */
export const PYTHON = process.env.KAFKASPEC_PYTHON ?? "python3";

export function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  options: { timeoutMs?: number; cwd?: string; input?: string } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const lines = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Line);
      resolvePromise({ code, lines, stdout, stderr });
    });
    // A child that exits (or is killed) before reading its input closes the pipe: EPIPE here is that, not a failure.
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

export function python(script: string, env: Record<string, string>, timeoutMs?: number): Promise<RunResult> {
  return run(PYTHON, [join(EXAMPLES, "python", script)], env, { timeoutMs, cwd: join(EXAMPLES, "python") });
}

export function kafkajs(script: string, env: Record<string, string>, timeoutMs?: number): Promise<RunResult> {
  return run(process.execPath, [join(EXAMPLES, "kafkajs", script)], env, { timeoutMs });
}

export function waitForPort(port: number, host = "127.0.0.1", timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolvePromise, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host });
      socket.once("connect", () => {
        socket.destroy();
        resolvePromise();
      });
      socket.once("error", () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing listens on ${host}:${port}`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Starts `kafkaspec cluster` as a child process and waits until every broker's port answers. */
export async function startCluster(options: {
  brokers: number;
  port: number;
  dataDir?: string;
  /** Broker properties by Kafka's names, passed as `--override key=value`. */
  properties?: Record<string, string>;
  extra?: string[];
}): Promise<ClusterProcess> {
  if (EXTERNAL !== undefined && options.dataDir === undefined)
    return { process: null, bootstrap: EXTERNAL, dataDir: "", stop: async () => {}, log: () => "" };
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kafkaspec-interop-"));
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/kafkaspec.mjs"),
      "cluster",
      "--brokers",
      String(options.brokers),
      "--port",
      String(options.port),
      "--data-dir",
      dataDir,
      ...Object.entries({ ...TEST_PROPERTIES, ...options.properties }).flatMap(([k, v]) => [
        "--override",
        `${k}=${v}`,
      ]),
      ...(options.extra ?? []),
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  try {
    for (let i = 0; i < options.brokers; i++) await waitForPort(options.port + i);
  } catch (e) {
    child.kill("SIGKILL");
    throw new Error(`cluster did not start: ${(e as Error).message}\n${log}`);
  }
  const stop = () =>
    new Promise<void>((resolvePromise) => {
      if (child.exitCode !== null) return resolvePromise();
      child.once("exit", () => resolvePromise());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
    });
  return { process: child, bootstrap: `127.0.0.1:${options.port}`, dataDir, stop, log: () => log };
}

/** Groups form at once in tests (Kafka waits 3 s for more members by default). */
export const TEST_PROPERTIES: Record<string, string> = { "group.initial.rebalance.delay.ms": "0" };

/**
 * INTEROP_BOOTSTRAP=host:port runs the tests against a cluster already running there (Apache Kafka:
 * tools/apache-kafka/start.sh) instead of starting `kafkaspec cluster`; topics and groups then get a
 * per-run suffix (`named`), and tests that need to stop the cluster or read its log are skipped.
 */
export const EXTERNAL = process.env.INTEROP_BOOTSTRAP || undefined;
const RUN_SUFFIX = EXTERNAL ? `-${Date.now().toString(36)}` : "";

/** A topic or group name, unique per run when the cluster outlives the run (INTEROP_BOOTSTRAP). */
export function named(base: string): string {
  return `${base}${RUN_SUFFIX}`;
}

export interface ClusterProcess {
  /** The `kafkaspec cluster` process; null for an external cluster (INTEROP_BOOTSTRAP). */
  process: ChildProcess | null;
  bootstrap: string;
  dataDir: string;
  stop: () => Promise<void>;
  /** Everything the cluster process printed so far (stdout and stderr). */
  log: () => string;
}

/** A client process left running (a group member): its JSON lines as they arrive, and a way to stop it. */
export interface LiveProcess {
  lines: Line[];
  output: () => string;
  exited: Promise<number | null>;
  /** Resolves once a line matching `predicate` arrived (rejects after `timeoutMs`, with the output). */
  waitFor: (predicate: (line: Line) => boolean, timeoutMs?: number) => Promise<Line>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

export function spawnLive(
  command: string,
  args: string[],
  env: Record<string, string>,
  cwd = ROOT,
): LiveProcess {
  const child = spawn(command, args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Line[] = [];
  const waiters: { predicate: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  let out = "";
  let partial = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
    partial += d.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const raw of parts) {
      if (!raw.startsWith("{")) continue;
      const line = JSON.parse(raw) as Line;
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.predicate(line)) w.resolve(line);
        else waiters.push(w);
      }
    }
  });
  child.stderr.on("data", (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((res) => child.on("close", (code) => res(code)));
  return {
    lines,
    output: () => out,
    exited,
    waitFor(predicate, timeoutMs = 30_000) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((res, rej) => {
        const timer = setTimeout(
          () => rej(new Error(`no such line within ${timeoutMs} ms; output:\n${out}`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (l) => {
            clearTimeout(timer);
            res(l);
          },
        });
      });
    },
    stop(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      return exited.finally(() => clearTimeout(kill));
    },
  };
}

/** Apache Kafka's client jars (3.9.1): KAFKA_LIBS, else where tools/apache-kafka/start.sh caches them. Java tests skip when absent. */
export const KAFKA_LIBS = process.env.KAFKA_LIBS ?? join(homedir(), ".cache/kafkaspec/apache-kafka-libs");

/** Every `(partition, offset)` of lines as `p@o`, sorted: where records were written or read. */
export function placements(lines: Line[]): string[] {
  return lines.map((l) => `${String(l.partition)}@${String(l.offset)}`).sort();
}

/** True when, per partition, the lines' offsets strictly increase in the order they were printed. */
export function inOffsetOrder(lines: Line[]): boolean {
  const last = new Map<unknown, number>();
  for (const l of lines) {
    const o = Number(l.offset);
    if ((last.get(l.partition) ?? -1) >= o) return false;
    last.set(l.partition, o);
  }
  return true;
}

/** A base port with `count` consecutive free ports after it (bound and released to check). */
export async function freePortRange(count: number, attempts = 50): Promise<number> {
  const { createServer } = await import("node:net");
  const tryBind = (port: number) =>
    new Promise<boolean>((res) => {
      const s = createServer();
      s.once("error", () => res(false));
      s.listen({ port, host: "127.0.0.1" }, () => s.close(() => res(true)));
    });
  for (let i = 0; i < attempts; i++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await tryBind(p);
    if (ok) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

/** Runs kcat with the given arguments (stdin from `input`). */
export function kcat(args: string[], input = "", timeoutMs = 30_000): Promise<RunResult> {
  return run("kcat", args, {}, { timeoutMs, input });
}
