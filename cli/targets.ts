/**
 * The targets `kafkaspec check --target NAME` knows: name -> how to build one. Each entry loads its
 * implementation lazily, so `kafkaspec help` does not load the model or the brokers. Adding a target is
 * one entry here.
 */
import type { Target } from "../spec/adapter.ts";

export interface TargetOptions {
  brokers: number;
  /** host:port of a running cluster (the `cluster` and `kafka` targets). */
  bootstrap?: string;
  /** The `kafka` target's fault script: `SCRIPT crash|restart|pause|resume BROKER_ID`. */
  faultScript?: string;
  /** The `kafka` target's ZooKeeper (zookeeper.connect): enables metadata observations. */
  zookeeper?: string;
}

export interface TargetEntry {
  description: string;
  /** Whether the target needs --bootstrap. */
  needsBootstrap?: boolean;
  /** Load the implementation and return a factory of fresh, unstarted targets (one per run). */
  load(options: TargetOptions): Promise<() => Target>;
}

export const TARGETS: Readonly<Record<string, TargetEntry>> = {
  model: {
    description: "the reference model itself (ClusterModel): checks the suite, and is the fastest target",
    load: async () => {
      const { ClusterModel } = await import("../model/index.ts");
      return () => new ClusterModel();
    },
  },
  embedded: {
    description: "our brokers in one process under the deterministic simulator (impl/embedded)",
    load: async () => {
      const { createEmbeddedTarget } = await import("../impl/embedded/index.ts");
      return () => createEmbeddedTarget();
    },
  },
  cluster: {
    description:
      "our brokers as processes on a real ZooKeeper, with kill -9, pause, session and partition faults",
    load: async () => {
      const { createClusterTarget } = await import("../impl/cluster-target/index.ts");
      return () => createClusterTarget();
    },
  },
  kafka: {
    description:
      "any Kafka-protocol cluster at --bootstrap HOST:PORT; faults through --fault-script (impl/kafka-target)",
    needsBootstrap: true,
    load: async (o) => {
      const { createKafkaTarget } = await import("../impl/kafka-target/index.ts");
      const bootstrap = o.bootstrap ?? "127.0.0.1:9092";
      return () =>
        createKafkaTarget({
          bootstrap,
          ...(o.faultScript ? { faultScript: o.faultScript } : {}),
          ...(o.zookeeper ? { zookeeper: o.zookeeper } : {}),
        });
    },
  },
};

/** Targets the design names that may not be registered yet; asking for one says so instead of "unknown". */
export const PLANNED_TARGETS = ["model", "embedded", "cluster", "kafka"] as const;

/** Our brokers in the simulator once they exist; the model until then. */
export const DEFAULT_TARGET: string = "embedded" in TARGETS ? "embedded" : "model";
