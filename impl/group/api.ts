/**
 * The group coordinator's inputs and outputs, shaped like Kafka's request and response messages
 * (field names are the camelCase of Kafka's JSON message specs) so the TCP broker maps them one to
 * one and the simulator's BrokerNode passes them through.
 *
 * Every mutating call takes the current time and returns effects. A response may come back in the
 * same call or in a later one (JoinGroup waits for the rest of the group, SyncGroup for the leader's
 * assignment, OffsetCommit for the replicated append): the caller matches it by `requestId`, which
 * it chooses (a correlation id, a connection+correlation pair, a simulator message id).
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { OffsetsRecord } from "./offsets-topic.ts";

export type GroupError = KafkaErrorName | "NONE";
/** Chosen by the caller; opaque to the coordinator. */
export type RequestId = string | number;

export interface JoinGroupProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupRequest {
  requestId: RequestId;
  groupId: string;
  /** "" for a member joining for the first time. */
  memberId: string;
  /** KIP-345 static membership; not supported: the coordinator treats every member as dynamic. */
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupProtocol[];
  sessionTimeoutMs: number;
  /** JoinGroup v0 has none: the broker passes sessionTimeoutMs here, as Kafka does. */
  rebalanceTimeoutMs: number;
  /** From the request header; the first part of a generated member id. */
  clientId: string;
  clientHost: string;
  /**
   * KIP-394: JoinGroup v4+ from a client that understands MEMBER_ID_REQUIRED. A new member then gets
   * its id back with that error and must join again with it before it counts as a member.
   */
  requireKnownMemberId: boolean;
}

export interface JoinGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  error: GroupError;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  memberId: string;
  /** Filled for the leader only: every member with its metadata for the chosen protocol. */
  members: JoinGroupResponseMember[];
}

export interface SyncGroupAssignment {
  memberId: string;
  assignment: Buffer;
}

export interface SyncGroupRequest {
  requestId: RequestId;
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v5+: checked against the group's when given. */
  protocolType?: string | null;
  protocolName?: string | null;
  /** The leader sends every member's assignment; followers send none. */
  assignments: SyncGroupAssignment[];
}

export interface SyncGroupResponse {
  error: GroupError;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export interface HeartbeatRequest {
  requestId: RequestId;
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  error: GroupError;
}

export interface LeaveGroupMemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

/** v3+ carries a batch; for v0..v2 the broker passes the single memberId as a batch of one. */
export interface LeaveGroupRequest {
  requestId: RequestId;
  groupId: string;
  members: LeaveGroupMemberIdentity[];
}

export interface LeaveGroupResponse {
  /** Top-level error; for v0..v2 the broker answers the member's own error when this is NONE. */
  error: GroupError;
  members: Array<LeaveGroupMemberIdentity & { error: GroupError }>;
}

export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  /** v6+; -1 otherwise. */
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface OffsetCommitRequest {
  requestId: RequestId;
  groupId: string;
  /** -1 with memberId "": a "simple" commit by a consumer that does not use group management. */
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: Array<{ name: string; partitions: OffsetCommitRequestPartition[] }>;
}

export interface OffsetCommitResponse {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; error: GroupError }> }>;
}

export interface OffsetFetchRequest {
  groupId: string;
  /** null (v2+): every committed offset of the group. */
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  /** -1 when nothing is committed. */
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  error: GroupError;
}

export interface OffsetFetchResponse {
  /** Top-level (v2+); for v0/v1 the broker copies it into each partition. */
  error: GroupError;
  topics: Array<{ name: string; partitions: OffsetFetchResponsePartition[] }>;
}

