/**
 * A consumer group member over the thin client, as the console consumer needs one: join with the
 * consumer protocol, assign with the range assignor when it leads, sync, start from the committed
 * offsets (else earliest or latest), fetch, heartbeat, rejoin when the coordinator asks, commit, leave.
 * Unlike the suite's operations it does retry what a real consumer retries (a rebalance, a moved leader),
 * because its job is to read a topic, not to judge the cluster.
 */
import { assign } from "../../model/assignors.ts";
import type { KafkaErrorName } from "../../spec/errors.ts";
import {
  assignedTopicPartitions,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  groupByTopic,
} from "../group/consumer-protocol.ts";
import type { KafkaClient } from "./client.ts";
import type { FetchedRecordBytes, Reply } from "./types.ts";

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  /** Where to start a partition with no committed offset. */
  fromBeginning: boolean;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  heartbeatIntervalMs?: number;
}

export interface ConsumedRecord extends FetchedRecordBytes {
  topic: string;
  partition: number;
}

/** Errors after which a member joins again (its generation or membership is gone). */
const REJOIN: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "REBALANCE_IN_PROGRESS",
  "UNKNOWN_MEMBER_ID",
  "ILLEGAL_GENERATION",
]);

const tpKey = (topic: string, partition: number) => `${topic}/${partition}`;

export class GroupConsumer {
  private memberId = "";
  private generation = -1;
  private joined = false;
  private positions = new Map<string, { topic: string; partition: number; offset: number }>();
  private lastHeartbeat = 0;

  constructor(
    private readonly client: KafkaClient,
    private readonly o: GroupConsumerOptions,
  ) {}

  /** Whether the member is in a generation with its assignment (joined and synced). */
  get isJoined(): boolean {
    return this.joined;
  }

  get assignment(): Array<{ topic: string; partition: number }> {
    return [...this.positions.values()].map(({ topic, partition }) => ({ topic, partition }));
  }

  /** One join and sync; on success the member has an assignment and a start position for each partition. */
  async join(): Promise<
    Reply<{ generation: number; assignment: Array<{ topic: string; partition: number }> }>
  > {
    const rebalanceTimeoutMs = this.o.rebalanceTimeoutMs ?? 30_000;
    const j = await this.client.joinGroup({
      groupId: this.o.groupId,
      memberId: this.memberId,
      sessionTimeoutMs: this.o.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs,
      protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: [{ name: "range", metadata: encodeSubscription({ topics: this.o.topics }) }],
    });
    if (!j.ok) {
      if (j.error === "UNKNOWN_MEMBER_ID") this.memberId = "";
      return j;
    }
    this.memberId = j.value.memberId;
    this.generation = j.value.generation;
    let assignments: Array<{ memberId: string; assignment: Buffer }> = [];
    if (j.value.leader === j.value.memberId) {
      const members = j.value.members.map((m) => ({
        memberId: m.memberId,
        topics: decodeSubscription(m.metadata).topics,
      }));
      const topics = [...new Set(members.flatMap((m) => m.topics))];
      const md = await this.client.metadata(topics);
      if (!md.ok) return md;
      const counts: Record<string, number> = {};
      for (const t of md.value.topics) if (t.partitions.length > 0) counts[t.name] = t.partitions.length;
      const plan = assign("range", members, counts);
      assignments = Object.entries(plan).map(([memberId, tps]) => ({
        memberId,
        assignment: encodeAssignment({ partitions: groupByTopic(tps) }),
      }));
    }
    const s = await this.client.syncGroup({
      groupId: this.o.groupId,
      generation: this.generation,
      memberId: this.memberId,
      assignments,
      rebalanceTimeoutMs,
    });
    if (!s.ok) return s;
    const mine = assignedTopicPartitions(decodeAssignment(s.value.assignment));
    const started = await this.startPositions(mine);
    if (!started.ok) return started;
    this.joined = true;
    this.lastHeartbeat = Date.now();
    return { ok: true, value: { generation: this.generation, assignment: mine } };
  }

  private async startPositions(tps: Array<{ topic: string; partition: number }>): Promise<Reply<null>> {
    this.positions = new Map();
    if (tps.length === 0) return { ok: true, value: null };
    const committed = await this.client.fetchOffsets(this.o.groupId, tps);
    if (!committed.ok) return committed;
    for (const tp of tps) {
      const c = committed.value.offsets.find((o) => o.topic === tp.topic && o.partition === tp.partition);
      let offset = c?.offset ?? -1;
      if (offset < 0) {
        const l = await this.client.listOffsets(
          tp.topic,
          tp.partition,
          this.o.fromBeginning ? "earliest" : "latest",
        );
        if (!l.ok) return l;
        offset = l.value.offset;
      }
      this.positions.set(tpKey(tp.topic, tp.partition), { ...tp, offset });
    }
    return { ok: true, value: null };
  }

  /**
   * Heartbeats when due, rejoins when asked, then fetches each assigned partition once, at most
   * `maxRecords` records in all. Records come back in offset order per partition; positions advance past
   * exactly the records returned, so a commit never covers a record the caller did not get.
   */
  async poll(maxWaitMs: number, maxRecords = 500): Promise<Reply<ConsumedRecord[]>> {
    if (!this.joined) {
      const j = await this.join();
      if (!j.ok) return j;
    } else if (Date.now() - this.lastHeartbeat >= (this.o.heartbeatIntervalMs ?? 3_000)) {
      const h = await this.client.heartbeat(this.o.groupId, this.generation, this.memberId);
      this.lastHeartbeat = Date.now();
      if (!h.ok && REJOIN.has(h.error)) {
        await this.commit();
        this.joined = false;
        if (h.error !== "REBALANCE_IN_PROGRESS")
          this.memberId = h.error === "UNKNOWN_MEMBER_ID" ? "" : this.memberId;
        return { ok: true, value: [] };
      }
    }
    const out: ConsumedRecord[] = [];
    const parts = [...this.positions.values()];
    const wait = parts.length === 0 ? 0 : Math.max(10, Math.floor(maxWaitMs / parts.length));
    if (parts.length === 0) await new Promise((r) => setTimeout(r, maxWaitMs));
    for (const p of parts) {
      const room = maxRecords - out.length;
      if (room <= 0) break;
      const f = await this.client.fetch({
        topic: p.topic,
        partition: p.partition,
        offset: p.offset,
        maxRecords: room,
        maxWaitMs: wait,
      });
      if (!f.ok) {
        if (f.error === "OFFSET_OUT_OF_RANGE") {
          const l = await this.client.listOffsets(
            p.topic,
            p.partition,
            this.o.fromBeginning ? "earliest" : "latest",
          );
          if (l.ok) p.offset = l.value.offset;
        }
        continue;
      }
      for (const r of f.value.records) out.push({ ...r, topic: p.topic, partition: p.partition });
      if (f.value.records.length > 0) p.offset = f.value.records[f.value.records.length - 1].offset + 1;
    }
    return { ok: true, value: out };
  }

  /** Commits every position in the current generation. */
  async commit(): Promise<Reply<Record<string, never>>> {
    if (this.positions.size === 0 || this.generation < 0) return { ok: true, value: {} };
    return this.client.commitOffsets(this.o.groupId, this.generation, this.memberId, [
      ...this.positions.values(),
    ]);
  }

  /** Commits and leaves the group, so the others rebalance at once rather than after a session timeout. */
  async close(): Promise<void> {
    if (this.joined) await this.commit();
    if (this.memberId !== "") await this.client.leaveGroup(this.o.groupId, this.memberId);
    this.joined = false;
  }
}
