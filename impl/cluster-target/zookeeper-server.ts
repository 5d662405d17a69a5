/**
 * A ZooKeeper server for a local cluster: Debian's package (/usr/share/zookeeper) started in the
 * foreground on a free loopback port with a temp data dir, in its own process group so stopping it
 * takes the JVM with it. ZOOKEEPER_CONNECT, when set, names a running server to use instead.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackChild } from "./broker-process.ts";
import { freePort, waitForPort } from "./ports.ts";
import { stopGroup } from "./process-group.ts";

export const ZK_SERVER_SCRIPT = "/usr/share/zookeeper/bin/zkServer.sh";

export interface ZooKeeperServer {
  /** host:port without chroot. */
  connectString: string;
  stop(): Promise<void>;
}

export async function startZooKeeperServer(options: { tickTimeMs?: number } = {}): Promise<ZooKeeperServer> {
  const external = process.env.ZOOKEEPER_CONNECT;
  if (external) return { connectString: external, stop: async () => {} };
  if (!existsSync(ZK_SERVER_SCRIPT))
    throw new Error(
      `ZooKeeper is not installed (${ZK_SERVER_SCRIPT}); apt-get install zookeeper, or set ZOOKEEPER_CONNECT`,
    );
  const tick = options.tickTimeMs ?? 200;
  const dir = await mkdtemp(join(tmpdir(), "kafkaspec-zk-"));
  const port = await freePort();
  const config = join(dir, "zoo.cfg");
  await writeFile(
    config,
    [
      `tickTime=${tick}`,
      `dataDir=${join(dir, "data")}`,
      `clientPort=${port}`,
      "clientPortAddress=127.0.0.1",
      "maxClientCnxns=0",
      "admin.enableServer=false",
      "4lw.commands.whitelist=ruok,srvr,cons",
      `minSessionTimeout=${2 * tick}`,
      "maxSessionTimeout=60000",
      "",
    ].join("\n"),
  );
  const log = openSync(join(dir, "zookeeper.log"), "a");
  const child: ChildProcess = spawn(ZK_SERVER_SCRIPT, ["start-foreground", config], {
    detached: true,
    stdio: ["ignore", log, log],
    env: {
      ...process.env,
      ZOO_LOG_DIR: dir,
      SERVER_JVMFLAGS: "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    },
  });
  trackChild(child);
  const stop = async () => {
    await stopGroup(child, 5_000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, 30_000);
  } catch (e) {
    await stop();
    throw new Error(`ZooKeeper did not start: ${(e as Error).message}`);
  }
  return { connectString: `127.0.0.1:${port}`, stop };
}
