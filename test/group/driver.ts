/**
 * A test driver for the sans-IO group coordinator: a virtual clock, an in-memory `__consumer_offsets`
 * (one record list per partition) and a mailbox of responses. It checks, on every effect, that each
 * request is answered exactly once: the property the simulator relies on to settle every operation.
 */
import type {
  GroupCoordinatorConfig,
  GroupEffect,
  GroupResponse,
  HeartbeatResponse,
  JoinGroupResponse,
  LeaveGroupResponse,
  OffsetCommitResponse,
  RequestId,
  SyncGroupResponse,
} from "../../impl/group/api.ts";
import {
  CONSUMER_PROTOCOL_TYPE,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  groupByTopic,
} from "../../impl/group/consumer-protocol.ts";
import { GroupCoordinator } from "../../impl/group/coordinator.ts";
import { decodeOffsetsKey, type OffsetsRecord } from "../../impl/group/offsets-topic.ts";

interface ResponseBodies {
  JoinGroup: JoinGroupResponse;
  SyncGroup: SyncGroupResponse;
  Heartbeat: HeartbeatResponse;
  LeaveGroup: LeaveGroupResponse;
  OffsetCommit: OffsetCommitResponse;
}
export type ResponseOf<A extends GroupResponse["api"]> = ResponseBodies[A];

export interface HeldAppend {
  token: number;
  partition: number;
  records: OffsetsRecord[];
}

export class Driver {
  readonly coord: GroupCoordinator;
  now = 0;
  /** The replicated `__consumer_offsets` log, by partition. */
  readonly log: Map<number, OffsetsRecord[]>;
  readonly responses = new Map<RequestId, GroupResponse>();
  readonly issued = new Set<RequestId>();
  /** When false, appends wait in `held` until `completeAppends` runs. */
  autoAppend = true;
  readonly held: HeldAppend[] = [];
  private nextRequest = 1;
  /** Called as each response is recorded, with the coordinator in the state that produced it. */
  onResponse: ((requestId: RequestId, response: GroupResponse) => void) | null = null;

  constructor(
    config: Partial<GroupCoordinatorConfig> = {},
    opts: { log?: Map<number, OffsetsRecord[]>; load?: boolean; startAt?: number; name?: string } = {},
  ) {
    // Member ids from a per-driver counter: deterministic; `name` keeps two coordinators' ids apart.
    let issuedIds = 0;
    const name = opts.name ?? "d";
    this.coord = new GroupCoordinator({
      initialRebalanceDelayMs: 3000,
      memberIdSuffix: () => `${name}${++issuedIds}`,
      ...config,
    });
    this.log = opts.log ?? new Map();
    this.now = opts.startAt ?? 0;
    if (opts.load ?? true) {
      for (let p = 0; p < this.coord.config.offsetsTopicPartitions; p++) {
        this.apply(this.coord.loadPartition(p, this.log.get(p) ?? [], this.now));
      }
    }
  }

  rid(): RequestId {
    const id = `r${this.nextRequest++}`;
    this.issued.add(id);
    return id;
  }

  apply(effects: GroupEffect[]): void {
    for (const e of effects) {
      if (e.kind === "respond") {
        if (!this.issued.has(e.requestId))
          throw new Error(`response to unknown request ${String(e.requestId)}`);
        if (this.responses.has(e.requestId)) throw new Error(`request ${String(e.requestId)} answered twice`);
        const response = { api: e.api, body: e.body } as GroupResponse;
        this.responses.set(e.requestId, response);
        this.onResponse?.(e.requestId, response);
      } else {
        this.countGroupDeletions(e.records);
        if (this.autoAppend) {
          this.appendToLog(e.partition, e.records);
          this.apply(this.coord.appendCompleted(e.token, "NONE", this.now));
        } else {
          this.held.push({ token: e.token, partition: e.partition, records: e.records });
        }
      }
    }
  }

  /**
   * Groups deleted (a group tombstone was written), by group id. A deleted group's generations start
   * over, so generation numbers only compare within one incarnation.
   */
  readonly groupDeletions = new Map<string, number>();

  private countGroupDeletions(records: OffsetsRecord[]): void {
    for (const r of records) {
      const key = r.value === null ? decodeOffsetsKey(r.key) : null;
      if (key?.kind === "group")
        this.groupDeletions.set(key.group, (this.groupDeletions.get(key.group) ?? 0) + 1);
    }
  }

  appendToLog(partition: number, records: OffsetsRecord[]): void {
    const list = this.log.get(partition) ?? [];
    list.push(...records);
    this.log.set(partition, list);
  }

  /** Complete held appends in order, with `error` (null: success, the records reach the log). */
  completeAppends(
    error: null | "NOT_ENOUGH_REPLICAS" | "NOT_LEADER_OR_FOLLOWER" | "REQUEST_TIMED_OUT" = null,
  ): void {
    while (this.held.length > 0) {
      const h = this.held.shift() as HeldAppend;
      if (error === null) this.appendToLog(h.partition, h.records);
      this.apply(this.coord.appendCompleted(h.token, error, this.now));
    }
  }

  advance(ms: number): void {
    this.now += ms;
    this.apply(this.coord.tick(this.now));
  }

