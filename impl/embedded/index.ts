/**
 * The `embedded` target: our brokers inside the deterministic simulator, checked like any other Kafka.
 * Every spec operation becomes the client requests a Kafka client would send; faults act on the
 * simulated processes, network and metadata store; `observe()` reads every broker's state.
 */

import { newPartitionerState, type PartitionerState } from "../../model/partitioners.ts";
import type { Capabilities, ClusterSetup, Observation, Target } from "../../spec/adapter.ts";
import type { KafkaErrorName } from "../../spec/errors.ts";
import {
  type ClientOp,
  type Fault,
  type FaultKind,
  failed,
  type Outcome,
  ok,
  unknown,
} from "../../spec/operations.ts";
import { OFFSETS_TOPIC } from "../group/offsets-topic.ts";
import { SimCluster } from "../sim/cluster.ts";
import { SimClient } from "./client.ts";
import { observeCluster } from "./observe.ts";
import { runOperation } from "./operations.ts";

export const EMBEDDED_FAULTS: readonly FaultKind[] = [
  "crash",
  "restart",
  "pause",
  "resume",
  "isolate",
  "heal",
  "expireSession",
  "addBroker",
  "advanceTime",
];

export interface EmbeddedTargetOptions {
  /** Record the simulator's trace (determinism tests). */
  trace?: boolean;
}

/** Per-run client state: partitioner counters, member ids per (group, client), generated group ids. */
export interface ClientState {
  partitioner: PartitionerState;
  memberIds: Map<string, string>;
  generatedGroups: number;
}

export class EmbeddedTarget implements Target {
  readonly name = "embedded";
  readonly capabilities: Capabilities = { faults: EMBEDDED_FAULTS, observe: true, virtualTime: true };
  private simulation: SimCluster | null = null;
  private client: SimClient | null = null;
  private state: ClientState = {
    partitioner: newPartitionerState(),
    memberIds: new Map(),
    generatedGroups: 0,
  };

  constructor(private readonly options: EmbeddedTargetOptions = {}) {}

  get sim(): SimCluster {
    if (this.simulation === null) throw new Error("embedded target not started");
    return this.simulation;
  }

  async start(setup: ClusterSetup): Promise<void> {
    const sim = new SimCluster({
      seed: setup.seed,
      brokers: setup.brokers,
      config: setup.config,
      seededFaults: setup.seededFaults ?? [],
      trace: this.options.trace ?? false,
    });
    this.simulation = sim;
    this.client = new SimClient(sim);
    this.state = { partitioner: newPartitionerState(), memberIds: new Map(), generatedGroups: 0 };
    for (let id = 1; id <= setup.brokers; id++) sim.startBroker(id);
    sim.settle();
    // Kafka creates __consumer_offsets on the first FindCoordinator; we create it up front so the first
    // group operation of a run does not fail with COORDINATOR_NOT_AVAILABLE.
    const md = this.client.metadata(null);
    const controller = md?.controllerId ?? null;
    if (controller === null) throw new Error(`embedded: no controller after start (seed ${setup.seed})`);
    const rf = Math.min(sim.setting("offsets.topic.replication.factor", 3), setup.brokers);
    const r = this.client.call(controller, {
      api: "createTopics",
      name: OFFSETS_TOPIC,
      numPartitions: sim.setting("offsets.topic.num.partitions", 3),
      replicationFactor: rf,
      config: {},
    });
    if (r.kind !== "reply" || (r.response.api === "createTopics" && r.response.error !== null)) {
      throw new Error(`embedded: could not create ${OFFSETS_TOPIC}: ${JSON.stringify(r)}`);
    }
    sim.settle();
  }

  async execute(op: ClientOp): Promise<Outcome> {
    const outcome = await runOperation(this.sim, this.client!, this.state, op);
    return outcome;
  }

  async inject(fault: Fault): Promise<Outcome> {
    const sim = this.sim;
    switch (fault.kind) {
      case "crash":
        return this.injected(sim.crashBroker(fault.broker), "BROKER_NOT_AVAILABLE");
      case "restart": {
        const s = sim.brokerState(fault.broker);
        if (s !== "crashed" && s !== "offline") return this.injected(false);
        sim.startBroker(fault.broker);
        return this.injected(true);
      }
      case "pause":
        return this.injected(sim.pauseBroker(fault.broker));
      case "resume":
        return this.injected(sim.resumeBroker(fault.broker));
      case "isolate":
        sim.isolate(fault.sides[0], fault.sides[1]);
        return this.injected(true);
      case "heal":
        sim.heal();
        return this.injected(true);
      case "expireSession":
        return this.injected(sim.expireSession(fault.broker));
      case "addBroker":
        if (sim.brokers.has(fault.broker)) return this.injected(false);
        sim.startBroker(fault.broker);
        return this.injected(true);
      case "advanceTime":
        sim.advance(fault.ms);
        return this.injected(true);
    }
  }

  /** After a fault: let the cluster react, then report whether the fault applied. */
  private injected(applied: boolean, error: KafkaErrorName = "INVALID_REQUEST"): Outcome {
    this.sim.settle();
    this.client!.expirePendables();
    return applied ? ok({}) : failed(error);
  }

  async settle(): Promise<void> {
    this.sim.settle();
    this.client!.expirePendables();
  }

  async observe(): Promise<Observation> {
    return observeCluster(this.sim);
  }

  async stop(): Promise<void> {
    this.simulation = null;
    this.client = null;
  }
}

export function createEmbeddedTarget(options: EmbeddedTargetOptions = {}): EmbeddedTarget {
  return new EmbeddedTarget(options);
}

export { unknown };
