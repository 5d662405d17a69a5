/**
 * The classic consumer-group coordinator, sans-IO: requests and the current time in, responses and
 * effects out. No timers, sockets or files inside; the simulator's BrokerNode and the TCP broker
 * drive it the same way:
 *   - call the request methods with `now`; send every `respond` effect back to its request;
 *   - perform every `append` effect on `__consumer_offsets` (acks=all) and report the outcome with
 *     `appendCompleted(token, error, now)`;
 *   - call `tick(now)` when `nextDeadline()` has passed (every call also fires what is due first);
 *   - call `loadPartition` / `unloadPartition` when this broker gains or loses leadership of an
 *     `__consumer_offsets` partition.
 *
 * Behaviour follows Kafka's GroupCoordinator (the classic protocol, Kafka 3.x): the states Empty,
 * PreparingRebalance, CompletingRebalance, Stable and Dead; the initial rebalance delay; the join and
 * sync phases bounded by the rebalance timeout; session expiry; generation fencing with the errors
 * Kafka returns at the same points. Static membership (KIP-345) is not implemented: a
 * groupInstanceId is carried but every member is treated as dynamic.
 */
import { randomUUID } from "node:crypto";
import type { GroupObservation } from "../../spec/adapter.ts";
import type { KafkaErrorName } from "../../spec/errors.ts";
import {
  DEFAULT_GROUP_COORDINATOR_CONFIG,
  type DescribedGroup,
  type DescribeGroupsRequest,
  type DescribeGroupsResponse,
  type GroupCoordinatorConfig,
  type GroupEffect,
  type GroupError,
  type HeartbeatRequest,
  type JoinGroupRequest,
  type JoinGroupResponse,
  type LeaveGroupRequest,
  type LeaveGroupResponse,
  type ListGroupsRequest,
  type ListGroupsResponse,
  type OffsetCommitRequest,
  type OffsetCommitResponse,
  type OffsetFetchRequest,
  type OffsetFetchResponse,
  type OffsetFetchResponsePartition,
  type RequestId,
  type SyncGroupRequest,
  type SyncGroupResponse,
} from "./api.ts";
import {
  assignedTopicPartitions,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  groupByTopic,
} from "./consumer-protocol.ts";
import {
  Group,
  type GroupState,
  type Member,
  NEW_MEMBER_JOIN_TIMEOUT_MS,
  type StoredOffset,
} from "./group.ts";
import {
  type CommittedOffset,
  encodeGroupMetadataKey,
  encodeOffsetCommitKey,
  groupMetadataRecord,
  type OffsetsRecord,
  offsetCommitRecord,
  offsetKey,
  partitionForGroup,
  replayOffsetsRecords,
  type StoredGroup,
} from "./offsets-topic.ts";
import { GroupFaults } from "./seeded.ts";

/** A read-only picture of one group, for tests, observation and the docs. */
export interface GroupSnapshot {
  groupId: string;
  partition: number;
  state: GroupState;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leaderId: string | null;
  members: Array<{
    memberId: string;
    clientId: string;
    assignment: Buffer;
    awaitingJoin: boolean;
    awaitingSync: boolean;
    heartbeatDeadline: number | null;
  }>;
  pendingMembers: string[];
  offsets: Array<{ topic: string; partition: number } & CommittedOffset>;
}

const NO_PARTITIONS: ReadonlySet<string> = new Set();

type PendingAppend =
  | {
      kind: "commit";
      requestId: RequestId;
      /** The group object itself: a group unloaded and loaded again is another incarnation. */
      group: Group;
      request: OffsetCommitRequest;
      /** Per topic NUL partition: an error decided before the append (e.g. metadata too large). */
      rejected: Map<string, GroupError>;
      values: Map<string, { topic: string; partition: number; value: CommittedOffset }>;
    }
  | { kind: "storeGroup"; group: Group; generationId: number; assignment: Map<string, Buffer> }
  | { kind: "storeEmptyGroup"; group: Group }
  /** Expired offsets and deleted groups: nothing waits on them; a lost tombstone only delays cleanup. */
  | { kind: "tombstones" };

/** A bound on timer firings per call, so a logic error cannot spin forever. */
const MAX_FIRINGS_PER_CALL = 1_000_000;

function joinError(memberId: string, error: GroupError): JoinGroupResponse {
  return {
    error,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    memberId,
    members: [],
  };
}

