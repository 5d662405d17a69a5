/**
 * A cluster of broker processes on a real ZooKeeper, on this machine, with the faults the suite needs:
 * kill -9 and restart from the same log dirs, SIGSTOP/SIGCONT, ZooKeeper session expiry, and network
 * partitions between brokers.
 *
 * Layout per broker N: the broker listens on a private port; a CuttableProxy in front of it is its
 * advertised listener (so peers and clients reach it only through the proxy), and a second proxy
 * carries its ZooKeeper connection (zookeeper.connect points there). A partition is a policy on
 * those proxies: the front proxy tells peers apart by the client id of their first request
 * (`broker-M-...`), and the ZooKeeper proxy is the broker's own. Everything lives in one temp dir:
 * brokers' properties files, log dirs and output.
 */
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrokerId } from "../../spec/operations.ts";
import { parseProperties } from "../broker/properties.ts";
import { KafkaZk, ZkPaths } from "../metadata/layout.ts";
import type { MetadataSession } from "../metadata/store.ts";
import { parseConnectString, ZooKeeperStore } from "../metadata/zookeeper.ts";
import { BrokerProcess } from "./broker-process.ts";
import { type Cut, mayReachBroker, mayReachZooKeeper } from "./partition-policy.ts";
import { freePort, waitForPort } from "./ports.ts";
import { CuttableProxy } from "./proxy.ts";
import {
  brokerOfClientId,
  kafkaClientId,
  type ZooKeeperSessionCredentials,
  zooKeeperConnectResponse,
} from "./wire-sniff.ts";
import { closeSessionAs } from "./zookeeper-expiry.ts";
import { startZooKeeperServer, type ZooKeeperServer } from "./zookeeper-server.ts";

export interface LocalClusterOptions {
  brokers: number;
  /**
   * Broker N's own server.properties (index N-1), e.g. the tutorial's examples/cluster/server-N.properties:
   * every setting is kept except the addresses and log dirs this cluster owns (listeners, advertised
   * listeners, log.dirs, zookeeper.connect). Without files, TEST_CLUSTER_DEFAULTS apply.
   */
  propertiesFiles?: readonly string[];
  /** Extra broker properties by Kafka's names, for every broker (over the file or the defaults). */
  properties?: Record<string, string | number | boolean>;
  /** host:port of a running ZooKeeper; one is started (and stopped with the cluster) when absent. */
  zookeeper?: string;
  /** Where brokers keep logs and properties; a fresh temp dir (removed on stop) when absent. */
  dir?: string;
  /**
   * Put the proxies in (default). Without them the brokers talk to each other and to ZooKeeper
   * directly: no partitions or session expiry, but nothing between clients and brokers (benchmarks).
   */
  proxies?: boolean;
  /** How long a start or restart waits for a broker's port. Default 30 s. */
  startTimeoutMs?: number;
  /** Seeded faults (impl/faults/catalog.ts) every broker process switches on; for tests of the suite. */
  seededFaults?: readonly string[];
}

/** Settings that keep a test cluster quick to start and quick to notice failures. */
export const TEST_CLUSTER_DEFAULTS: Readonly<Record<string, string>> = {
  "zookeeper.session.timeout.ms": "6000",
  "offsets.topic.num.partitions": "3",
  "group.initial.rebalance.delay.ms": "0",
  "replica.lag.time.max.ms": "10000",
  "auto.create.topics.enable": "false",
};

interface BrokerSlot {
  id: BrokerId;
  /** The broker's own listener (private: only its proxy connects here). */
  port: number;
  process: BrokerProcess;
  /** Null when the cluster runs without proxies (then partitions and session expiry are unavailable). */
  front: CuttableProxy | null;
  zk: CuttableProxy | null;
  /** ZooKeeper sessions this broker was handed, by session id (the proxy read them). */
  sessions: Map<string, ZooKeeperSessionCredentials>;
  lastSession: ZooKeeperSessionCredentials | null;
}

export class LocalCluster {
  private readonly slots = new Map<BrokerId, BrokerSlot>();
  private cut: Cut | null = null;
  private admin: MetadataSession | null = null;
  private adminStore: ZooKeeperStore | null = null;

