/**
 * The plug-in contract: anything that implements `Target` can be checked by the suite.
 * Built in: `model` (the reference), `embedded` (our brokers in the deterministic simulator),
 * `cluster` (our broker processes on ZooKeeper), `kafka` (any Kafka-protocol cluster by address).
 */
import type { BrokerId, ClientOp, Fault, FaultKind, Outcome, TopicPartition } from "./operations.ts";

export interface Capabilities {
  /** Which faults `inject` accepts. The runner generates only these. */
  faults: readonly FaultKind[];
  /**
   * What `observe()` exposes. `true`: the whole internal state (metadata, replicas' logs and high
   * watermarks, groups); every state invariant runs. `"metadata"`: only what the metadata store records
   * (controller, broker registrations, partition leaders, leader epochs, ISRs), read consistently from
   * ZooKeeper where logs of separate processes cannot be; only the invariants that need no more run
   * (StateInvariant.needs). `false`: nothing; only history invariants run.
   */
  observe: boolean | "metadata";
  /**
   * Whether time is virtual: `advanceTime` moves a simulated clock and operations complete without
   * real waiting. Real targets take `advanceTime` as a real sleep (bounded) or leave it out of `faults`.
   */
  virtualTime: boolean;
}

/** How the runner asks a target to be set up before a run. */
export interface ClusterSetup {
  /** Broker ids 1..brokers are started. */
  brokers: number;
  /** Seed for anything the target randomises (the simulator's PRNG, the model's choices). */
  seed: number;
  /** Kafka settings by Kafka's property names, e.g. {"replica.lag.time.max.ms": 10000}. */
  config: Record<string, string | number | boolean>;
  /** Seeded faults to switch on inside the implementation (impl/faults), by name. Default none. */
  seededFaults?: readonly string[];
}

export type BrokerState = "offline" | "starting" | "running" | "shuttingDown" | "crashed" | "restarting";
export type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable" | "Dead";

/** One replica of one partition as its broker sees it. */
export interface ReplicaObservation {
  broker: BrokerId;
  logStartOffset: number;
  logEndOffset: number;
  /** The high watermark this replica knows (a follower lags the leader's). */
  highWatermark: number;
  /** The replica's leader epoch cache: [epoch, startOffset] pairs, ascending. */
  epochCache: Array<[number, number]>;
  /** The log itself as (offset, leader epoch, value) for log matching. Values identify records. */
  log: Array<{ offset: number; epoch: number; value: string }>;
}

/**
 * Where a metadata record was read from: its znode's creation and last-modification transaction ids and
 * its data version (ZooKeeper's czxid, mzxid, version). Two reads of one znode with the same czxid and
 * versions n and n+1 saw consecutive writes, with nothing in between.
 */
export interface ZnodeStamp {
  czxid: number;
  mzxid: number;
  version: number;
}

export interface PartitionObservation extends TopicPartition {
  /** As the controller / metadata store records it. */
  leader: BrokerId | null;
  leaderEpoch: number;
  isr: BrokerId[];
  replicas: BrokerId[];
  /** The ISR as the leader itself holds it (may lag the controller's). */
  leaderIsr: BrokerId[];
  /** The leader's high watermark (what consumers see). */
  highWatermark: number;
  minInsyncReplicas: number;
  uncleanLeaderElection: boolean;
  /** Per replica state, only for replicas whose broker is up. Empty in a metadata observation. */
  replicaStates: ReplicaObservation[];
  /** The epoch of the controller that wrote the leader and ISR (Kafka's "controller_epoch"), when read. */
  controllerEpoch?: number;
  /** The partition state's znode, when the observation was read from a metadata store. */
  stateZnode?: ZnodeStamp;
  /**
   * Partition states written since the previous observation that the target saw on the way (it watches
   * the metadata store), oldest first; this observation's own state is the latest. Writes closer together
   * than the target's reads merge, so a version may be missing: invariants judge only consecutive ones.
   */
  earlierStates?: PartitionStateObservation[];
}

