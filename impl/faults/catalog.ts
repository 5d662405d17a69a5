/**
 * Seeded faults: known Kafka bugs planted in our implementation, off unless a run names them in
 * ClusterSetup.seededFaults. Each entry says which nemesis families the suite needs to reach the bug.
 * The cores consult a `SeededFaults` set at the exact point where the bug lives.
 */
import type { FaultFamily } from "../../spec/operations.ts";
import type { WorkloadProfile } from "../../spec/workload/profile.ts";

export const SEEDED_FAULT_NAMES = [
  "truncate-to-hw",
  "elect-outside-isr",
  "ack-before-isr",
  "stale-controller-unfenced",
  "commit-old-generation",
  "double-assignment",
  "offset-reuse-after-crash",
  "kip-279-divergence",
  "kafka-7164-missed-epoch-bump",
  "kip-966-last-replica-standing",
  "stale-syncgroup",
] as const;

export type SeededFaultName = (typeof SEEDED_FAULT_NAMES)[number];

export interface SeededFaultEntry {
  name: SeededFaultName;
  description: string;
  /** The nemesis families a hunt injects. */
  faults: FaultFamily[];
  /** How a hunt for it shapes its workloads (spec/workload/profile.ts); absent: the default mix. */
  profile?: WorkloadProfile;
}

/**
 * Replication bugs live on one partition's leader changes: no groups, one topic of one partition, so
 * every fault lands on a replica of it.
 */
const REPLICATION: WorkloadProfile = {
  weights: {
    listOffsets: 0,
    join: 0,
    poll: 0,
    sync: 0,
    heartbeat: 0,
    leave: 0,
    commit: 0,
    fetchCommitted: 0,
    zombie: 0,
    addPartitions: 0,
  },
  topics: { pool: 1, partitions: { min: 1, max: 1 } },
  rebalancePhases: false,
};

/** Leader and follower crashes in quick succession, with writes on each leader in between. */
const LEADER_CHURN: WorkloadProfile = {
  ...REPLICATION,
  targets: { leader: 2, follower: 2, any: 1 },
  faultPhase: {
    weight: 20,
    rounds: { min: 2, max: 5 },
    writes: { min: 1, max: 2 },
    acks: [1, -1],
    advanceMs: [0, 1000, 35000],
  },
};

