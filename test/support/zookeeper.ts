/**
 * A real ZooKeeper for tests: Debian's package started in the foreground on a free port in a temp
 * data dir, in its own process group so stopping it takes the JVM with it. If ZOOKEEPER_CONNECT is
 * set, that server is used instead and nothing is started.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ZK_SERVER_SCRIPT = "/usr/share/zookeeper/bin/zkServer.sh";

export interface ZooKeeperServer {
  /** host:port, no chroot. */
  connectString: string;
  /** True when this process started the server (false for ZOOKEEPER_CONNECT). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** ZooKeeper's tick: sessions may be 2 to 20 ticks long unless min/maxSessionTimeout say otherwise. */
  tickTimeMs?: number;
  startTimeoutMs?: number;
  /** The server script; Debian's by default. */
  serverScript?: string;
}

/** The server the tests should use: ZOOKEEPER_CONNECT if set, else a fresh local one. */
export async function zookeeperForTests(options: StartOptions = {}): Promise<ZooKeeperServer> {
  const external = process.env.ZOOKEEPER_CONNECT;
  if (external) return { connectString: external, owned: false, stop: async () => {} };
  return startZooKeeper(options);
}

export async function startZooKeeper(options: StartOptions = {}): Promise<ZooKeeperServer> {
  const script = options.serverScript ?? ZK_SERVER_SCRIPT;
  if (!existsSync(script)) {
    throw new Error(
      `ZooKeeper is not installed (${script} is missing): install Debian's package ` +
        "(apt-get install zookeeper) or set ZOOKEEPER_CONNECT=host:port to use a running server",
    );
  }
  const tickTimeMs = options.tickTimeMs ?? 200;
  const dir = await mkdtemp(join(tmpdir(), "kafkaspec-zk-"));
  const port = await freePort();
  const config = join(dir, "zoo.cfg");
  await writeFile(
    config,
    [
      `tickTime=${tickTimeMs}`,
      `dataDir=${join(dir, "data")}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "maxClientCnxns=0",
      "admin.enableServer=false",
      "4lw.commands.whitelist=ruok,srvr",
      // Let tests ask for short sessions and Kafka's long ones alike.
      `minSessionTimeout=${2 * tickTimeMs}`,
      "maxSessionTimeout=60000",
      "",
    ].join("\n"),
  );
  const logPath = join(dir, "zookeeper.log");
  const log = openSync(logPath, "a");
  const child = spawn(script, ["start-foreground", config], {
    detached: true,
    stdio: ["ignore", log, log],
    // A small heap and a quick JIT: a test server holds a few hundred znodes and lives for seconds.
    env: {
      ...process.env,
      ZOO_LOG_DIR: dir,
      SERVER_JVMFLAGS: "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto",
    },
  });
  const stop = () => stopProcessGroup(child).then(() => rm(dir, { recursive: true, force: true }));
  try {
    await waitUntilServing(port, child, options.startTimeoutMs ?? 30_000);
  } catch (err) {
    const tail = readFileSync(logPath, "utf8").split("\n").slice(-20).join("\n");
    await stop();
    throw new Error(`ZooKeeper did not start: ${(err as Error).message}\n${tail}`);
  }
  return { connectString: `127.0.0.1:${port}`, owned: true, stop };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends ZooKeeper's "ruok" four-letter word; true when it answers "imok". */
export function ruok(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ port, host });
    let reply = "";
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on("connect", () => socket.write("ruok"));
    socket.on("data", (d) => {
      reply += d.toString();
    });
    socket.on("close", () => resolve(reply === "imok"));
    socket.on("error", () => resolve(false));
  });
}

async function waitUntilServing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`zkServer.sh exited (${child.exitCode ?? child.signalCode})`);
    }
    if (await ruok(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no answer on port ${port} within ${timeoutMs} ms`);
}

/** SIGTERM to the whole group (the script and its JVM), SIGKILL if it lingers. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // Already gone.
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  // The JVM may outlive the script by a moment; make sure the group is gone.
  signal("SIGKILL");
}