/** One written state of a partition, as a metadata store held it. */
export type PartitionStateObservation = Pick<
  PartitionObservation,
  "leader" | "leaderEpoch" | "isr" | "controllerEpoch" | "stateZnode"
>;

export interface GroupObservation {
  groupId: string;
  state: GroupState;
  generation: number;
  leader: string | null;
  protocol: string | null;
  members: Array<{ memberId: string; client: string; assignment: TopicPartition[] }>;
  committed: Array<TopicPartition & { offset: number }>;
}

/**
 * How a metadata observation was read: after a sync, every znode in one pass. The store's last
 * transaction id as the sync answered and as the last read answered says how fresh the observation is
 * and whether it is one instant: with no transaction in between, every read saw the same state.
 */
export interface MetadataRead {
  /** The store's last transaction id when the sync answered (every read is at least this fresh). */
  fromZxid: number;
  /** The store's last transaction id when the last read answered. */
  toZxid: number;
  /** fromZxid === toZxid: the reads form one consistent snapshot. Cross-znode invariants need it. */
  consistent: boolean;
  /**
   * How long, in observation time, a live controller may take to react to a broker's registration
   * vanishing: the ZooKeeper session timeout (a stalled controller keeps its session that long) plus a
   * margin. A leader that stays unregistered longer under one controller epoch is a finding.
   */
  reactionBoundMs: number;
}

export interface Observation {
  /** Virtual or real milliseconds since the run started. */
  time: number;
  controller: { broker: BrokerId | null; epoch: number };
  /**
   * In a metadata observation a broker is "running" while registered (/brokers/ids/N exists) and
   * "offline" otherwise; `registered` says which explicitly wherever a target reads registrations.
   */
  brokers: Array<{ id: BrokerId; state: BrokerState; registered?: boolean }>;
  partitions: PartitionObservation[];
  groups: GroupObservation[];
  /** "metadata": only the metadata fields are filled in (see Capabilities.observe). Absent: everything. */
  scope?: "full" | "metadata";
  /** Set by targets that read a metadata store (ZooKeeper): how fresh and how consistent the reads were. */
  metadataRead?: MetadataRead;
}

export interface Target {
  readonly name: string;
  readonly capabilities: Capabilities;
  start(setup: ClusterSetup): Promise<void>;
  /**
   * Run one client operation. The promise may stay pending while the cluster holds the request
   * (a JoinGroup waits for the rest of the group); the runner keeps other clients going meanwhile.
   * A target must settle every operation eventually: `ok`, `failed`, or `unknown` on timeout.
   */
  execute(op: ClientOp): Promise<Outcome>;
  inject(fault: Fault): Promise<Outcome>;
  /**
   * For virtual-time targets: run the simulation until nothing more can happen without time passing,
   * so that every operation that can complete has completed. Real targets may omit it.
   */
  settle?(): Promise<void>;
  observe?(): Promise<Observation>;
  stop(): Promise<void>;
}

/** The model's judgement of one outcome. */
export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Something that judges outcomes: the reference model in checking mode. It is told every completed
 * operation and fault of the run in completion order, and says whether the outcome is one the
 * specification allows from the state it has reached; then it adopts the outcome.
 */
export interface OutcomeChecker {
  begin(setup: ClusterSetup): void;
  /**
   * Optional: told when an operation is invoked (before its outcome), so writes still in flight count as
   * possible when a read sees them first. Without it the model assumes one operation in flight per client.
   */
  invoke?(op: ClientOp | Fault): void;
  check(op: ClientOp | Fault, outcome: Outcome): Verdict;
  /** Optional: adopt choices a white-box target made (who became leader), rejecting forbidden ones. */
  adopt?(observation: Observation): Verdict;
}

export type TargetFactory = (options: Record<string, string | undefined>) => Target;