function syncError(error: GroupError): SyncGroupResponse {
  return { error, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
}

/**
 * How a failed append to __consumer_offsets surfaces to the client (Kafka's storeGroup and
 * storeOffsets error mappings). The two differ only in what a too-large record and a time-out become.
 */
function appendError(error: KafkaErrorName, tooLarge: GroupError, timedOut: GroupError): GroupError {
  switch (error) {
    case "UNKNOWN_TOPIC_OR_PARTITION":
    case "NOT_ENOUGH_REPLICAS":
    case "NOT_ENOUGH_REPLICAS_AFTER_APPEND":
      return "COORDINATOR_NOT_AVAILABLE";
    case "NOT_LEADER_OR_FOLLOWER":
    case "KAFKA_STORAGE_ERROR":
      return "NOT_COORDINATOR";
    case "REQUEST_TIMED_OUT":
      return timedOut;
    case "MESSAGE_TOO_LARGE":
    case "RECORD_LIST_TOO_LARGE":
    case "INVALID_FETCH_SIZE":
      return tooLarge;
    default:
      return error;
  }
}

/** SyncGroup leader: a time-out means the rebalance must start over. */
const storeGroupError = (error: KafkaErrorName): GroupError =>
  appendError(error, "UNKNOWN_SERVER_ERROR", "REBALANCE_IN_PROGRESS");

const storeOffsetsError = (error: KafkaErrorName): GroupError =>
  appendError(error, "INVALID_COMMIT_OFFSET_SIZE", "REQUEST_TIMED_OUT");

export class GroupCoordinator {
  readonly config: GroupCoordinatorConfig;
  private readonly faults: GroupFaults;
  private readonly groups = new Map<string, Group>();
  /** `__consumer_offsets` partitions this coordinator leads and has loaded. */
  private readonly owned = new Set<number>();
  /** Partitions being loaded: their groups answer COORDINATOR_LOAD_IN_PROGRESS. */
  private readonly loading = new Set<number>();
  private readonly pendingAppends = new Map<number, PendingAppend>();
  private nextToken = 1;
  /** The latest time seen; time never runs backwards inside the coordinator. */
  private clock = Number.NEGATIVE_INFINITY;
  /** Effects of the call in progress (calls are not re-entrant). */
  private out: GroupEffect[] = [];

  constructor(config: Partial<GroupCoordinatorConfig> = {}) {
    this.config = { ...DEFAULT_GROUP_COORDINATOR_CONFIG, ...config };
    if (this.config.minSessionTimeoutMs > this.config.maxSessionTimeoutMs) {
      throw new RangeError("group.min.session.timeout.ms exceeds group.max.session.timeout.ms");
    }
    if (this.config.initialRebalanceDelayMs < 0) throw new RangeError("group.initial.rebalance.delay.ms < 0");
    this.faults = new GroupFaults(this.config.seededFaults);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Ownership of __consumer_offsets partitions                                                      */
  /* ---------------------------------------------------------------------------------------------- */

  partitionFor(groupId: string): number {
    return partitionForGroup(groupId, this.config.offsetsTopicPartitions);
  }

  isCoordinatorFor(groupId: string): boolean {
    return this.owned.has(this.partitionFor(groupId));
  }

  ownedPartitions(): number[] {
    return [...this.owned].sort((a, b) => a - b);
  }

  /**
   * This broker became leader of partition p and is reading it: its groups answer "loading". A no-op
   * when p is already owned: re-elected with a new leader epoch, the coordinator keeps what it has
   * in memory (Kafka's "already loaded"); to reload, unload first.
   */
  beginLoad(p: number): void {
    if (this.owned.has(p)) return;
    this.loading.add(p);
  }

  /**
   * This broker leads partition p and `records` are its contents in offset order: rebuild its groups
   * (Stable with their last stored assignment, or Empty) and committed offsets, and start serving.
   * Ignored when p is already owned (see beginLoad).
   */
  loadPartition(p: number, records: Iterable<OffsetsRecord>, now: number): GroupEffect[] {
    return this.run(now, () => {
      // Still leader since the last load: memory holds all the log does and more (a rebalance in
      // progress is never in the log), so a reload would lose it.
      if (this.owned.has(p)) return;
      this.dropPartitionGroups(p);
      const replayed = replayOffsetsRecords(records);
      for (const [groupId, stored] of replayed.groups) {
        if (this.partitionFor(groupId) !== p) continue;
        this.groups.set(groupId, this.restoreGroup(groupId, p, stored, now));
      }
      for (const [groupId, offsets] of replayed.offsets) {
        // Every offset of it tombstoned: nothing left to load.
        if (this.partitionFor(groupId) !== p || offsets.size === 0) continue;
        let group = this.groups.get(groupId);
        if (!group) {
          group = new Group(groupId, p, now);
          this.groups.set(groupId, group);
        }
        for (const [k, o] of offsets) group.offsets.set(k, o);
      }
      this.loading.delete(p);
      this.owned.add(p);
    });
  }

  /** This broker no longer leads partition p: its groups die here; parked requests get NOT_COORDINATOR. */
  unloadPartition(p: number, now: number): GroupEffect[] {
    return this.run(now, () => {
      this.dropPartitionGroups(p);
      this.owned.delete(p);
      this.loading.delete(p);
    });
  }

  private dropPartitionGroups(p: number): void {
    for (const group of [...this.groups.values()]) {
      if (group.partition !== p) continue;
      for (const m of group.members.values()) {
        if (m.awaitingJoin !== null)
          this.respondJoin(m.awaitingJoin, joinError(m.memberId, "NOT_COORDINATOR"));
        if (m.awaitingSync !== null) this.respondSync(m.awaitingSync, syncError("NOT_COORDINATOR"));
        m.awaitingJoin = null;
        m.awaitingSync = null;
      }
      group.join = null;
      group.sync = null;
      group.transitionTo("Dead", this.clock);
      this.groups.delete(group.groupId);
    }
  }

  private restoreGroup(groupId: string, p: number, stored: StoredGroup, now: number): Group {
    const group = new Group(groupId, p, now);
    group.generationId = stored.generation;
    group.protocolType = stored.protocolType === "" ? null : stored.protocolType;
    group.protocolName = stored.protocol;
    for (const sm of stored.members) {
      group.members.set(sm.memberId, {
        memberId: sm.memberId,
        groupInstanceId: sm.groupInstanceId,
        clientId: sm.clientId,
        clientHost: sm.clientHost,
        rebalanceTimeoutMs: sm.rebalanceTimeoutMs,
        sessionTimeoutMs: sm.sessionTimeoutMs,
        protocolType: stored.protocolType,
        // Kafka keeps only the chosen protocol's metadata in the log; that is what a member offers now.
        protocols: stored.protocol === null ? [] : [{ name: stored.protocol, metadata: sm.subscription }],
        assignment: sm.assignment,
        awaitingJoin: null,
        awaitingSync: null,
        isNew: false,
        heartbeatDeadline: now + sm.sessionTimeoutMs,
      });
    }
    group.leaderId = stored.leader !== null && group.members.has(stored.leader) ? stored.leader : null;
    if (group.leaderId === null && group.members.size > 0)
      group.leaderId = group.members.keys().next().value ?? null;
    // A loaded group is Stable (members and their assignments) or Empty, as Kafka loads it.
    group.state = group.members.size > 0 ? "Stable" : "Empty";
    // Retention counts from when the group became Empty, as recorded (v2+), not from the load.
    if (stored.currentStateTimestamp >= 0) group.currentStateTimestamp = stored.currentStateTimestamp;
    if (group.members.size > 0) {
      group.rememberAssignments(
        group.generationId,
        new Map([...group.members].map(([id, m]) => [id, m.assignment])),
      );
    }
    return group;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Requests                                                                                        */
  /* ---------------------------------------------------------------------------------------------- */

  joinGroup(req: JoinGroupRequest, now: number): GroupEffect[] {
    return this.run(now, () => {
      const status = this.validateGroupStatus(req.groupId, true);
      if (status !== null) return this.respondJoin(req.requestId, joinError(req.memberId, status));
      if (
        req.sessionTimeoutMs < this.config.minSessionTimeoutMs ||
        req.sessionTimeoutMs > this.config.maxSessionTimeoutMs
      ) {
        return this.respondJoin(req.requestId, joinError(req.memberId, "INVALID_SESSION_TIMEOUT"));
      }
      const isUnknown = req.memberId === "";
      let group = this.groups.get(req.groupId);
      if (!group) {
        // Only a new member creates a group; a known member id for an unknown group is stale.
        if (!isUnknown) return this.respondJoin(req.requestId, joinError(req.memberId, "UNKNOWN_MEMBER_ID"));
        group = new Group(req.groupId, this.partitionFor(req.groupId), now);
        this.groups.set(req.groupId, group);
      }
      if (isUnknown) this.joinUnknownMember(group, req, now);
      else this.joinKnownMember(group, req, now);
      if (group.is("PreparingRebalance")) this.tryCompleteJoin(group, now);
    });
  }

  syncGroup(req: SyncGroupRequest, now: number): GroupEffect[] {
    return this.run(now, () => {
      const status = this.validateGroupStatus(req.groupId, true);
      // A loading coordinator has lost the rebalance in progress: make the member rejoin.
      if (status === "COORDINATOR_LOAD_IN_PROGRESS")
        return this.respondSync(req.requestId, syncError("REBALANCE_IN_PROGRESS"));
      if (status !== null) return this.respondSync(req.requestId, syncError(status));
      const group = this.groups.get(req.groupId);
      if (!group) return this.respondSync(req.requestId, syncError("UNKNOWN_MEMBER_ID"));
      if (group.is("Dead")) return this.respondSync(req.requestId, syncError("COORDINATOR_NOT_AVAILABLE"));
      if (this.faults.has("stale-syncgroup") && this.answerStaleSync(group, req)) return;
      const member = group.members.get(req.memberId);
      if (!member) return this.respondSync(req.requestId, syncError("UNKNOWN_MEMBER_ID"));
      if (req.generationId !== group.generationId)
        return this.respondSync(req.requestId, syncError("ILLEGAL_GENERATION"));
      if (
        (req.protocolType != null && req.protocolType !== group.protocolType) ||
        (req.protocolName != null && req.protocolName !== group.protocolName)
      ) {
        return this.respondSync(req.requestId, syncError("INCONSISTENT_GROUP_PROTOCOL"));
      }
      switch (group.state) {
        case "Empty":
          return this.respondSync(req.requestId, syncError("UNKNOWN_MEMBER_ID"));
        case "PreparingRebalance":
          return this.respondSync(req.requestId, syncError("REBALANCE_IN_PROGRESS"));
        case "CompletingRebalance": {
          this.parkSync(member, req.requestId);
          this.removePendingSyncMember(group, member.memberId);
          if (group.isLeader(member.memberId)) this.storeLeaderAssignment(group, req, now);
          return;
        }
        case "Stable": {
          this.removePendingSyncMember(group, member.memberId);
          this.respondSync(req.requestId, {
            error: "NONE",
            protocolType: group.protocolType,
            protocolName: group.protocolName,
            assignment: member.assignment,
          });
          this.scheduleHeartbeat(member, now);
          return;
        }
        case "Dead":
          throw new Error(`group ${group.groupId} is Dead but still registered`);
      }
    });
  }

  heartbeat(req: HeartbeatRequest, now: number): GroupEffect[] {
    return this.run(now, () => {
      const respond = (error: GroupError) =>
        this.out.push({ kind: "respond", requestId: req.requestId, api: "Heartbeat", body: { error } });
      const status = this.validateGroupStatus(req.groupId, true);
      // Kafka answers a heartbeat blindly while loading: the member keeps its session.
      if (status === "COORDINATOR_LOAD_IN_PROGRESS") return respond("NONE");
      if (status !== null) return respond(status);
      const group = this.groups.get(req.groupId);
      if (!group) return respond("UNKNOWN_MEMBER_ID");
      if (group.is("Dead")) return respond("COORDINATOR_NOT_AVAILABLE");
      const member = group.members.get(req.memberId);
      if (!member) return respond("UNKNOWN_MEMBER_ID");
      if (req.generationId !== group.generationId) return respond("ILLEGAL_GENERATION");
      switch (group.state) {
        case "Empty":
          return respond("UNKNOWN_MEMBER_ID");
        case "CompletingRebalance":
          // A member may heartbeat between its JoinGroup response and its SyncGroup.
          this.scheduleHeartbeat(member, now);
          return respond("NONE");
        case "PreparingRebalance":
          this.scheduleHeartbeat(member, now);
          return respond("REBALANCE_IN_PROGRESS");
        case "Stable":
          this.scheduleHeartbeat(member, now);
          return respond("NONE");
        case "Dead":
          throw new Error(`group ${group.groupId} is Dead but still registered`);
      }
    });
  }

  leaveGroup(req: LeaveGroupRequest, now: number): GroupEffect[] {
    return this.run(now, () => {
      const respond = (body: LeaveGroupResponse) =>
        this.out.push({ kind: "respond", requestId: req.requestId, api: "LeaveGroup", body });
      const status = this.validateGroupStatus(req.groupId, true);
      if (status !== null) return respond({ error: status, members: [] });
      const group = this.groups.get(req.groupId);
      if (!group) {
        return respond({
          error: "NONE",
          members: req.members.map((m) => ({ ...m, error: "UNKNOWN_MEMBER_ID" })),
        });
      }
      if (group.is("Dead")) return respond({ error: "COORDINATOR_NOT_AVAILABLE", members: [] });
      const results: LeaveGroupResponse["members"] = [];
      for (const identity of req.members) {
        if (group.pendingMembers.has(identity.memberId)) {
          group.pendingMembers.delete(identity.memberId);
          if (group.is("PreparingRebalance")) this.tryCompleteJoin(group, now);
          results.push({ ...identity, error: "NONE" });
          continue;
        }
        const member = group.members.get(identity.memberId);
        if (!member) {
          results.push({ ...identity, error: "UNKNOWN_MEMBER_ID" });
          continue;
        }
        this.removeMemberAndUpdateGroup(group, member, now);
        results.push({ ...identity, error: "NONE" });
      }
      respond({ error: "NONE", members: results });
    });
  }

  /**
   * `partitionExists` is the broker's metadata cache. Kafka's KafkaApis.handleOffsetCommitRequest answers
   * a partition it does not know (a topic that does not exist, an index beyond its count)
   * UNKNOWN_TOPIC_OR_PARTITION before the coordinator sees the request, and hands the coordinator only
   * the rest: with none left, nothing is validated or stored (no group is created).
   */
  offsetCommit(
    req: OffsetCommitRequest,
    now: number,
    partitionExists: (topic: string, partition: number) => boolean = () => true,
  ): GroupEffect[] {
    const unknown = new Set<string>();
    let partitions = 0;
    for (const t of req.topics)
      for (const p of t.partitions) {
        partitions++;
        if (!partitionExists(t.name, p.partitionIndex)) unknown.add(offsetKey(t.name, p.partitionIndex));
      }
    return this.run(now, () => {
      if (unknown.size > 0 && unknown.size === partitions)
        return this.respondCommitAll(req, "UNKNOWN_TOPIC_OR_PARTITION");
      const status = this.validateGroupStatus(req.groupId, false);
      if (status !== null) return this.respondCommitAll(req, status, unknown);
      let group = this.groups.get(req.groupId);
      if (!group) {
        // No group: only a consumer outside group management may commit (and so creates it).
        if (req.generationId >= 0) return this.respondCommitAll(req, "ILLEGAL_GENERATION", unknown);
        group = new Group(req.groupId, this.partitionFor(req.groupId), now);
        this.groups.set(req.groupId, group);
      }
      const verdict = this.validateOffsetCommit(group, req);
      if (verdict === "stale-accepted") return this.storeOffsets(group, req, now, unknown);
      if (verdict !== null) return this.respondCommitAll(req, verdict, unknown);
      switch (group.state) {
        case "Empty":
          return this.storeOffsets(group, req, now, unknown);
        case "Stable":
        case "PreparingRebalance": {
          // Still allowed while preparing: the heartbeat tells the member to rejoin.
          const member = group.members.get(req.memberId);
          if (member) this.scheduleHeartbeat(member, now);
          return this.storeOffsets(group, req, now, unknown);
        }
        case "CompletingRebalance":
          // The member has its new generation but not its assignment yet.
          return this.respondCommitAll(req, "REBALANCE_IN_PROGRESS", unknown);
        case "Dead":
          throw new Error(`group ${group.groupId} is Dead but still registered`);
      }
    });
  }

  /** The outcome of an `append` effect. `error` null or "NONE": replicated as acks=all requires. */
  appendCompleted(token: number, error: GroupError | null, now: number): GroupEffect[] {
    return this.run(now, () => {
      const pending = this.pendingAppends.get(token);
      if (!pending) return;
      this.pendingAppends.delete(token);
      const failed = error !== null && error !== "NONE" ? error : null;
      switch (pending.kind) {
        case "commit":
          return this.completeCommit(pending, failed);
        case "storeGroup":
          return this.completeStoreGroup(pending, failed, now);
        case "storeEmptyGroup":
          // Nothing waits on it: an Empty group's generation is lost at worst, which is safe.
          return;
        case "tombstones":
          return;
      }
    });
  }

  offsetFetch(req: OffsetFetchRequest): OffsetFetchResponse {
    const status = this.validateGroupStatus(req.groupId, false);
    if (status !== null) return { error: status, topics: [] };
    // Offsets are answered whatever the group's state: simple consumers use them without a group.
    const group = this.groups.get(req.groupId);
    const entry = (topic: string, partition: number): OffsetFetchResponsePartition => {
      const o = group?.offsets.get(offsetKey(topic, partition));
      return o
        ? {
            partitionIndex: partition,
            committedOffset: o.value.offset,
            committedLeaderEpoch: o.value.leaderEpoch,
            metadata: o.value.metadata,
            error: "NONE",
          }
        : {
            partitionIndex: partition,
            committedOffset: -1,
            committedLeaderEpoch: -1,
            metadata: "",
            error: "NONE",
          };
    };
    if (req.topics === null) {
      const all = [...(group?.offsets.values() ?? [])];
      return {
        error: "NONE",
        topics: groupByTopic(all).map((t) => ({
          name: t.topic,
          partitions: t.partitions.map((p) => entry(t.topic, p)),
        })),
      };
    }
    return {
      error: "NONE",
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((p) => entry(t.name, p)),
      })),
    };
  }

  describeGroups(req: DescribeGroupsRequest): DescribeGroupsResponse {
    return { groups: req.groups.map((id) => this.describeGroup(id)) };
  }

  listGroups(req: ListGroupsRequest = {}): ListGroupsResponse {
    const filter = new Set((req.statesFilter ?? []).map((s) => s.toLowerCase()));
    const groups = [...this.groups.values()]
      .filter((g) => this.owned.has(g.partition) && !g.is("Dead"))
      .filter((g) => filter.size === 0 || filter.has(g.state.toLowerCase()))
      .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0))
      .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? "", groupState: g.state }));
    return { error: this.loading.size > 0 ? "COORDINATOR_LOAD_IN_PROGRESS" : "NONE", groups };
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Deleted topics                                                                                  */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * Kafka's handleDeletedPartitions (GroupMetadataManager.cleanupGroupMetadata): the committed offsets of
   * deleted topics leave every group this broker coordinates, with tombstones in __consumer_offsets, so
   * a topic created again under the name is not read from the old one's positions. An Empty group left
   * without offsets is removed, as offset expiry does. Repeating it for the same topics does nothing.
   */
  handleDeletedTopics(topics: ReadonlySet<string>, now: number): GroupEffect[] {
    return this.run(now, () => {
      for (const group of [...this.groups.values()]) {
        const records: OffsetsRecord[] = [];
        for (const [k, o] of group.offsets) {
          if (!topics.has(o.topic)) continue;
          group.offsets.delete(k);
          records.push({ key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition), value: null });
        }
        if (records.length === 0) continue;
        if (group.is("Empty") && group.offsets.size === 0) {
          group.transitionTo("Dead", now);
          this.groups.delete(group.groupId);
          records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
        }
        const token = this.nextToken++;
        this.pendingAppends.set(token, { kind: "tombstones" });
        this.out.push({ kind: "append", token, partition: group.partition, records });
      }
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Time                                                                                            */
  /* ---------------------------------------------------------------------------------------------- */

  /** Fire every delayed operation due by `now`: join and sync phases, session and pending expiries. */
  tick(now: number): GroupEffect[] {
    return this.run(now, () => {});
  }

  /** The earliest time at which `tick` has something to do, or null when nothing is scheduled. */
  nextDeadline(): number | null {
    let best: number | null = null;
    for (const g of this.groups.values()) {
      const d = this.groupDeadline(g);
      if (d !== null && (best === null || d.at < best)) best = d.at;
    }
    return best;
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Observation                                                                                     */
  /* ---------------------------------------------------------------------------------------------- */

  inspect(groupId: string): GroupSnapshot | null {
    const g = this.groups.get(groupId);
    if (!g) return null;
    return {
      groupId: g.groupId,
      partition: g.partition,
      state: g.state,
      generationId: g.generationId,
      protocolType: g.protocolType,
      protocolName: g.protocolName,
      leaderId: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        clientId: m.clientId,
        assignment: m.assignment,
        awaitingJoin: m.awaitingJoin !== null,
        awaitingSync: m.awaitingSync !== null,
        heartbeatDeadline: m.heartbeatDeadline,
      })),
      pendingMembers: [...g.pendingMembers.keys()],
      offsets: [...g.offsets.values()].map((o) => ({ topic: o.topic, partition: o.partition, ...o.value })),
    };
  }

  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  /**
   * The groups as the suite's white-box invariants read them. Consumer-protocol assignments are
   * decoded; `client` is the member's client id (the adapter maps it to its logical client name).
   */
  observe(): GroupObservation[] {
    return this.groupIds().map((id) => {
      const g = this.groups.get(id) as Group;
      const consumer = g.protocolType === CONSUMER_PROTOCOL_TYPE;
      return {
        groupId: g.groupId,
        state: g.state,
        generation: g.generationId,
        leader: g.leaderId,
        protocol: g.protocolName,
        members: [...g.members.values()].map((m) => ({
          memberId: m.memberId,
          client: m.clientId,
          assignment: consumer ? safeAssigned(m.assignment) : [],
        })),
        committed: [...g.offsets.values()]
          .map((o) => ({ topic: o.topic, partition: o.partition, offset: o.value.offset }))
          .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition)),
      };
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Join phase                                                                                      */
  /* ---------------------------------------------------------------------------------------------- */

  private joinUnknownMember(group: Group, req: JoinGroupRequest, now: number) {
    if (group.is("Dead")) return this.respondJoin(req.requestId, joinError("", "COORDINATOR_NOT_AVAILABLE"));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return this.respondJoin(req.requestId, joinError("", "INCONSISTENT_GROUP_PROTOCOL"));
    }
    const memberId = this.newMemberId(group, req.clientId);
    if (req.requireKnownMemberId) {
      // KIP-394: hand out the id and count the member only when it comes back with it.
      group.pendingMembers.set(memberId, now + req.sessionTimeoutMs);
      return this.respondJoin(req.requestId, joinError(memberId, "MEMBER_ID_REQUIRED"));
    }
    this.addMemberAndRebalance(group, req, memberId, now);
  }

  private joinKnownMember(group: Group, req: JoinGroupRequest, now: number) {
    if (group.is("Dead"))
      return this.respondJoin(req.requestId, joinError(req.memberId, "COORDINATOR_NOT_AVAILABLE"));
    if (!group.supportsProtocols(req.protocolType, req.protocols)) {
      return this.respondJoin(req.requestId, joinError(req.memberId, "INCONSISTENT_GROUP_PROTOCOL"));
    }
    if (group.pendingMembers.has(req.memberId))
      return this.addMemberAndRebalance(group, req, req.memberId, now);
    const member = group.members.get(req.memberId);
    if (!member) return this.respondJoin(req.requestId, joinError(req.memberId, "UNKNOWN_MEMBER_ID"));
    switch (group.state) {
      case "PreparingRebalance":
        return this.updateMemberAndRebalance(group, member, req, now);
      case "CompletingRebalance":
        // Same metadata: the member missed its JoinGroup response; give it the current generation again.
        if (sameProtocols(member, req))
          return this.respondJoin(req.requestId, this.joinResult(group, member));
        return this.updateMemberAndRebalance(group, member, req, now);
      case "Stable":
        // The leader's rejoin forces a rebalance (it may have seen metadata change); so does new metadata.
        if (group.isLeader(member.memberId) || !sameProtocols(member, req)) {
          return this.updateMemberAndRebalance(group, member, req, now);
        }
        return this.respondJoin(req.requestId, { ...this.joinResult(group, member), members: [] });
      case "Empty":
      case "Dead":
        return this.respondJoin(req.requestId, joinError(req.memberId, "UNKNOWN_MEMBER_ID"));
    }
  }

  private addMemberAndRebalance(group: Group, req: JoinGroupRequest, memberId: string, now: number): void {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
      assignment: Buffer.alloc(0),
      awaitingJoin: req.requestId,
      awaitingSync: null,
      isNew: true,
      // A new member cannot heartbeat yet; it is dropped only if its join never completes.
      heartbeatDeadline: now + NEW_MEMBER_JOIN_TIMEOUT_MS,
    };
    // A member joining during the initial delay extends it (up to the rebalance timeout).
    if (group.is("PreparingRebalance") && group.generationId === 0 && group.join)
      group.join.newMemberAdded = true;
    group.add(member);
    this.maybePrepareRebalance(group, now);
  }

  private updateMemberAndRebalance(group: Group, member: Member, req: JoinGroupRequest, now: number): void {
    member.protocols = req.protocols;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.clientId = req.clientId;
    member.clientHost = req.clientHost;
    this.parkJoin(member, req.requestId);
    this.maybePrepareRebalance(group, now);
  }

  private maybePrepareRebalance(group: Group, now: number): void {
    if (group.canRebalance()) this.prepareRebalance(group, now);
  }

  private prepareRebalance(group: Group, now: number): void {
    // Members waiting for an assignment must rejoin instead.
    if (group.is("CompletingRebalance"))
      this.resetAndPropagateAssignmentError(group, "REBALANCE_IN_PROGRESS", now);
    const delay = this.config.initialRebalanceDelayMs;
    group.join = group.is("Empty")
      ? {
          deadline: now + delay,
          initial: true,
          remainingMs: Math.max(group.rebalanceTimeoutMs() - delay, 0),
          newMemberAdded: false,
        }
      : { deadline: now + group.rebalanceTimeoutMs(), initial: false, remainingMs: 0, newMemberAdded: false };
    group.sync = null;
    group.pendingSyncMembers.clear();
    group.transitionTo("PreparingRebalance", now);
    this.tryCompleteJoin(group, now);
  }

  /** The normal join completes as soon as everyone is in; the initial delay always runs out. */
  private tryCompleteJoin(group: Group, now: number): void {
    if (
      group.is("PreparingRebalance") &&
      group.join !== null &&
      !group.join.initial &&
      group.hasAllMembersJoined()
    ) {
      this.completeJoin(group, now);
    }
  }

  private onJoinDeadline(group: Group, at: number): void {
    const join = group.join;
    if (join === null) return;
    if (join.initial && join.newMemberAdded && join.remainingMs > 0) {
      const delay = Math.min(this.config.initialRebalanceDelayMs, join.remainingMs);
      group.join = {
        deadline: at + delay,
        initial: true,
        remainingMs: Math.max(join.remainingMs - delay, 0),
        newMemberAdded: false,
      };
      return;
    }
    this.completeJoin(group, at);
  }

  private completeJoin(group: Group, now: number): void {
    group.join = null;
    // Members that did not rejoin in time are out.
    for (const m of [...group.members.values()]) if (m.awaitingJoin === null) group.remove(m.memberId);
    if (group.is("Dead")) return;
    group.generationId += 1;
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transitionTo("Empty", now);
      this.appendGroupMetadata(group, new Map(), { kind: "storeEmptyGroup", group }, now);
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo("CompletingRebalance", now);
    for (const m of group.members.values()) {
      const requestId = m.awaitingJoin;
      // Members that had not rejoined were removed above.
      if (requestId === null)
        throw new Error(`group ${group.groupId}: ${m.memberId} completed a join it is not in`);
      m.awaitingJoin = null;
      this.respondJoin(requestId, this.joinResult(group, m));
      this.scheduleHeartbeat(m, now);
      m.isNew = false;
      group.pendingSyncMembers.add(m.memberId);
    }
    group.sync = { deadline: now + group.rebalanceTimeoutMs(), generationId: group.generationId };
  }

  private joinResult(group: Group, member: Member): JoinGroupResponse {
    return {
      error: "NONE",
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? "",
      memberId: member.memberId,
      members: group.isLeader(member.memberId)
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: group.metadataOf(m),
          }))
        : [],
    };
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Sync phase                                                                                      */
  /* ---------------------------------------------------------------------------------------------- */

  private storeLeaderAssignment(group: Group, req: SyncGroupRequest, now: number): void {
    const assignment = new Map<string, Buffer>();
    for (const a of req.assignments) if (group.has(a.memberId)) assignment.set(a.memberId, a.assignment);
    // Members the leader left out get an empty assignment.
    for (const id of group.members.keys()) if (!assignment.has(id)) assignment.set(id, Buffer.alloc(0));
    this.appendGroupMetadata(
      group,
      assignment,
      { kind: "storeGroup", group, generationId: group.generationId, assignment },
      now,
    );
  }

  private completeStoreGroup(
    pending: Extract<PendingAppend, { kind: "storeGroup" }>,
    error: GroupError | null,
    now: number,
  ): void {
    const group = pending.group;
    // Another rebalance may have started while the record was being replicated, or the group may have
    // been unloaded (a reloaded group is a new object whose generations can repeat): then nothing to do.
    if (this.groups.get(group.groupId) !== group) return;
    if (!group.is("CompletingRebalance") || group.generationId !== pending.generationId) return;
    if (error !== null) {
      this.resetAndPropagateAssignmentError(group, storeGroupError(error as KafkaErrorName), now);
      this.maybePrepareRebalance(group, now);
      return;
    }
    this.setAndPropagateAssignment(group, pending.assignment, now);
    group.transitionTo("Stable", now);
  }

  private setAndPropagateAssignment(group: Group, stored: Map<string, Buffer>, now: number): void {
    const assignment = this.faults.has("double-assignment")
      ? this.duplicateOnePartition(group, stored)
      : stored;
    for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? Buffer.alloc(0);
    group.rememberAssignments(group.generationId, assignment);
    this.propagateAssignment(group, "NONE", now);
  }

  private resetAndPropagateAssignmentError(group: Group, error: GroupError, now: number): void {
    for (const m of group.members.values()) m.assignment = Buffer.alloc(0);
    this.propagateAssignment(group, error, now);
  }

  private propagateAssignment(group: Group, error: GroupError, now: number): void {
    for (const m of group.members.values()) {
      if (m.awaitingSync === null) continue;
      const requestId = m.awaitingSync;
      m.awaitingSync = null;
      this.respondSync(
        requestId,
        error === "NONE"
          ? {
              error,
              protocolType: group.protocolType,
              protocolName: group.protocolName,
              assignment: m.assignment,
            }
          : syncError(error),
      );
      // Sessions restart from here: expiry was suspended while the member waited.
      this.scheduleHeartbeat(m, now);
    }
  }

  private removePendingSyncMember(group: Group, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) group.sync = null;
  }

  /** Members that got a JoinGroup response but never synced within the rebalance timeout are dropped. */
  private onSyncDeadline(group: Group, at: number): void {
    const sync = group.sync;
    group.sync = null;
    if (sync === null || sync.generationId !== group.generationId) return;
    if (!group.is("CompletingRebalance") && !group.is("Stable")) return;
    if (group.pendingSyncMembers.size === 0) return;
    for (const id of [...group.pendingSyncMembers]) {
      const m = group.members.get(id);
      if (m) this.removeMember(group, m);
    }
    this.prepareRebalance(group, at);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Membership                                                                                      */
  /* ---------------------------------------------------------------------------------------------- */

  /** Take a member out, answering whatever it has parked, without touching the group's state. */
  private removeMember(group: Group, member: Member): void {
    // A member removed with a JoinGroup parked learns it with UNKNOWN_MEMBER_ID and may join afresh.
    if (member.awaitingJoin !== null)
      this.respondJoin(member.awaitingJoin, joinError("", "UNKNOWN_MEMBER_ID"));
    if (member.awaitingSync !== null) this.respondSync(member.awaitingSync, syncError("UNKNOWN_MEMBER_ID"));
    member.awaitingJoin = null;
    member.awaitingSync = null;
    group.remove(member.memberId);
  }

  private removeMemberAndUpdateGroup(group: Group, member: Member, now: number) {
    this.removeMember(group, member);
    switch (group.state) {
      case "Dead":
      case "Empty":
        return;
      case "Stable":
      case "CompletingRebalance":
        return this.maybePrepareRebalance(group, now);
      case "PreparingRebalance":
        return this.tryCompleteJoin(group, now);
    }
  }

  private onHeartbeatDeadline(group: Group, member: Member, at: number): void {
    // A parked member is alive by definition (it cannot heartbeat while parked); new members are
    // the exception: they only get NEW_MEMBER_JOIN_TIMEOUT_MS to see their join through.
    if (!member.isNew && (member.awaitingJoin !== null || member.awaitingSync !== null)) {
      member.heartbeatDeadline = null;
      return;
    }
    this.removeMemberAndUpdateGroup(group, member, at);
  }

  private onPendingMemberDeadline(group: Group, memberId: string, at: number): void {
    group.pendingMembers.delete(memberId);
    if (group.is("PreparingRebalance")) this.tryCompleteJoin(group, at);
  }

  private scheduleHeartbeat(member: Member, now: number): void {
    member.heartbeatDeadline = now + member.sessionTimeoutMs;
  }

  /** A newer JoinGroup from the same member supersedes the parked one; the old one is answered. */
  private parkJoin(member: Member, requestId: RequestId): void {
    if (member.awaitingJoin !== null && member.awaitingJoin !== requestId) {
      this.respondJoin(member.awaitingJoin, joinError(member.memberId, "REBALANCE_IN_PROGRESS"));
    }
    member.awaitingJoin = requestId;
  }

  private parkSync(member: Member, requestId: RequestId): void {
    if (member.awaitingSync !== null && member.awaitingSync !== requestId) {
      this.respondSync(member.awaitingSync, syncError("REBALANCE_IN_PROGRESS"));
    }
    member.awaitingSync = requestId;
  }

  private newMemberId(group: Group, clientId: string): string {
    for (;;) {
      const suffix = this.config.memberIdSuffix ? this.config.memberIdSuffix() : randomUUID();
      const id = `${clientId}-${suffix}`;
      if (!group.members.has(id) && !group.pendingMembers.has(id)) return id;
    }
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Offsets                                                                                         */
  /* ---------------------------------------------------------------------------------------------- */

  /** Kafka's validateOffsetCommit; "stale-accepted" only with the commit-old-generation fault on. */
  private validateOffsetCommit(group: Group, req: OffsetCommitRequest): GroupError | "stale-accepted" | null {
    if (group.is("Dead")) return "COORDINATOR_NOT_AVAILABLE";
    if (req.generationId < 0 && group.is("Empty")) return null;
    if (
      this.faults.has("commit-old-generation") &&
      req.generationId >= 0 &&
      req.generationId < group.generationId
    ) {
      return "stale-accepted";
    }
    if (req.generationId >= 0 || req.memberId !== "" || req.groupInstanceId !== null) {
      if (!group.has(req.memberId)) return "UNKNOWN_MEMBER_ID";
      if (req.generationId !== group.generationId) return "ILLEGAL_GENERATION";
      return null;
    }
    // A commit outside group management while the group has members.
    return "UNKNOWN_MEMBER_ID";
  }

  private storeOffsets(
    group: Group,
    req: OffsetCommitRequest,
    now: number,
    unknown: ReadonlySet<string> = NO_PARTITIONS,
  ) {
    const rejected = new Map<string, GroupError>();
    const values: Extract<PendingAppend, { kind: "commit" }>["values"] = new Map();
    const records: OffsetsRecord[] = [];
    for (const t of req.topics) {
      for (const p of t.partitions) {
        const k = offsetKey(t.name, p.partitionIndex);
        if (unknown.has(k)) {
          rejected.set(k, "UNKNOWN_TOPIC_OR_PARTITION");
          continue;
        }
        const metadata = p.committedMetadata ?? "";
        if (metadata.length > this.config.offsetMetadataMaxBytes) {
          rejected.set(k, "OFFSET_METADATA_TOO_LARGE");
          continue;
        }
        const value: CommittedOffset = {
          offset: p.committedOffset,
          leaderEpoch: p.committedLeaderEpoch,
          metadata,
          commitTimestamp: now,
          expireTimestamp: -1,
        };
        values.set(k, { topic: t.name, partition: p.partitionIndex, value });
        records.push(offsetCommitRecord(group.groupId, t.name, p.partitionIndex, value));
      }
    }
    const pending: PendingAppend = {
      kind: "commit",
      requestId: req.requestId,
      group,
      request: req,
      rejected,
      values,
    };
    if (records.length === 0) return this.completeCommit(pending, null);
    const token = this.nextToken++;
    this.pendingAppends.set(token, pending);
    this.out.push({ kind: "append", token, partition: group.partition, records });
  }

  private completeCommit(
    pending: Extract<PendingAppend, { kind: "commit" }>,
    error: GroupError | null,
  ): void {
    const appendError = error === null ? "NONE" : storeOffsetsError(error as KafkaErrorName);
    if (appendError === "NONE") {
      // The commit is durable; the cache only matters while we still coordinate the group.
      const group = pending.group;
      if (this.groups.get(group.groupId) === group && !group.is("Dead")) {
        for (const [k, v] of pending.values) group.offsets.set(k, v);
      }
    }
    const body: OffsetCommitResponse = {
      topics: pending.request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          error: pending.rejected.get(offsetKey(t.name, p.partitionIndex)) ?? appendError,
        })),
      })),
    };
    this.out.push({ kind: "respond", requestId: pending.requestId, api: "OffsetCommit", body });
  }

  /** `error` for every partition but the unknown ones, which get UNKNOWN_TOPIC_OR_PARTITION. */
  private respondCommitAll(
    req: OffsetCommitRequest,
    error: GroupError,
    unknown: ReadonlySet<string> = NO_PARTITIONS,
  ): void {
    const body: OffsetCommitResponse = {
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          error: unknown.has(offsetKey(t.name, p.partitionIndex)) ? "UNKNOWN_TOPIC_OR_PARTITION" : error,
        })),
      })),
    };
    this.out.push({ kind: "respond", requestId: req.requestId, api: "OffsetCommit", body });
  }

  private appendGroupMetadata(
    group: Group,
    assignment: Map<string, Buffer>,
    pending: PendingAppend,
    now: number,
  ): void {
    const stored: StoredGroup = {
      protocolType: group.protocolType ?? "",
      generation: group.generationId,
      protocol: group.protocolName,
      leader: group.leaderId,
      currentStateTimestamp: now,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: group.metadataOf(m),
        assignment: assignment.get(m.memberId) ?? Buffer.alloc(0),
      })),
    };
    const token = this.nextToken++;
    this.pendingAppends.set(token, pending);
    this.out.push({
      kind: "append",
      token,
      partition: group.partition,
      records: [groupMetadataRecord(group.groupId, stored)],
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Offset retention (KIP-211)                                                                      */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * When an offset of the group is due to expire, following Kafka's GroupMetadata.removeExpiredOffsets:
   *   - a group using group management that is Empty: every offset, retention after it became Empty;
   *   - a Stable consumer group: offsets of topics no member subscribes to, retention after their commit;
   *   - a standalone group (simple commits, no protocol type): each offset, retention after its commit.
   * An Empty group left without offsets is deleted too (Kafka does it at its next periodic cleanup;
   * here one check interval after it became Empty). Kafka checks periodically; these deadlines are
   * exact, which is one of the times Kafka's check could have found.
   */
  private expiryDeadline(g: Group): number | null {
    const retention = this.config.offsetsRetentionMs;
    const expirable = this.expirableOffsets(g);
    if (expirable === null) return null;
    if (g.protocolType !== null && g.is("Empty")) {
      if (g.offsets.size === 0) return g.currentStateTimestamp + this.config.offsetsRetentionCheckIntervalMs;
      return g.currentStateTimestamp + retention;
    }
    if (g.protocolType === null && g.is("Empty") && g.offsets.size === 0) {
      return g.currentStateTimestamp + this.config.offsetsRetentionCheckIntervalMs;
    }
    let best: number | null = null;
    for (const o of expirable) {
      const at = o.value.commitTimestamp + retention;
      if (best === null || at < best) best = at;
    }
    return best;
  }

  /** The offsets the retention rules apply to in the group's state; null: none apply. */
  private expirableOffsets(g: Group): StoredOffset[] | null {
    if (g.protocolType !== null && g.is("Empty")) return [...g.offsets.values()];
    if (g.protocolType === null) return g.is("Empty") ? [...g.offsets.values()] : null;
    if (g.protocolType === CONSUMER_PROTOCOL_TYPE && g.is("Stable")) {
      const subscribed = new Set<string>();
      for (const m of g.members.values()) {
        try {
          for (const t of decodeSubscription(g.metadataOf(m)).topics) subscribed.add(t);
        } catch {
          // Unreadable metadata: we cannot tell what is subscribed, so expire nothing (as Kafka).
          return null;
        }
      }
      return [...g.offsets.values()].filter((o) => !subscribed.has(o.topic));
    }
    return null;
  }

  private expireOffsets(group: Group, at: number): void {
    const retention = this.config.offsetsRetentionMs;
    const whole = group.protocolType !== null && group.is("Empty");
    const records: OffsetsRecord[] = [];
    for (const o of this.expirableOffsets(group) ?? []) {
      const base = whole ? group.currentStateTimestamp : o.value.commitTimestamp;
      if (at - base < retention) continue;
      group.offsets.delete(offsetKey(o.topic, o.partition));
      records.push({ key: encodeOffsetCommitKey(group.groupId, o.topic, o.partition), value: null });
    }
    if (group.is("Empty") && group.offsets.size === 0) {
      group.transitionTo("Dead", at);
      this.groups.delete(group.groupId);
      records.push({ key: encodeGroupMetadataKey(group.groupId), value: null });
    }
    if (records.length === 0) return;
    const token = this.nextToken++;
    this.pendingAppends.set(token, { kind: "tombstones" });
    this.out.push({ kind: "append", token, partition: group.partition, records });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Seeded faults                                                                                   */
  /* ---------------------------------------------------------------------------------------------- */

  /** stale-syncgroup: answer a SyncGroup of an older generation with what the member held then. */
  private answerStaleSync(group: Group, req: SyncGroupRequest): boolean {
    if (req.generationId < 0 || req.generationId >= group.generationId) return false;
    const held = group.pastAssignments.get(req.generationId)?.get(req.memberId);
    if (held === undefined) return false;
    this.respondSync(req.requestId, {
      error: "NONE",
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      assignment: held,
    });
    return true;
  }

  /** double-assignment: copy the first partition of the first member that has one to another member. */
  private duplicateOnePartition(group: Group, stored: Map<string, Buffer>): Map<string, Buffer> {
    if (group.protocolType !== CONSUMER_PROTOCOL_TYPE || group.members.size < 2) return stored;
    const ids = [...group.members.keys()];
    try {
      const from = ids.find(
        (id) => assignedTopicPartitions(decodeAssignment(stored.get(id) ?? Buffer.alloc(0))).length > 0,
      );
      if (from === undefined) return stored;
      const to = ids.find((id) => id !== from) as string;
      const tp = assignedTopicPartitions(decodeAssignment(stored.get(from) as Buffer))[0];
      const target = decodeAssignment(stored.get(to) ?? Buffer.alloc(0));
      const list = assignedTopicPartitions(target);
      if (list.some((x) => x.topic === tp.topic && x.partition === tp.partition)) return stored;
      const out = new Map(stored);
      out.set(to, encodeAssignment({ ...target, partitions: groupByTopic([...list, tp]) }, target.version));
      return out;
    } catch {
      return stored;
    }
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Plumbing                                                                                        */
  /* ---------------------------------------------------------------------------------------------- */

  /** Every call: fire what is due by `now` (in deadline order), then handle the input. */
  private run(now: number, body: () => void): GroupEffect[] {
    this.out = [];
    const t = Math.max(now, this.clock);
    this.clock = t;
    this.fireDue(t);
    body();
    const out = this.out;
    this.out = [];
    return out;
  }

  private fireDue(now: number): void {
    for (let i = 0; i < MAX_FIRINGS_PER_CALL; i++) {
      let next: { group: Group; due: NonNullable<ReturnType<GroupCoordinator["groupDeadline"]>> } | null =
        null;
      for (const g of this.groups.values()) {
        const due = this.groupDeadline(g);
        if (due !== null && due.at <= now && (next === null || due.at < next.due.at))
          next = { group: g, due };
      }
      if (next === null) return;
      const { group, due } = next;
      switch (due.kind) {
        case "join":
          this.onJoinDeadline(group, due.at);
          break;
        case "sync":
          this.onSyncDeadline(group, due.at);
          break;
        case "heartbeat":
          this.onHeartbeatDeadline(group, group.members.get(due.memberId) as Member, due.at);
          break;
        case "pending":
          this.onPendingMemberDeadline(group, due.memberId, due.at);
          break;
        case "expire":
          this.expireOffsets(group, due.at);
          break;
      }
    }
    throw new Error("group coordinator: timers did not settle");
  }

  /** The group's earliest deadline; ties go join, sync, then members in order (deterministic). */
  private groupDeadline(
    g: Group,
  ):
    | { at: number; kind: "join" | "sync" | "expire" }
    | { at: number; kind: "heartbeat" | "pending"; memberId: string }
    | null {
    let best:
      | { at: number; kind: "join" | "sync" | "expire" }
      | { at: number; kind: "heartbeat" | "pending"; memberId: string }
      | null = null;
    if (g.join !== null) best = { at: g.join.deadline, kind: "join" };
    if (g.sync !== null && (best === null || g.sync.deadline < best.at))
      best = { at: g.sync.deadline, kind: "sync" };
    for (const m of g.members.values()) {
      if (m.heartbeatDeadline !== null && (best === null || m.heartbeatDeadline < best.at)) {
        best = { at: m.heartbeatDeadline, kind: "heartbeat", memberId: m.memberId };
      }
    }
    for (const [id, at] of g.pendingMembers) {
      if (best === null || at < best.at) best = { at, kind: "pending", memberId: id };
    }
    const expiry = this.expiryDeadline(g);
    if (expiry !== null && (best === null || expiry < best.at)) best = { at: expiry, kind: "expire" };
    return best;
  }

  private validateGroupStatus(groupId: string, managementApi: boolean): KafkaErrorName | null {
    // Group management needs a non-empty id; offsets and describe accept "" for compatibility.
    if (managementApi && groupId === "") return "INVALID_GROUP_ID";
    const p = this.partitionFor(groupId);
    if (this.loading.has(p)) return "COORDINATOR_LOAD_IN_PROGRESS";
    if (!this.owned.has(p)) return "NOT_COORDINATOR";
    return null;
  }

  private describeGroup(groupId: string): DescribedGroup {
    const status = this.validateGroupStatus(groupId, false);
    if (status !== null)
      return { error: status, groupId, groupState: "", protocolType: "", protocolData: "", members: [] };
    const g = this.groups.get(groupId);
    if (!g)
      return { error: "NONE", groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [] };
    const stable = g.is("Stable");
    return {
      error: "NONE",
      groupId,
      groupState: g.state,
      protocolType: g.protocolType ?? "",
      protocolData: stable ? (g.protocolName ?? "") : "",
      // Metadata and assignments are shown only for a Stable group, as Kafka does.
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? g.metadataOf(m) : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      })),
    };
  }

  private respondJoin(requestId: RequestId, body: JoinGroupResponse): void {
    this.out.push({ kind: "respond", requestId, api: "JoinGroup", body });
  }

  private respondSync(requestId: RequestId, body: SyncGroupResponse): void {
    this.out.push({ kind: "respond", requestId, api: "SyncGroup", body });
  }
}

function sameProtocols(member: Member, req: JoinGroupRequest): boolean {
  if (member.protocols.length !== req.protocols.length) return false;
  return member.protocols.every(
    (p, i) => p.name === req.protocols[i].name && p.metadata.equals(req.protocols[i].metadata),
  );
}

function safeAssigned(assignment: Buffer): Array<{ topic: string; partition: number }> {
  try {
    return assignedTopicPartitions(decodeAssignment(assignment));
  } catch {
    return [];
  }
}
