/**
 * The `kafka` target: any Kafka-protocol cluster by bootstrap address (Apache Kafka, Redpanda, our own
 * `kafkaspec cluster`), checked black-box through the thin client. Each logical client of the workload
 * (p1, c2, ...) is a client of its own with its own connections, as separate Kafka clients are: Kafka
 * answers one connection's requests in order, so a JoinGroup the coordinator holds must not hold another
 * member's requests. Faults come from a fault script when one is given (crash, restart, pause, resume);
 * without one the target advertises none. Given the cluster's ZooKeeper (`zookeeper`), it also offers
 * metadata observations (observe.ts): the controller, registrations, leaders, epochs and ISRs of the run's
 * topics, so the metadata state invariants run against any ZooKeeper-mode Kafka.
 */

import { newPartitionerState } from "../../model/partitioners.ts";
import { Prng } from "../../model/prng.ts";
import type { Capabilities, ClusterSetup, Observation, Target } from "../../spec/adapter.ts";
import {
  type ClientOp,
  type Fault,
  type FaultKind,
  failed,
  type Outcome,
  ok,
} from "../../spec/operations.ts";
import { KafkaClient } from "../client/client.ts";
import type { MetadataSession } from "../metadata/store.ts";
import { ZooKeeperStore } from "../metadata/zookeeper.ts";
import { runFaultScript, SCRIPT_FAULTS } from "./faults.ts";
import { Namespace, runNamespace } from "./naming.ts";
import { MetadataObserver } from "./observe.ts";
import { ADMIN, type RunContext, runOperation } from "./operations.ts";

