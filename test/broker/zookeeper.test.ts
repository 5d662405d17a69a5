/**
 * `kafkaspec broker` as separate processes with a real ZooKeeper, started from the tutorial's
 * examples/cluster/server-N.properties (ports, log dirs and zookeeper.connect overridden for the test):
 * one listening line each, three brokers in kcat's metadata, replication between processes, a
 * SIGKILLed broker that comes back with its log recovered, and a clean exit on SIGTERM.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { freePortRange, kcat, ROOT } from "../interop/support.ts";
import { type ZooKeeperServer, zookeeperForTests } from "../support/zookeeper.ts";

let zk: ZooKeeperServer;
let dir: string;
let base: number;
const procs = new Map<number, { child: ChildProcess; output: () => string }>();

function startBroker(id: number): Promise<string> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, "bin/kafkaspec.mjs"),
      "broker",
      "--config",
      join(ROOT, `examples/cluster/server-${id}.properties`),
      "--override",
      `listeners=PLAINTEXT://127.0.0.1:${base + id - 1}`,
      "--override",
      `advertised.listeners=PLAINTEXT://127.0.0.1:${base + id - 1}`,
      "--override",
      `log.dirs=${join(dir, `broker-${id}`)}`,
      "--override",
      `zookeeper.connect=${zk.connectString}/kafkaspec-test`,
      "--override",
      "zookeeper.session.timeout.ms=3000",
      "--override",
      "offsets.topic.num.partitions=3",
    ],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  procs.set(id, { child, output: () => out });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker ${id} did not start:\n${out}`)), 30_000);
    const check = () => {
      const line = out.split("\n").find((l) => l.startsWith(`broker ${id} listening`));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    };
    child.stdout?.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`broker ${id} exited with ${code}:\n${out}`));
    });
  });
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

beforeAll(async () => {
  zk = await zookeeperForTests();
  dir = mkdtempSync(join(tmpdir(), "kafkaspec-zk-brokers-"));
  base = await freePortRange(3);
});

afterAll(async () => {
  for (const { child } of procs.values()) if (child.exitCode === null) child.kill("SIGKILL");
  await zk?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const bootstrap = () => [1, 2, 3].map((id) => `127.0.0.1:${base + id - 1}`).join(",");

async function metadataUntil(pattern: RegExp, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    const r = await kcat(["-b", bootstrap(), "-L"], "", 10_000);
    last = r.stdout;
    if (pattern.test(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`metadata never matched ${pattern}:\n${last}`);
}

it("runs the tutorial's three ZooKeeper brokers as processes, survives kill -9 of one, and stops on SIGTERM", async () => {
  const lines = await Promise.all([1, 2, 3].map(startBroker));
  for (const [i, l] of lines.entries()) expect(l).toContain(`127.0.0.1:${base + i}`);
  await metadataUntil(/ 3 brokers:/);

  const values = Array.from({ length: 50 }, (_, i) => `z${i}`);
  const p = await kcat(
    ["-b", bootstrap(), "-P", "-t", "zk-topic", "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
  expect(p.code, p.stderr).toBe(0);
  const md = await metadataUntil(/zk-topic.*\n.*isrs: \d,\d,\d/);
  const leader = Number(/partition 0, leader (\d)/.exec(md.slice(md.indexOf("zk-topic")))?.[1]);

  // kill -9 the leader: its ZooKeeper session expires, another replica takes over.
  procs.get(leader)?.child.kill("SIGKILL");
  await exitOf(procs.get(leader)!.child);
  await metadataUntil(new RegExp(`zk-topic[^]*partition 0, leader (?!${leader})\\d`));
  const c = await kcat(["-b", bootstrap(), "-C", "-t", "zk-topic", "-o", "beginning", "-e", "-f", "%s\\n"]);
  expect(c.stdout.trim().split("\n")).toEqual(values);

  // Back from its own disk: it registers once the old session is gone and rejoins the ISR.
  await startBroker(leader);
  await metadataUntil(/zk-topic.*\n.*isrs: \d,\d,\d/, 30_000);

  for (const id of [1, 2, 3]) procs.get(id)?.child.kill("SIGTERM");
  const codes = await Promise.all([1, 2, 3].map((id) => exitOf(procs.get(id)!.child)));
  expect(codes).toEqual([0, 0, 0]);
});