  /** Run every deadline up to `now + ms` one at a time (as the simulator would). */
  advanceByDeadlines(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const d = this.coord.nextDeadline();
      if (d === null || d > end) break;
      this.now = Math.max(this.now, d);
      this.apply(this.coord.tick(this.now));
    }
    this.now = end;
    this.apply(this.coord.tick(this.now));
  }

  /** Step from deadline to deadline until `done()` holds; throws if nothing is left to fire. */
  runUntil(done: () => boolean, maxMs = 600_000): void {
    const end = this.now + maxMs;
    while (!done()) {
      const d = this.coord.nextDeadline();
      if (d === null || d > end) throw new Error(`runUntil: nothing due before ${end}`);
      this.now = Math.max(this.now, d);
      this.apply(this.coord.tick(this.now));
    }
  }

  response<A extends GroupResponse["api"]>(id: RequestId, api: A): ResponseOf<A> | undefined {
    const r = this.responses.get(id);
    if (r === undefined) return undefined;
    if (r.api !== api) throw new Error(`request ${String(id)} got a ${r.api} response, expected ${api}`);
    return r.body as unknown as ResponseOf<A>;
  }

  /** The response, which must have arrived. */
  answered<A extends GroupResponse["api"]>(id: RequestId, api: A): ResponseOf<A> {
    const r = this.response(id, api);
    if (r === undefined) throw new Error(`request ${String(id)} (${api}) is still waiting`);
    return r;
  }

  /* Request helpers ---------------------------------------------------------------------------- */

  join(
    groupId: string,
    memberId: string,
    opts: {
      topics?: string[];
      sessionTimeoutMs?: number;
      rebalanceTimeoutMs?: number;
      clientId?: string;
      requireKnownMemberId?: boolean;
      protocols?: Array<{ name: string; metadata: Buffer }>;
      protocolType?: string;
    } = {},
  ): RequestId {
    const requestId = this.rid();
    const metadata = encodeSubscription({ topics: opts.topics ?? ["t"] });
    this.apply(
      this.coord.joinGroup(
        {
          requestId,
          groupId,
          memberId,
          groupInstanceId: null,
          protocolType: opts.protocolType ?? CONSUMER_PROTOCOL_TYPE,
          protocols: opts.protocols ?? [{ name: "range", metadata }],
          sessionTimeoutMs: opts.sessionTimeoutMs ?? 10_000,
          rebalanceTimeoutMs: opts.rebalanceTimeoutMs ?? 30_000,
          clientId: opts.clientId ?? "c",
          clientHost: "/127.0.0.1",
          requireKnownMemberId: opts.requireKnownMemberId ?? false,
        },
        this.now,
      ),
    );
    return requestId;
  }

  sync(
    groupId: string,
    memberId: string,
    generationId: number,
    assignments: Map<string, Buffer> = new Map(),
  ): RequestId {
    const requestId = this.rid();
    this.apply(
      this.coord.syncGroup(
        {
          requestId,
          groupId,
          generationId,
          memberId,
          groupInstanceId: null,
          assignments: [...assignments].map(([id, a]) => ({ memberId: id, assignment: a })),
        },
        this.now,
      ),
    );
    return requestId;
  }

  heartbeat(groupId: string, memberId: string, generationId: number): RequestId {
    const requestId = this.rid();
    this.apply(
      this.coord.heartbeat({ requestId, groupId, memberId, generationId, groupInstanceId: null }, this.now),
    );
    return requestId;
  }

  leave(groupId: string, memberIds: string[]): RequestId {
    const requestId = this.rid();
    this.apply(
      this.coord.leaveGroup(
        { requestId, groupId, members: memberIds.map((memberId) => ({ memberId, groupInstanceId: null })) },
        this.now,
      ),
    );
    return requestId;
  }

  commit(
    groupId: string,
    memberId: string,
    generationId: number,
    offsets: Array<{ topic: string; partition: number; offset: number; metadata?: string }>,
    /** The broker's metadata cache; every partition exists when absent. */
    partitionExists?: (topic: string, partition: number) => boolean,
  ): RequestId {
    const requestId = this.rid();
    const byTopic = new Map<string, Array<{ partition: number; offset: number; metadata?: string }>>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
    this.apply(
      this.coord.offsetCommit(
        {
          requestId,
          groupId,
          generationId,
          memberId,
          groupInstanceId: null,
          topics: [...byTopic].map(([name, ps]) => ({
            name,
            partitions: ps.map((p) => ({
              partitionIndex: p.partition,
              committedOffset: p.offset,
              committedLeaderEpoch: -1,
              committedMetadata: p.metadata ?? "",
            })),
          })),
        },
        this.now,
        partitionExists,
      ),
    );
    return requestId;
  }

  committed(groupId: string, topic: string, partition: number): number {
    const r = this.coord.offsetFetch({ groupId, topics: [{ name: topic, partitionIndexes: [partition] }] });
    if (r.error !== "NONE") throw new Error(`offsetFetch ${groupId}: ${r.error}`);
    return r.topics[0].partitions[0].committedOffset;
  }
}

/** Round-robin of `topic`'s partitions over the members of a leader's JoinGroup response. */
export function roundRobin(
  members: Array<{ memberId: string; metadata: Buffer }>,
  topic: string,
  partitions: number,
): Map<string, Buffer> {
  const ids = members
    .filter((m) => decodeSubscription(m.metadata).topics.includes(topic))
    .map((m) => m.memberId)
    .sort();
  const lists = new Map<string, Array<{ topic: string; partition: number }>>(ids.map((id) => [id, []]));
  for (let p = 0; p < partitions; p++) lists.get(ids[p % ids.length])?.push({ topic, partition: p });
  return new Map([...lists].map(([id, tps]) => [id, encodeAssignment({ partitions: groupByTopic(tps) })]));
}
