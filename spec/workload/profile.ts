/**
 * A workload profile: how one hunt shapes the generated workloads, as Jepsen's nemesis packages and
 * TigerBeetle's VOPR swarm settings do. The default workload spreads its steps over every feature; a bug
 * that needs ten faults in a row on one partition is found far sooner when the steps are concentrated
 * there. A profile only changes what is generated (weights, topic shapes, cluster size, settings, fault
 * phases): every step is still random and shrinkable, and every run is judged by the same model and
 * invariants. The seeded-fault catalog gives each entry one (impl/faults/catalog.ts).
 */
import type { ClusterSetup } from "../adapter.ts";
import type { Acks, FaultKind } from "../operations.ts";
import type { FaultTarget, IntentKind } from "./intents.ts";

/** A closed range of whole numbers. */
export interface Span {
  min: number;
  max: number;
}

export interface TopicProfile {
  /** How many topic names the workload draws from (t0..t(n-1)). */
  pool?: number;
  partitions?: Span;
  /** Capped at the brokers at start. */
  replicationFactor?: Span;
  minInsyncReplicas?: Span;
  /** unclean.leader.election.enable: always, never, or drawn per topic (the default). */
  uncleanLeaderElection?: boolean;
}

/**
 * A fault phase: rounds of "a new fault (an earlier one may be undone before or after it), some writes,
 * time may pass", from the run's fault kinds. Leader changes in quick succession with writes on each leader between them are
 * what KIP-101/KIP-279-class bugs need, and single random steps rarely line up more than two of them.
 */
export interface FaultPhaseProfile {
  /** Relative weight against one single step (the default workload draws single steps at 60). */
  weight: number;
  rounds: Span;
  /** Relative weights of the kinds a round starts with (crash, pause, isolate, expireSession); default 1. */
  faults?: Partial<Record<FaultKind, number>>;
  /** Produces per round. */
  writes: Span;
  acks: readonly Acks[];
  /** Time that may pass after a round's writes (0: none); drawn per round. */
  advanceMs: readonly number[];
}

export interface WorkloadProfile {
  /** Brokers at start (default: the check's --brokers). */
  brokers?: number;
  /** Kafka settings for every run's cluster, over the check's own. */
  config?: ClusterSetup["config"];
  /** Maximum operations per run (default: the check's --ops). */
  opsPerRun?: number;
  /** Relative weights by intent kind, over the defaults; 0 switches a kind off. */
  weights?: Partial<Record<IntentKind, number>>;
  /** acks values a single produce step draws from (default 0, 1 and all). */
  acks?: readonly Acks[];
  topics?: TopicProfile;
  /** Rebalance phases (several consumers join one group): default on. */
  rebalancePhases?: boolean;
  faultPhase?: FaultPhaseProfile;
  /**
   * Whom crash, pause, isolate and expireSession aim at (intents.ts' FaultTarget), by relative weight;
   * "any" is an untargeted pick. Absent: every fault picks a broker by index.
   */
  targets?: Partial<Record<FaultTarget | "any", number>>;
}