export interface DescribeGroupsRequest {
  groups: string[];
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Empty unless the group is Stable (as in Kafka). */
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface DescribedGroup {
  error: GroupError;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
}

export interface DescribeGroupsResponse {
  groups: DescribedGroup[];
}

export interface ListGroupsRequest {
  /** v4+: only groups in these states (case-insensitive); empty or absent: all. */
  statesFilter?: string[];
}

export interface ListGroupsResponse {
  error: GroupError;
  groups: Array<{ groupId: string; protocolType: string; groupState: string }>;
}

export type GroupResponse =
  | { api: "JoinGroup"; body: JoinGroupResponse }
  | { api: "SyncGroup"; body: SyncGroupResponse }
  | { api: "Heartbeat"; body: HeartbeatResponse }
  | { api: "LeaveGroup"; body: LeaveGroupResponse }
  | { api: "OffsetCommit"; body: OffsetCommitResponse };

/**
 * What the coordinator asks of its driver.
 *   respond: send this response for the request with this id.
 *   append:  append these records to `__consumer_offsets` partition `partition` with acks=all and
 *            call `appendCompleted(token, error, now)` when it is done (or has failed).
 */
export type GroupEffect =
  | ({ kind: "respond"; requestId: RequestId } & GroupResponse)
  | { kind: "append"; token: number; partition: number; records: OffsetsRecord[] };

export interface GroupCoordinatorConfig {
  /** offsets.topic.num.partitions (default 50). */
  offsetsTopicPartitions: number;
  /** group.initial.rebalance.delay.ms (Kafka's default 3000; the simulator may use 0). */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms (default 6000). */
  minSessionTimeoutMs: number;
  /** group.max.session.timeout.ms (default 1800000). */
  maxSessionTimeoutMs: number;
  /** offset.metadata.max.bytes (default 4096). */
  offsetMetadataMaxBytes: number;
  /** offsets.retention.minutes in ms (default 7 days): KIP-211 expiry of committed offsets. */
  offsetsRetentionMs: number;
  /**
   * offsets.retention.check.interval.ms (default 600000): how long an Empty group with no offsets
   * lingers before it is deleted (Kafka deletes it at its next periodic cleanup).
   */
  offsetsRetentionCheckIntervalMs: number;
  /** Seeded-fault names switched on for this run (see seeded.ts); others are ignored. */
  seededFaults: readonly string[];
  /**
   * Suffix of generated member ids (`${clientId}-${suffix}`). Default: a random UUID, as Kafka. The
   * simulator passes one drawn from its seeded PRNG so a run is reproducible. Suffixes must not
   * repeat across coordinators either: after a failover a reused id could let a zombie pass fencing.
   */
  memberIdSuffix?: () => string;
}

export const DEFAULT_GROUP_COORDINATOR_CONFIG: GroupCoordinatorConfig = {
  offsetsTopicPartitions: 50,
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1800000,
  offsetMetadataMaxBytes: 4096,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  seededFaults: [],
};

/** Kafka's names for its property keys, so a server.properties map configures the coordinator. */
export function groupConfigFromProperties(
  props: Record<string, string | number | boolean | undefined>,
  seededFaults: readonly string[] = [],
): GroupCoordinatorConfig {
  const num = (key: string, dflt: number): number => {
    const v = props[key];
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new RangeError(`${key}=${String(v)} is not a number`);
    return n;
  };
  const d = DEFAULT_GROUP_COORDINATOR_CONFIG;
  return {
    offsetsTopicPartitions: num("offsets.topic.num.partitions", d.offsetsTopicPartitions),
    initialRebalanceDelayMs: num("group.initial.rebalance.delay.ms", d.initialRebalanceDelayMs),
    minSessionTimeoutMs: num("group.min.session.timeout.ms", d.minSessionTimeoutMs),
    maxSessionTimeoutMs: num("group.max.session.timeout.ms", d.maxSessionTimeoutMs),
    offsetMetadataMaxBytes: num("offset.metadata.max.bytes", d.offsetMetadataMaxBytes),
    // Kafka's property is in minutes; "offsets.retention.ms" (what the model reads) wins when given.
    offsetsRetentionMs:
      props["offsets.retention.ms"] !== undefined
        ? num("offsets.retention.ms", d.offsetsRetentionMs)
        : num("offsets.retention.minutes", d.offsetsRetentionMs / 60_000) * 60_000,
    offsetsRetentionCheckIntervalMs: num(
      "offsets.retention.check.interval.ms",
      d.offsetsRetentionCheckIntervalMs,
    ),
    seededFaults,
  };
}
