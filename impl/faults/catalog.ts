/**
 * Seeded faults: known Kafka bugs planted in our implementation, off unless a run names them in
 * ClusterSetup.seededFaults. Each entry says which nemesis families the suite needs to reach the bug.
 * The cores consult a `SeededFaults` set at the exact point where the bug lives.
 */
import type { FaultFamily } from "../../spec/operations.ts";

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

export const SEEDED_FAULTS: Array<{ name: SeededFaultName; description: string; faults: FaultFamily[] }> = [
  {
    name: "truncate-to-hw",
    description:
      "KIP-101 (KAFKA-1211): a follower truncates to its own high watermark instead of asking the leader " +
      "for the end of its epoch, then is elected and committed records are lost or logs diverge.",
    faults: ["crash", "restart", "time"],
  },
  {
    name: "elect-outside-isr",
    description:
      "The controller elects replicas outside the ISR: the first live replica when a leader dies, and the " +
      "preferred replica as soon as it re-registers (a preferred election without the ISR check).",
    faults: ["crash", "restart", "time"],
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
      "Brokers accept LeaderAndIsr from a controller whose epoch is older than one they have seen, and " +
      "the controller writes partition state without checking /controller_epoch.",
    faults: ["pause", "time"],
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
  },
  {
    name: "kip-279-divergence",
    description:
      "A follower truncates to the leader's answer for an epoch the leader does not share with it (no " +
      "KIP-279 iteration), so logs diverge after fast consecutive leader changes.",
    faults: ["crash", "restart", "isolate", "time"],
  },
  {
    name: "kafka-7164-missed-epoch-bump",
    description:
      "A follower that receives a new leader epoch with the same leader id skips truncation (KAFKA-7164).",
    faults: ["crash", "restart", "isolate", "session", "time"],
  },
  {
    name: "kip-966-last-replica-standing",
    description:
      "Followers do not flush and the leader advances the high watermark with the ISR below " +
      "min.insync.replicas; the last replica standing crashes, loses unflushed records and is elected again.",
    faults: ["crash", "restart", "time"],
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