export const SEEDED_FAULTS: SeededFaultEntry[] = [
  {
    name: "truncate-to-hw",
    description:
      "KIP-101 (KAFKA-1211): a follower truncates to its own high watermark instead of asking the leader " +
      "for the end of its epoch, then is elected and committed records are lost or logs diverge.",
    faults: ["crash", "restart", "time"],
    profile: LEADER_CHURN,
  },
  {
    name: "elect-outside-isr",
    description:
      "The controller elects replicas outside the ISR: the first live replica when a leader dies, and the " +
      "preferred replica as soon as it re-registers (a preferred election without the ISR check).",
    faults: ["crash", "restart", "time"],
    profile: LEADER_CHURN,
  },
  {
    name: "ack-before-isr",
    description:
      "acks=all is acknowledged as soon as the leader has appended, before the ISR has the record.",
    faults: ["crash"],
  },
  {
    name: "stale-controller-unfenced",
    description:
      "KAFKA-6082 (KAFKA-3083's soft failure): a controller that stalled past its ZooKeeper session " +
      "resumes with its old view: it writes partition state without checking /controller_epoch's " +
      "version (its new session makes the writes succeed) and brokers accept its LeaderAndIsr although " +
      "they have seen a newer controller epoch.",
    faults: ["pause", "time"],
    profile: {
      ...REPLICATION,
      topics: { ...REPLICATION.topics, partitions: { min: 1, max: 2 } },
      // Stall the controller past its session (18 s) while the new controller moves leaders.
      targets: { controller: 3, leader: 1, any: 1 },
      faultPhase: {
        weight: 40,
        rounds: { min: 3, max: 6 },
        writes: { min: 1, max: 2 },
        acks: [1, -1],
        advanceMs: [0, 1000, 20000, 35000],
      },
    },
  },
  {
    name: "commit-old-generation",
    description: "The group coordinator accepts an OffsetCommit carrying an older generation.",
    faults: [],
  },
  {
    name: "double-assignment",
    description: "The coordinator gives one partition of the leader's assignment to a second member as well.",
    faults: [],
  },
  {
    name: "offset-reuse-after-crash",
    description:
      "The leader acknowledges produces before flushing, so a crash drops acknowledged records and their " +
      "offsets are handed out again.",
    faults: ["crash", "restart", "time"],
    // Writes to one partition, then its leader crashed and restarted: what the crash took must have been
    // read or acknowledged first, so rounds of "crash, writes, maybe time" on the leader line it up.
    profile: {
      ...REPLICATION,
      topics: { ...REPLICATION.topics, replicationFactor: { min: 1, max: 2 } },
      targets: { leader: 3, any: 1 },
      faultPhase: {
        weight: 20,
        rounds: { min: 1, max: 3 },
        faults: { crash: 1 },
        writes: { min: 1, max: 3 },
        acks: [0, 1, -1],
        advanceMs: [0, 1000, 20000],
      },
    },
  },
  {
    name: "kip-279-divergence",
    description:
      "A follower truncates to the leader's answer for an epoch the leader does not share with it (no " +
      "KIP-279 iteration), so logs diverge after fast consecutive leader changes.",
    faults: ["crash", "restart", "isolate", "time"],
    profile: {
      ...REPLICATION,
      brokers: 2,
      topics: {
        ...REPLICATION.topics,
        replicationFactor: { min: 2, max: 2 },
        minInsyncReplicas: { min: 1, max: 1 },
        uncleanLeaderElection: true,
      },
      faultPhase: {
        weight: 20,
        rounds: { min: 3, max: 6 },
        writes: { min: 1, max: 2 },
        acks: [1, -1],
        advanceMs: [0, 0, 1000, 35000],
      },
    },
  },
  {
    name: "kafka-7164-missed-epoch-bump",
    description:
      "A follower that receives a new leader epoch with the same leader id skips truncation (KAFKA-7164).",
    faults: ["crash", "restart", "isolate", "session", "time"],
    profile: {
      ...REPLICATION,
      // Few reads: the divergence shows in the replicas' logs (weak-isr), and runs stay cheap.
      weights: { ...REPLICATION.weights, fetch: 2 },
      topics: {
        ...REPLICATION.topics,
        replicationFactor: { min: 3, max: 3 },
        minInsyncReplicas: { min: 1, max: 1 },
        uncleanLeaderElection: false,
      },
      faultPhase: {
        weight: 40,
        rounds: { min: 3, max: 6 },
        writes: { min: 1, max: 2 },
        acks: [1],
        advanceMs: [0, 0, 1000, 20000],
        faults: { isolate: 3, expireSession: 3, crash: 1 },
      },
      targets: { leader: 2, follower: 2, any: 1 },
    },
  },
  {
    name: "kip-966-last-replica-standing",
    description:
      "Followers do not flush and the leader advances the high watermark with the ISR below " +
      "min.insync.replicas; the last replica standing crashes, loses unflushed records and is elected again.",
    faults: ["crash", "restart", "time"],
    // The ISR must shrink below min.insync.replicas (a crash and the lag time passing), then its last
    // member crash after acknowledging, and come back first: leader churn on a topic with min.isr 2.
    profile: {
      ...LEADER_CHURN,
      topics: {
        ...REPLICATION.topics,
        replicationFactor: { min: 2, max: 3 },
        minInsyncReplicas: { min: 2, max: 2 },
      },
    },
  },
  {
    name: "stale-syncgroup",
    description:
      "The coordinator accepts a SyncGroup from a member of an older generation and hands it an assignment.",
    faults: [],
  },
];

/** The set the cores consult. Unknown names are rejected so a typo cannot silently test nothing. */
export class SeededFaults {
  private readonly on: ReadonlySet<SeededFaultName>;

  constructor(names: readonly string[] = []) {
    for (const n of names) {
      if (!(SEEDED_FAULT_NAMES as readonly string[]).includes(n)) {
        throw new Error(`unknown seeded fault "${n}" (known: ${SEEDED_FAULT_NAMES.join(", ")})`);
      }
    }
    this.on = new Set(names as SeededFaultName[]);
  }

  has(name: SeededFaultName): boolean {
    return this.on.has(name);
  }

  get names(): SeededFaultName[] {
    return [...this.on];
  }

  static readonly NONE = new SeededFaults();
}
