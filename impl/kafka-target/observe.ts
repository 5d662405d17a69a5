/**
 * Metadata observations for targets whose brokers run as processes on ZooKeeper (the `kafka` target
 * given --zookeeper, the `cluster` target): the run's topics as the controller recorded them, read from
 * ZooKeeper by impl/metadata/zk-observation.ts, under the run's own topic names.
 */
import type { ClusterSetup, Observation } from "../../spec/adapter.ts";
import type { MetadataSession } from "../metadata/store.ts";
import { buildMetadataObservation, readMetadataSnapshot, StateChanges } from "../metadata/zk-observation.ts";
import type { Namespace } from "./naming.ts";

/** Kafka's default zookeeper.session.timeout.ms (18 s since Kafka 2.5, KIP-537). */
export const KAFKA_SESSION_TIMEOUT_MS = 18_000;
/**
 * What a live, unstalled controller may take beyond the session timeout to act on a broker's
 * disappearance: a controller failover (election, loading every topic) and the writes, on a loaded machine.
 */
export const CONTROLLER_REACTION_MARGIN_MS = 15_000;

export interface MetadataObserverOptions {
  /** The session to read with (one the harness owns, never cut by a fault). */
  session: () => Promise<MetadataSession>;
  /** The run's namespace: only its topics are observed, under their short names. */
  namespace: Namespace;
  setup: ClusterSetup;
  /** The brokers' zookeeper.session.timeout.ms. Default Kafka's, 18 s. */
  sessionTimeoutMs?: number;
  /** Broker-wide min.insync.replicas when the run's config does not set it. Default 1, Kafka's. */
  minInsyncReplicas?: number;
  /** When the run started (Date.now()): observation times count from here. */
  startedAtMs: number;
}

export class MetadataObserver {
  /** Watches the partition states between observations, on the session the snapshots read through. */
  private changes: StateChanges | null = null;

  constructor(private readonly o: MetadataObserverOptions) {}

  async observe(): Promise<Observation> {
    const ns = this.o.namespace;
    const session = await this.o.session();
    if (this.changes?.session !== session) {
      this.changes?.close();
      this.changes = new StateChanges(session);
    }
    const snap = await readMetadataSnapshot(session, {
      includeTopic: (t) => t.startsWith(ns.prefix),
      changes: this.changes,
    });
    const config = this.o.setup.config;
    const minIsr = config["min.insync.replicas"] ?? this.o.minInsyncReplicas ?? 1;
    const unclean = config["unclean.leader.election.enable"] ?? false;
    return buildMetadataObservation(snap, {
      time: Date.now() - this.o.startedAtMs,
      brokers: Array.from({ length: this.o.setup.brokers }, (_, i) => i + 1),
      topicName: (wire) => (wire.startsWith(ns.prefix) ? ns.local(wire) : null),
      defaults: {
        minInsyncReplicas: Number(minIsr),
        uncleanLeaderElection: unclean === true || unclean === "true",
      },
      reactionBoundMs: (this.o.sessionTimeoutMs ?? KAFKA_SESSION_TIMEOUT_MS) + CONTROLLER_REACTION_MARGIN_MS,
    });
  }

  /** Stops watching (the session itself belongs to whoever handed it out). */
  close(): void {
    this.changes?.close();
    this.changes = null;
  }
}