  private constructor(
    readonly dir: string,
    private readonly ownsDir: boolean,
    private readonly zkServer: ZooKeeperServer | null,
    /** ZooKeeper host:port (no chroot). */
    readonly zookeeperServers: string,
    /** This cluster's chroot in ZooKeeper, e.g. /kafkaspec-3f9a. */
    readonly chroot: string,
    private readonly startTimeoutMs: number,
  ) {}

  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "kafkaspec-cluster-")));
    let zkServer: ZooKeeperServer | null;
    try {
      zkServer = options.zookeeper === undefined ? await startZooKeeperServer() : null;
    } catch (e) {
      if (options.dir === undefined) await rm(dir, { recursive: true, force: true });
      throw e;
    }
    const servers = options.zookeeper ?? zkServer!.connectString;
    const chroot = `/kafkaspec-${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
    const cluster = new LocalCluster(
      dir,
      options.dir === undefined,
      zkServer,
      servers,
      chroot,
      options.startTimeoutMs ?? 30_000,
    );
    try {
      for (let id = 1; id <= options.brokers; id++) await cluster.prepareBroker(id, options);
      for (const slot of cluster.slots.values()) slot.process.start();
      await Promise.all([...cluster.slots.values()].map((s) => cluster.waitListening(s)));
    } catch (e) {
      await cluster.stop();
      throw e;
    }
    return cluster;
  }

  get brokerIds(): BrokerId[] {
    return [...this.slots.keys()];
  }

  /** The advertised addresses (front proxies), comma-separated. */
  get bootstrap(): string {
    return [...this.slots.values()].map((s) => `127.0.0.1:${s.front?.port ?? s.port}`).join(",");
  }

  address(id: BrokerId): string {
    const s = this.slot(id);
    return `127.0.0.1:${s.front?.port ?? s.port}`;
  }

  configPath(id: BrokerId): string {
    return this.slot(id).process.configPath;
  }

  logPath(id: BrokerId): string {
    return this.slot(id).process.logPath;
  }

  pid(id: BrokerId): number | null {
    return this.slot(id).process.pid;
  }

  isAlive(id: BrokerId): boolean {
    return this.slot(id).process.alive;
  }

  private slot(id: BrokerId): BrokerSlot {
    const s = this.slots.get(id);
    if (s === undefined) throw new Error(`no broker ${id} in this cluster`);
    return s;
  }

  private async prepareBroker(id: BrokerId, options: LocalClusterOptions): Promise<void> {
    const home = join(this.dir, `broker-${id}`);
    await mkdir(home, { recursive: true });
    const port = await freePort();
    const [host, zkPort] = splitHostPort(this.zookeeperServers.split(",")[0]);
    const front = new CuttableProxy({
      upstreamHost: "127.0.0.1",
      upstreamPort: port,
      identify: (first) => {
        const clientId = kafkaClientId(first);
        if (clientId === null) return null;
        return brokerOfClientId(clientId) ?? "client";
      },
    });
    const sessions = new Map<string, ZooKeeperSessionCredentials>();
    const slotRef: { slot?: BrokerSlot } = {};
    const zk = new CuttableProxy({
      upstreamHost: host,
      upstreamPort: zkPort,
      tapUpstream: (bytes) => {
        const creds = zooKeeperConnectResponse(bytes);
        if (creds === null) return false;
        if (creds !== undefined) {
          sessions.set(creds.sessionId, creds);
          if (slotRef.slot) slotRef.slot.lastSession = creds;
        }
        return true;
      },
    });
    const proxied = options.proxies ?? true;
    const frontPort = proxied ? await front.listen() : port;
    const zkAddress = proxied ? `127.0.0.1:${await zk.listen()}` : `${host}:${zkPort}`;
    const file = options.propertiesFiles?.[id - 1];
    const base: Record<string, string> =
      file === undefined
        ? {
            "offsets.topic.replication.factor": String(Math.min(3, options.brokers)),
            "default.replication.factor": String(Math.min(3, options.brokers)),
            ...TEST_CLUSTER_DEFAULTS,
          }
        : Object.fromEntries(parseProperties(readFileSync(file, "utf8")));
    const props: Record<string, string> = {
      ...base,
      "broker.id": String(id),
      listeners: `PLAINTEXT://127.0.0.1:${port}`,
      "advertised.listeners": `PLAINTEXT://127.0.0.1:${frontPort}`,
      "log.dirs": join(home, "logs"),
      "zookeeper.connect": `${zkAddress}${this.chroot}`,
      ...Object.fromEntries(Object.entries(options.properties ?? {}).map(([k, v]) => [k, String(v)])),
    };
    const configPath = join(home, "server.properties");
    await writeFile(
      configPath,
      `# broker ${id} of a kafkaspec local cluster (impl/cluster-target)${file !== undefined ? `, from ${file}` : ""}\n${Object.entries(
        props,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")}\n`,
    );
    const slot: BrokerSlot = {
      id,
      port,
      process: new BrokerProcess(
        id,
        configPath,
        join(home, "broker.log"),
        (options.seededFaults ?? []).flatMap((f) => ["--seeded-fault", f]),
      ),
      front: proxied ? front : null,
      zk: proxied ? zk : null,
      sessions,
      lastSession: null,
    };
    slotRef.slot = slot;
    this.slots.set(id, slot);
  }

  private async waitListening(slot: BrokerSlot): Promise<void> {
    try {
      await waitForPort(slot.port, this.startTimeoutMs);
    } catch (e) {
      throw new Error(`broker ${slot.id} did not start: ${(e as Error).message}\n${this.logTail(slot.id)}`);
    }
  }

  /** The last lines broker `id` printed (its log file), for failure reports. */
  logTail(id: BrokerId, lines = 15): string {
    try {
      return readFileSync(this.slot(id).process.logPath, "utf8").split("\n").slice(-lines).join("\n");
    } catch {
      return "(no output)";
    }
  }

  /** A ZooKeeper session of the harness's own, on this cluster's chroot, never cut. */
  async metadata(): Promise<KafkaZk> {
    if (this.admin === null || this.admin.state === "expired" || this.admin.state === "closed") {
      this.adminStore ??= new ZooKeeperStore(`${this.zookeeperServers}${this.chroot}`);
      this.admin = await this.adminStore.connect({ sessionTimeoutMs: 10_000 });
    }
    return new KafkaZk(this.admin);
  }

  /** kill -9: the process group dies at once; what it had not written to disk is gone. */
  async crash(id: BrokerId): Promise<void> {
    await this.slot(id).process.kill();
  }

  /** Starts the broker again from the same properties and log dirs; resolves once it listens. */
  async restart(id: BrokerId): Promise<void> {
    const s = this.slot(id);
    if (s.process.alive) throw new Error(`broker ${id} is running`);
    s.process.start();
    await this.waitListening(s);
  }

  pause(id: BrokerId): void {
    this.slot(id).process.pause();
  }

  resume(id: BrokerId): void {
    this.slot(id).process.resume();
  }

  isolate(sides: [BrokerId[], BrokerId[]]): void {
    this.cut = { sides: [[...sides[0]], [...sides[1]]] };
    this.applyCut();
  }

  heal(): void {
    this.cut = null;
    this.applyCut();
  }

  private applyCut(): void {
    const cut = this.cut;
    for (const s of this.slots.values()) {
      if (s.front === null || s.zk === null) {
        if (cut !== null) throw new Error("this cluster runs without proxies: it cannot be partitioned");
        continue;
      }
      s.front.setPolicy((source) => mayReachBroker(cut, source, s.id));
      const reach = mayReachZooKeeper(cut, s.id);
      s.zk.setPolicy(() => reach);
    }
  }

  /**
   * Expires broker `id`'s ZooKeeper session now. The session is the ephemeralOwner of /brokers/ids/N
   * when the broker is registered, else the last one it was handed. Returns the session id expired, or
   * null when the broker never had one.
   */
  async expireSession(id: BrokerId): Promise<string | null> {
    const s = this.slot(id);
    const zk = await this.metadata();
    const stat = await zk.session.exists(ZkPaths.brokerId(id));
    const owner = stat?.ephemeralOwner ?? "";
    const creds = (owner !== "" ? s.sessions.get(owner) : undefined) ?? s.lastSession;
    if (creds === undefined || creds === null) return null;
    const proxy = s.zk;
    if (proxy === null)
      throw new Error("this cluster runs without proxies: it cannot expire a broker's session");
    const release = proxy.hold();
    try {
      proxy.severAll();
      await closeSessionAs(parseConnectString(this.zookeeperServers).servers, creds);
    } finally {
      release();
    }
    return creds.sessionId;
  }

  private stopping: Promise<void> | null = null;

  /**
   * Stops every broker (SIGTERM, or SIGKILL after a moment), the proxies, and ZooKeeper if ours.
   * Idempotent: a test's failed beforeAll and its afterAll may both call it.
   */
  stop(): Promise<void> {
    this.stopping ??= this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    this.heal();
    await Promise.all([...this.slots.values()].map((s) => s.process.stop(2_000)));
    for (const s of this.slots.values()) {
      await s.front?.close();
      await s.zk?.close();
    }
    await this.admin?.close().catch(() => {});
    await this.adminStore?.close().catch(() => {});
    await this.zkServer?.stop();
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(":");
  return [s.slice(0, i), Number(s.slice(i + 1))];
}