export interface KafkaTargetOptions {
  /** host:port of any broker of the cluster (comma-separated for several). */
  bootstrap: string;
  /** An executable called as `SCRIPT crash|restart|pause|resume BROKER_ID`; enables those faults. */
  faultScript?: string;
  /** How long an operation's request may go unanswered. Default 10 s. */
  requestTimeoutMs?: number;
  /** How long `start` waits for the cluster to be ready (brokers registered, coordinators loaded). */
  readyTimeoutMs?: number;
  /**
   * How long `settle` waits for a JoinGroup or SyncGroup before taking it as held by the coordinator
   * (waiting for the rest of the group); other operations are always waited for. Default 200 ms.
   */
  holdGraceMs?: number;
  /**
   * The cluster's zookeeper.connect (host:port[,host:port][/chroot]): enables metadata observations
   * (Capabilities.observe = "metadata"), read through a session of the target's own.
   */
  zookeeper?: string;
  /** The brokers' zookeeper.session.timeout.ms, for the leader-registered bound. Default Kafka's 18 s. */
  zookeeperSessionTimeoutMs?: number;
  /** The brokers' min.insync.replicas when the run's config does not say. Default Kafka's 1. */
  minInsyncReplicas?: number;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const DEFAULT_HOLD_GRACE_MS = 200;
const OFFSETS_TOPIC = "__consumer_offsets";

interface InFlight {
  done: Promise<unknown>;
  settled: boolean;
  /** May be held by the coordinator on purpose. */
  holdable: boolean;
  startedAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class KafkaTarget implements Target {
  readonly name = "kafka";
  readonly capabilities: Capabilities;
  private readonly clients = new Map<string, KafkaClient>();
  private readonly inflight = new Set<InFlight>();
  private ctx: RunContext | null = null;
  private readonly down = new Set<number>();
  private readonly paused = new Set<number>();
  /** Fault scripts still running: `stop` waits for them before it restores the brokers. */
  private readonly injecting = new Set<Promise<unknown>>();
  private readonly requestTimeoutMs: number;
  private startedAtMs = Date.now();
  private zookeeper: { store: ZooKeeperStore; session: MetadataSession | null } | null = null;
  private observer: MetadataObserver | null = null;

  constructor(private readonly options: KafkaTargetOptions) {
    const faults: readonly FaultKind[] = options.faultScript !== undefined ? SCRIPT_FAULTS : [];
    const observe = options.zookeeper !== undefined ? ("metadata" as const) : false;
    this.capabilities = { faults, observe, virtualTime: false };
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /** The run's namespace on the cluster (its topics and groups); null before `start`. */
  get namespace(): Namespace | null {
    return this.ctx?.ns ?? null;
  }

  /** When `start` began (Date.now()): observation times count from here. */
  get startedAt(): number {
    return this.startedAtMs;
  }

  /** The controller, registrations, leaders, epochs and ISRs of this run's topics, from ZooKeeper. */
  observe(): Promise<Observation> {
    if (this.observer === null) return Promise.reject(new Error("kafka target: observe() needs zookeeper"));
    return this.observer.observe();
  }

  /** The target's own ZooKeeper session, opened on first use and again after it expired. */
  private async zookeeperSession(): Promise<MetadataSession> {
    const zk = this.zookeeper;
    if (zk === null) throw new Error("kafka target: no zookeeper given");
    if (zk.session === null || zk.session.state === "expired" || zk.session.state === "closed")
      zk.session = await zk.store.connect({ sessionTimeoutMs: 30_000 });
    return zk.session;
  }

  private client(name: string): KafkaClient {
    let c = this.clients.get(name);
    if (c === undefined) {
      c = new KafkaClient({
        bootstrap: this.options.bootstrap.split(",").map((s) => s.trim()),
        clientId: `kafkaspec-${name}`,
        requestTimeoutMs: this.requestTimeoutMs,
        lookupTimeoutMs: Math.min(3_000, this.requestTimeoutMs),
      });
      this.clients.set(name, c);
    }
    return c;
  }

  async start(setup: ClusterSetup): Promise<void> {
    this.startedAtMs = Date.now();
    const prng = new Prng(setup.seed);
    this.ctx = {
      ns: new Namespace(runNamespace(setup.seed)),
      client: (n) => this.client(n),
      partitioner: newPartitionerState(),
      pick: (n) => prng.int(n),
      memberIds: new Map(),
      rebalanceTimeouts: new Map(),
      producers: new Map(),
      generatedGroups: 0,
    };
    if (this.options.zookeeper !== undefined) {
      this.zookeeper = { store: new ZooKeeperStore(this.options.zookeeper), session: null };
      const observer: ConstructorParameters<typeof MetadataObserver>[0] = {
        session: () => this.zookeeperSession(),
        namespace: this.ctx.ns,
        setup,
        startedAtMs: this.startedAtMs,
      };
      if (this.options.zookeeperSessionTimeoutMs !== undefined)
        observer.sessionTimeoutMs = this.options.zookeeperSessionTimeoutMs;
      if (this.options.minInsyncReplicas !== undefined)
        observer.minInsyncReplicas = this.options.minInsyncReplicas;
      this.observer = new MetadataObserver(observer);
    }
    await this.waitReady(setup.brokers, this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  }

  /**
   * Setup, not part of the run: every broker registered, the group coordinators' topic led everywhere,
   * and producer ids handed out. A fresh Kafka answers COORDINATOR_NOT_AVAILABLE and
   * COORDINATOR_LOAD_IN_PROGRESS for a while; a run must not start inside that window.
   */
  private async waitReady(brokers: number, timeoutMs: number): Promise<void> {
    const admin = this.client(ADMIN);
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
      const md = await admin.metadata([OFFSETS_TOPIC]);
      if (!md.ok) last = `metadata: ${md.error} ${md.message ?? ""}`;
      else if (md.value.brokers.length < brokers)
        last = `${md.value.brokers.length} of ${brokers} brokers registered`;
      else {
        const offsets = md.value.topics.find((t) => t.name === OFFSETS_TOPIC);
        const led =
          offsets !== undefined &&
          offsets.error === null &&
          offsets.partitions.length > 0 &&
          offsets.partitions.every((p) => p.leader >= 0);
        const coordinator = await admin.findCoordinator(`kafkaspec-probe-${Date.now()}`);
        const pid = led && coordinator.ok ? await admin.initProducerId() : null;
        if (led && coordinator.ok && pid?.ok) return;
        last = !led
          ? `${OFFSETS_TOPIC} not led yet`
          : !coordinator.ok
            ? `FindCoordinator: ${coordinator.error}`
            : `InitProducerId: ${pid && !pid.ok ? pid.error : "?"}`;
      }
      await sleep(250);
    }
    throw new Error(
      `kafka target: cluster at ${this.options.bootstrap} not ready after ${timeoutMs} ms (${last})`,
    );
  }

  execute(op: ClientOp): Promise<Outcome> {
    const ctx = this.ctx;
    if (ctx === null) return Promise.resolve(failed("NETWORK_EXCEPTION", "target not started"));
    const run = runOperation(ctx, op);
    const entry: InFlight = {
      done: run,
      settled: false,
      holdable: op.kind === "joinGroup" || op.kind === "syncGroup",
      startedAt: Date.now(),
    };
    this.inflight.add(entry);
    void run.finally(() => {
      entry.settled = true;
      this.inflight.delete(entry);
    });
    return run;
  }

  async inject(fault: Fault): Promise<Outcome> {
    const script = this.options.faultScript;
    if (script === undefined || !SCRIPT_FAULTS.includes(fault.kind))
      return failed("INVALID_REQUEST", `fault ${fault.kind} is not supported by the kafka target`);
    const f = fault as Extract<Fault, { kind: "crash" | "restart" | "pause" | "resume" }>;
    // The broker bookkeeping happens inside the tracked promise, so `stop` sees it once the script is done.
    const running = runFaultScript(script, f.kind, f.broker).then((r) => {
      if (!r.ok) return r;
      if (f.kind === "crash") {
        this.down.add(f.broker);
        this.paused.delete(f.broker);
      } else if (f.kind === "restart") this.down.delete(f.broker);
      else if (f.kind === "pause") this.paused.add(f.broker);
      else this.paused.delete(f.broker);
      return r;
    });
    this.injecting.add(running);
    const r = await running.finally(() => this.injecting.delete(running));
    if (!r.ok) return failed("INVALID_REQUEST", `${script} ${f.kind} ${f.broker}: ${r.message}`);
    return ok({});
  }

  /**
   * Waits for every operation in flight, except a JoinGroup or SyncGroup the coordinator is holding
   * (still pending after the hold grace): those settle when the rest of the group acts, or time out.
   */
  async settle(): Promise<void> {
    const grace = this.options.holdGraceMs ?? DEFAULT_HOLD_GRACE_MS;
    for (;;) {
      const now = Date.now();
      const waiting = [...this.inflight].filter(
        (e) => !e.settled && (!e.holdable || now - e.startedAt < grace),
      );
      if (waiting.length === 0) return;
      const nextGrace = Math.min(
        ...waiting.filter((e) => e.holdable).map((e) => e.startedAt + grace - now),
        Number.POSITIVE_INFINITY,
      );
      const wait: Array<Promise<unknown>> = waiting
        .filter((e) => !e.holdable)
        .map((e) => e.done.catch(() => undefined));
      if (Number.isFinite(nextGrace)) wait.push(sleep(Math.max(1, nextGrace)));
      await Promise.race(wait);
    }
  }

  /** Closes every client (operations still waiting end unknown) and brings crashed or paused brokers back. */
  async stop(): Promise<void> {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    const zk = this.zookeeper;
    this.zookeeper = null;
    this.observer?.close();
    this.observer = null;
    await zk?.store.close().catch(() => {});
    const script = this.options.faultScript;
    if (script === undefined) return;
    await Promise.all(this.injecting);
    // The cluster outlives the run: the next run must find every broker up, as the model assumes.
    for (const b of [...this.paused])
      if ((await runFaultScript(script, "resume", b)).ok) this.paused.delete(b);
    for (const b of [...this.down]) if ((await runFaultScript(script, "restart", b)).ok) this.down.delete(b);
  }
}

export function createKafkaTarget(options: KafkaTargetOptions): KafkaTarget {
  return new KafkaTarget(options);
}
