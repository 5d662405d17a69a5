/**
 * The `cluster` target: our brokers as separate processes (`kafkaspec broker --config ...`) on a real
 * ZooKeeper, one fresh cluster per run (ZooKeeper, N brokers, their log dirs in a temp dir), with real
 * faults: crash = kill -9 of the broker's process group, restart = the same command on the same
 * properties and log dirs, pause/resume = SIGSTOP/SIGCONT, expireSession = the broker's ZooKeeper
 * session closed from outside with its own id and password, isolate/heal = proxies between brokers cut
 * (see local-cluster.ts). Client operations are the `kafka` target's: the same mapping of spec
 * operations to the protocol, pointed at this cluster.
 *
 * observe() offers metadata only (Capabilities.observe = "metadata"): the invariants over replicas' logs
 * and high watermarks compare them as of one instant, and separate processes can only be read one after
 * another while replication moves on, so a snapshot stitched together from several brokers would report
 * divergences that never existed. What the controller decided, though, lives in ZooKeeper and is read
 * in one consistent pass (impl/metadata/zk-observation.ts) through the harness's own session, which no
 * fault cuts: leaders, leader epochs, ISRs, controller epochs and registrations.
 *
 * Seeded faults (impl/faults) are switched on in every broker process (`kafkaspec broker --seeded-fault`),
 * so a hunt can run here too; those that live only in the simulator's drivers stay unreachable.
 */
import type { Capabilities, ClusterSetup, Observation, Target } from "../../spec/adapter.ts";
import {
  type ClientOp,
  type Fault,
  type FaultKind,
  failed,
  type Outcome,
  ok,
} from "../../spec/operations.ts";
import { createKafkaTarget, type KafkaTarget } from "../kafka-target/index.ts";
import { KAFKA_SESSION_TIMEOUT_MS, MetadataObserver } from "../kafka-target/observe.ts";
import { LocalCluster, type LocalClusterOptions, TEST_CLUSTER_DEFAULTS } from "./local-cluster.ts";

export { LocalCluster, type LocalClusterOptions, TEST_CLUSTER_DEFAULTS } from "./local-cluster.ts";

export const CLUSTER_FAULTS: readonly FaultKind[] = [
  "crash",
  "restart",
  "pause",
  "resume",
  "isolate",
  "heal",
  "expireSession",
];

export interface ClusterTargetOptions {
  /** How long an operation's request may go unanswered before it ends `unknown`. Default 5 s. */
  requestTimeoutMs?: number;
  /** Broker properties for every run, under the run's own ClusterSetup.config. */
  properties?: LocalClusterOptions["properties"];
  /** A running ZooKeeper (host:port) to use instead of starting one per run. */
  zookeeper?: string;
}

export class ClusterTarget implements Target {
  readonly name = "cluster";
  readonly capabilities: Capabilities = { faults: CLUSTER_FAULTS, observe: "metadata", virtualTime: false };
  private cluster: LocalCluster | null = null;
  private ops: KafkaTarget | null = null;
  private observer: MetadataObserver | null = null;

  constructor(private readonly options: ClusterTargetOptions = {}) {}

  /** The running cluster (for tests that look behind the target). */
  get local(): LocalCluster | null {
    return this.cluster;
  }

  async start(setup: ClusterSetup): Promise<void> {
    const properties = { ...this.options.properties, ...setup.config };
    this.cluster = await LocalCluster.start({
      brokers: setup.brokers,
      properties,
      ...(this.options.zookeeper !== undefined ? { zookeeper: this.options.zookeeper } : {}),
      ...((setup.seededFaults ?? []).length > 0 ? { seededFaults: setup.seededFaults } : {}),
    });
    this.ops = createKafkaTarget({
      bootstrap: this.cluster.bootstrap,
      requestTimeoutMs: this.options.requestTimeoutMs ?? 5_000,
    });
    try {
      await this.ops.start(setup);
    } catch (e) {
      const c = this.cluster;
      const tails = c.brokerIds.map(
        (id) => `broker ${id} (${c.isAlive(id) ? "running" : "exited"}):\n${c.logTail(id, 8)}`,
      );
      throw new Error(`${(e as Error).message}\n${tails.join("\n")}`);
    }
    const cluster = this.cluster;
    const setting = (name: string) => properties[name] ?? TEST_CLUSTER_DEFAULTS[name];
    this.observer = new MetadataObserver({
      session: async () => (await cluster.metadata()).session,
      namespace: this.ops.namespace!,
      setup,
      startedAtMs: this.ops.startedAt,
      sessionTimeoutMs: Number(setting("zookeeper.session.timeout.ms") ?? KAFKA_SESSION_TIMEOUT_MS),
      minInsyncReplicas: Number(setting("min.insync.replicas") ?? 1),
    });
  }

  execute(op: ClientOp): Promise<Outcome> {
    if (this.ops === null) return Promise.resolve(failed("NETWORK_EXCEPTION", "target not started"));
    return this.ops.execute(op);
  }

  settle(): Promise<void> {
    return this.ops?.settle() ?? Promise.resolve();
  }

  /** The metadata of this run's topics as ZooKeeper holds it (see the module comment). */
  observe(): Promise<Observation> {
    if (this.observer === null) return Promise.reject(new Error("cluster target: not started"));
    return this.observer.observe();
  }

  async inject(fault: Fault): Promise<Outcome> {
    const c = this.cluster;
    if (c === null) return failed("INVALID_REQUEST", "target not started");
    const known = (b: number) => c.brokerIds.includes(b);
    switch (fault.kind) {
      case "crash":
        if (!known(fault.broker)) return failed("BROKER_NOT_AVAILABLE");
        await c.crash(fault.broker);
        return ok({});
      case "restart":
        if (!known(fault.broker)) return failed("BROKER_NOT_AVAILABLE");
        if (c.isAlive(fault.broker)) return failed("INVALID_REQUEST", `broker ${fault.broker} is running`);
        try {
          await c.restart(fault.broker);
        } catch (e) {
          // The process was started; whether it came up is what the rest of the run shows.
          return { status: "unknown", message: (e as Error).message.slice(0, 300) };
        }
        return ok({});
      case "pause":
      case "resume":
        if (!known(fault.broker) || !c.isAlive(fault.broker)) return failed("BROKER_NOT_AVAILABLE");
        if (fault.kind === "pause") c.pause(fault.broker);
        else c.resume(fault.broker);
        return ok({});
      case "isolate":
        c.isolate(fault.sides);
        return ok({});
      case "heal":
        c.heal();
        return ok({});
      case "expireSession":
        if (!known(fault.broker)) return failed("BROKER_NOT_AVAILABLE");
        try {
          await c.expireSession(fault.broker);
        } catch (e) {
          return { status: "unknown", message: (e as Error).message.slice(0, 300) };
        }
        return ok({});
      default:
        return failed("INVALID_REQUEST", `fault ${fault.kind} is not supported by the cluster target`);
    }
  }

  async stop(): Promise<void> {
    const ops = this.ops;
    const cluster = this.cluster;
    this.ops = null;
    this.cluster = null;
    this.observer?.close();
    this.observer = null;
    await ops?.stop();
    await cluster?.stop();
  }
}

export function createClusterTarget(options: ClusterTargetOptions = {}): ClusterTarget {
  return new ClusterTarget(options);
}
