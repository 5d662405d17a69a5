/**
 * One classic consumer group as the coordinator holds it: members, generation, the chosen protocol,
 * committed offsets and the deadlines of its delayed operations. Data plus the small pure rules of
 * Kafka's GroupMetadata (valid transitions, protocol selection); the coordinator drives it.
 */
import type { GroupState } from "../../spec/adapter.ts";
import type { JoinGroupProtocol, RequestId } from "./api.ts";
import type { CommittedOffset } from "./offsets-topic.ts";

export type { GroupState };

/** How long a new member may wait in a join before it is dropped (Kafka's NewMemberJoinTimeoutMs). */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

/** How many past generations' assignments are remembered (only the stale-syncgroup fault reads them). */
export const PAST_ASSIGNMENTS_KEPT = 4;

/** Kafka's GroupState.validPreviousStates. */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  Empty: ["PreparingRebalance"],
  PreparingRebalance: ["Stable", "CompletingRebalance", "Empty"],
  CompletingRebalance: ["PreparingRebalance"],
  Stable: ["CompletingRebalance"],
  Dead: ["Stable", "PreparingRebalance", "CompletingRebalance", "Empty", "Dead"],
};

export interface Member {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  protocolType: string;
  /** In the member's order of preference. */
  protocols: JoinGroupProtocol[];
  assignment: Buffer;
  /** The JoinGroup request parked until the join phase completes, if any. */
  awaitingJoin: RequestId | null;
  /** The SyncGroup request parked until the leader's assignment is stored, if any. */
  awaitingSync: RequestId | null;
  /** Joined and not yet through a completed join phase: expires after NEW_MEMBER_JOIN_TIMEOUT_MS. */
  isNew: boolean;
  /** When the member is dropped unless it heartbeats (or is parked in a join or sync); null: no timer. */
  heartbeatDeadline: number | null;
}

/** The delayed join: InitialDelayedJoin for a group that was Empty, DelayedJoin otherwise. */
export interface JoinTimer {
  deadline: number;
  initial: boolean;
  /** InitialDelayedJoin only: how much of the rebalance timeout is left to extend into. */
  remainingMs: number;
  /** InitialDelayedJoin only: a member joined during this delay, so wait one more delay. */
  newMemberAdded: boolean;
}

/** The delayed sync: members that got a JoinGroup response must sync within the rebalance timeout. */
export interface SyncTimer {
  deadline: number;
  generationId: number;
}

export interface StoredOffset {
  topic: string;
  partition: number;
  value: CommittedOffset;
}

export class Group {
  state: GroupState = "Empty";
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  /** Insertion order matters: a new leader is the first remaining member, as in Kafka. */
  readonly members = new Map<string, Member>();
  /** KIP-394: ids handed out with MEMBER_ID_REQUIRED, not yet joined, with their expiry. */
  readonly pendingMembers = new Map<string, number>();
  /** Members that got this generation's JoinGroup response and have not sent SyncGroup yet. */
  readonly pendingSyncMembers = new Set<string>();
  join: JoinTimer | null = null;
  sync: SyncTimer | null = null;
  /** Committed offsets by `topic` NUL `partition`. */
  readonly offsets = new Map<string, StoredOffset>();
  /** generation -> memberId -> assignment, the last few generations. */
  readonly pastAssignments = new Map<number, Map<string, Buffer>>();
  currentStateTimestamp: number;

  constructor(
    readonly groupId: string,
    /** The `__consumer_offsets` partition holding this group. */
    readonly partition: number,
    now: number,
  ) {
    this.currentStateTimestamp = now;
  }

  is(state: GroupState): boolean {
    return this.state === state;
  }

  transitionTo(next: GroupState, now: number): void {
    if (!VALID_PREVIOUS[next].includes(this.state)) {
      throw new Error(`group ${this.groupId}: invalid transition ${this.state} -> ${next}`);
    }
    this.state = next;
    this.currentStateTimestamp = now;
  }

  /** Stable, CompletingRebalance and Empty may start a rebalance. */
  canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.state);
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: Member): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.pendingMembers.delete(member.memberId);
  }

  remove(memberId: string): void {
    this.members.delete(memberId);
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    this.pendingMembers.delete(memberId);
    this.pendingSyncMembers.delete(memberId);
  }

  /** Every member has rejoined and no KIP-394 member is still on its way. */
  hasAllMembersJoined(): boolean {
    for (const m of this.members.values()) if (m.awaitingJoin === null) return false;
    return this.pendingMembers.size === 0;
  }

  /** The largest rebalance timeout of the members: how long a join phase may take. */
  rebalanceTimeoutMs(): number {
    let t = 0;
    for (const m of this.members.values()) t = Math.max(t, m.rebalanceTimeoutMs);
    return t;
  }

  /** Protocols every member supports. */
  candidateProtocols(): Set<string> {
    const counts = new Map<string, number>();
    for (const m of this.members.values()) {
      for (const name of new Set(m.protocols.map((p) => p.name)))
        counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    const common = new Set<string>();
    for (const [name, n] of counts) if (n === this.members.size) common.add(name);
    return common;
  }

  /**
   * Kafka's GroupMetadata.supportsProtocols: an Empty group takes any non-empty protocol type with at
   * least one protocol; otherwise the type must match and one protocol must be shared by everyone.
   */
  supportsProtocols(protocolType: string, protocols: readonly JoinGroupProtocol[]): boolean {
    if (this.is("Empty") || this.members.size === 0) return protocolType.length > 0 && protocols.length > 0;
    if (this.protocolType !== protocolType) return false;
    const candidates = this.candidateProtocols();
    return protocols.some((p) => candidates.has(p.name));
  }

  /**
   * Each member votes for its most preferred protocol that everyone supports; most votes wins. Kafka
   * leaves ties to hash order; we break them by the first vote cast (member order), deterministically.
   */
  selectProtocol(): string {
    const candidates = this.candidateProtocols();
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const vote = m.protocols.find((p) => candidates.has(p.name));
      if (vote === undefined)
        throw new Error(`group ${this.groupId}: member ${m.memberId} shares no protocol`);
      votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
    }
    let best: string | null = null;
    let bestVotes = -1;
    for (const [name, n] of votes) {
      if (n > bestVotes) {
        best = name;
        bestVotes = n;
      }
    }
    if (best === null) throw new Error(`group ${this.groupId}: cannot select a protocol for an empty group`);
    return best;
  }

  /** The member's metadata for the group's chosen protocol (what the leader gets to assign from). */
  metadataOf(member: Member): Buffer {
    return member.protocols.find((p) => p.name === this.protocolName)?.metadata ?? Buffer.alloc(0);
  }

  rememberAssignments(generationId: number, assignments: Map<string, Buffer>): void {
    this.pastAssignments.set(generationId, new Map(assignments));
    for (const g of [...this.pastAssignments.keys()]) {
      if (g <= generationId - PAST_ASSIGNMENTS_KEPT) this.pastAssignments.delete(g);
    }
  }
}
