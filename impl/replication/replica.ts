/**
 * One partition's replica on one broker, as a sans-IO core: the node feeds it requests, peer messages
 * and the time; it answers through its host (send to a peer, complete a produce, propose an ISR change,
 * ask for a timer). No clocks, sockets or files inside: the log is whatever ReplicaLog the node gives it.
 *
 * Leader: appends, tracks each follower's fetch position, keeps HW = min LEO over the ISR (the maximal
 * ISR while a change is in flight, as KIP-497's AlterPartition does), shrinks the ISR after
 * replica.lag.time.max.ms and expands it when a follower catches up, completes acks=all produces once
 * the HW passes them, and fences fetches from other leader epochs.
 * Follower: truncates by leader epoch (KIP-101 OffsetsForLeaderEpoch with KIP-279's iteration), then
 * fetches from its log end and follows the leader's HW.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import type { BrokerId } from "../../spec/operations.ts";
import type { SeededFaults } from "../faults/catalog.ts";
import type {
  OffsetsForLeaderEpochRequest,
  OffsetsForLeaderEpochResponse,
  ReplicaFetchRequest,
  ReplicaFetchResponse,
  ReplicationMessage,
} from "./messages.ts";
import {
  type LogEntry,
  type LogRecord,
  type ReplicaLog,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
} from "./replica-log.ts";

export type ReplicaRole = "leader" | "follower" | "offline";

/** replica.fetch.max.bytes (Kafka's default, 1 MiB): a follower fetch's byte budget per partition. */
export const REPLICA_FETCH_MAX_BYTES = 1 << 20;

const NO_RECORDS: Buffer = Buffer.alloc(0);

/** The partition state a LeaderAndIsr request carries (Kafka's LeaderAndIsrPartitionState). */
export interface PartitionState {
  leader: BrokerId;
  leaderEpoch: number;
  isr: BrokerId[];
  replicas: BrokerId[];
  /** The znode version of the partition state (Kafka's zkVersion / partition epoch). */
  partitionEpoch: number;
}

export interface ReplicaConfig {
  replicaLagTimeMaxMs: number;
  minInsyncReplicas: number;
  /** log.flush.interval.messages=1: flush before acknowledging, so a crash loses nothing acknowledged. */
  flushEveryAppend: boolean;
  /** replica.fetch.wait.max.ms: how long the leader holds a follower fetch with nothing new. */
  replicaFetchWaitMaxMs: number;
  /** replica.fetch.backoff.ms / socket timeout: when a follower re-sends an unanswered request. */
  replicaRetryMs: number;
  replicaFetchMaxRecords: number;
}

export interface ProduceResult {
  error: KafkaErrorName | null;
  baseOffset: number;
}

/** The node's side: everything the replica asks the outside world to do. */
export interface ReplicaHost {
  readonly brokerId: BrokerId;
  readonly faults: SeededFaults;
  send(to: BrokerId, message: ReplicationMessage): void;
  produceCompleted(token: number, result: ProduceResult): void;
  /** Propose a new ISR to the controller (AlterPartition). */
  alterIsr(
    topic: string,
    partition: number,
    leaderEpoch: number,
    partitionEpoch: number,
    isr: BrokerId[],
  ): void;
  setTimer(at: number, key: string): void;
  nextRequestId(): number;
  /** The leader's HW moved (the group coordinator waits on its own appends). */
  highWatermarkAdvanced(topic: string, partition: number, highWatermark: number): void;
}

interface FollowerState {
  /** -1 until the follower's first fetch in this leader epoch. */
  logEndOffset: number;
  lastFetchMs: number;
  lastCaughtUpMs: number;
  lastFetchLeaderLogEndOffset: number;
  /** The HW last sent to it, so a parked fetch is woken when it has news. */
  sentHighWatermark: number;
}

interface DelayedProduce {
  token: number;
  baseOffset: number;
  requiredOffset: number;
  deadline: number;
}

interface ParkedFetch {
  from: BrokerId;
  request: ReplicaFetchRequest;
  deadline: number;
}

export class PartitionReplica {
  role: ReplicaRole = "offline";
  leader: BrokerId | null = null;
  leaderEpoch = -1;
  partitionEpoch = -1;
  isr: BrokerId[] = [];
  replicas: BrokerId[] = [];
  highWatermark = 0;

  private followers = new Map<BrokerId, FollowerState>();
  private delayed: DelayedProduce[] = [];
  private parked: ParkedFetch[] = [];
  private pendingIsr: { isr: BrokerId[]; sentAt: number } | null = null;
  private leaderEpochStartOffset = 0;
  /** The HW moved while handling a request: held follower fetches are answered once it is done. */
  private hwNews = false;
  /** The latest time an input carried, for work triggered by inputs that carry none. */
  private clock = 0;

  private followState: "truncating" | "fetching" = "fetching";
  private inflight: { requestId: number; sentAt: number } | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly log: ReplicaLog,
    public config: ReplicaConfig,
    private readonly host: ReplicaHost,
  ) {
    // A restarted replica starts from its checkpointed HW (possibly stale), never above its log end.
    this.highWatermark = Math.min(log.checkpointedHighWatermark, log.logEndOffset);
  }

  /**
   * Pre-KIP-101 startup: drop everything above the checkpointed high watermark before knowing the
   * leader's log. Only under the seeded fault "truncate-to-hw".
   */
  truncateToCheckpointedHighWatermark(): void {
    this.log.truncateTo(this.highWatermark);
  }

  get logEndOffset(): number {
    return this.log.logEndOffset;
  }

  /**
   * KIP-207: a new leader's high watermark may lag the start of its epoch until the ISR catches up; until
   * then the latest offset it could name may be below one an earlier leader already gave out.
   */
  get highWatermarkBelowEpochStart(): boolean {
    return this.role === "leader" && this.highWatermark < this.leaderEpochStartOffset;
  }

  /** The ISR the HW is computed over: the committed one plus any member a pending change adds. */
  private maximalIsr(): BrokerId[] {
    if (this.pendingIsr === null) return this.isr;
    const s = new Set([...this.isr, ...this.pendingIsr.isr]);
    return [...s];
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Role changes (LeaderAndIsr)                                                                     */
  /* ---------------------------------------------------------------------------------------------- */

  becomeLeader(state: PartitionState, now: number): void {
    this.failParkedFetches("NOT_LEADER_OR_FOLLOWER");
    this.role = "leader";
    this.leader = this.host.brokerId;
    this.leaderEpoch = state.leaderEpoch;
    this.partitionEpoch = state.partitionEpoch;
    this.isr = [...state.isr];
    this.replicas = [...state.replicas];
    this.pendingIsr = null;
    this.inflight = null;
    this.log.assignEpoch(state.leaderEpoch, this.log.logEndOffset);
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.followers.clear();
    for (const r of state.replicas) {
      if (r === this.host.brokerId) continue;
      this.followers.set(r, {
        logEndOffset: -1,
        lastFetchMs: now,
        lastCaughtUpMs: now,
        lastFetchLeaderLogEndOffset: 0,
        sentHighWatermark: -1,
      });
    }
    // A promoted follower flushes what it replicated; under KIP-966's seeded fault it does not.
    if (this.durable("kip-966-last-replica-standing") && this.durable("offset-reuse-after-crash"))
      this.log.flush();
    this.maybeAdvanceHighWatermark();
  }

  /** Whether this replica flushes (log.flush.interval.messages=1) unless the named seeded fault is on. */
  private durable(unlessFault: "kip-966-last-replica-standing" | "offset-reuse-after-crash"): boolean {
    return this.config.flushEveryAppend && !this.host.faults.has(unlessFault);
  }

  becomeFollower(state: PartitionState, now: number): void {
    const previousLeader = this.leader;
    const wasFollower = this.role === "follower";
    this.failDelayedProduces("NOT_LEADER_OR_FOLLOWER");
    this.failParkedFetches("NOT_LEADER_OR_FOLLOWER");
    this.role = "follower";
    this.leader = state.leader;
    this.leaderEpoch = state.leaderEpoch;
    this.partitionEpoch = state.partitionEpoch;
    this.isr = [...state.isr];
    this.replicas = [...state.replicas];
    this.pendingIsr = null;
    this.followers.clear();
    this.inflight = null;
    if (state.leader < 0) return;
    if (
      this.host.faults.has("kafka-7164-missed-epoch-bump") &&
      wasFollower &&
      previousLeader === state.leader
    ) {
      // KAFKA-7164: the follower saw the same leader id and kept fetching without re-checking its epoch.
      this.followState = "fetching";
      this.sendFetch(now);
      return;
    }
    if (this.host.faults.has("truncate-to-hw")) {
      // The pre-KIP-101 rule: drop everything above the (possibly stale) high watermark.
      this.log.truncateTo(this.highWatermark);
      this.followState = "fetching";
      this.sendFetch(now);
      return;
    }
    this.startTruncation(this.log.latestEpoch(), now);
  }

  /** StopReplica, a crash of the hosting broker, or a partition deleted. */
  goOffline(): void {
    this.failDelayedProduces("NOT_LEADER_OR_FOLLOWER");
    this.failParkedFetches("NOT_LEADER_OR_FOLLOWER");
    this.role = "offline";
    this.inflight = null;
    this.followers.clear();
    this.pendingIsr = null;
  }

  /** The controller accepted (or overrode) an ISR change without a new leader epoch. */
  onIsrChanged(leaderEpoch: number, partitionEpoch: number, isr: BrokerId[] | null): void {
    if (this.role !== "leader" || leaderEpoch !== this.leaderEpoch) return;
    // The answer to the pending change carries a newer partition epoch: the controller either wrote it
    // (a bump) or answers with the newer state it has. One that is not newer than ours, or an error
    // carrying our own leader epoch (the controller fences only requests from another epoch), is a late
    // answer to an earlier request. Dropping the pending change on it would compute the HW over an ISR
    // smaller than the one the controller may be writing, and acknowledge records a member lacks; the
    // change stays pending and is sent again (maybeShrinkIsr) until its own answer or a LeaderAndIsr.
    if (this.pendingIsr !== null && (isr === null || partitionEpoch <= this.partitionEpoch)) return;
    this.pendingIsr = null;
    if (isr !== null && partitionEpoch > this.partitionEpoch) {
      this.isr = [...isr];
      this.partitionEpoch = partitionEpoch;
    }
    this.maybeAdvanceHighWatermark();
    this.completeDelayedProduces();
    if (this.hwNews) {
      this.hwNews = false;
      this.wakeParkedFetches(this.clock);
    }
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Leader side                                                                                     */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * A produce to this leader. acks=0 and acks=1 complete at once; acks=all waits in purgatory until the
   * HW passes the batch or the deadline. Returns the error when rejected before appending. `batches`,
   * when given, are the producer's bytes holding `records`: the log keeps them as they are.
   */
  appendAsLeader(
    records: LogRecord[],
    acks: 0 | 1 | -1,
    timeoutMs: number,
    token: number,
    now: number,
    batches?: Buffer,
  ): { error: KafkaErrorName | null; baseOffset: number } {
    if (this.role !== "leader") return { error: "NOT_LEADER_OR_FOLLOWER", baseOffset: -1 };
    if (acks === -1 && this.isr.length < this.config.minInsyncReplicas) {
      return { error: "NOT_ENOUGH_REPLICAS", baseOffset: -1 };
    }
    const { baseOffset, lastOffset } = this.log.appendAsLeader(records, this.leaderEpoch, now, batches);
    if (this.durable("offset-reuse-after-crash")) this.log.flush();
    this.maybeAdvanceHighWatermark();
    this.hwNews = false;
    this.wakeParkedFetches(now);
    if (acks === -1 && !this.host.faults.has("ack-before-isr")) {
      const required = lastOffset + 1;
      if (this.highWatermark >= required) {
        this.host.produceCompleted(token, { error: this.enoughReplicasError(), baseOffset });
      } else {
        const deadline = now + timeoutMs;
        this.delayed.push({ token, baseOffset, requiredOffset: required, deadline });
        this.host.setTimer(deadline, this.timerKey());
      }
    } else if (acks !== 0) {
      this.host.produceCompleted(token, { error: null, baseOffset });
    }
    return { error: null, baseOffset };
  }

  private enoughReplicasError(): KafkaErrorName | null {
    return this.isr.length >= this.config.minInsyncReplicas ? null : "NOT_ENOUGH_REPLICAS_AFTER_APPEND";
  }

  timerKey(): string {
    return `replica:${this.topic}:${this.partition}`;
  }

  handleFetch(from: BrokerId, request: ReplicaFetchRequest, now: number): ReplicaFetchResponse | null {
    this.clock = Math.max(this.clock, now);
    const error = this.fenceLeaderRequest(request.currentLeaderEpoch);
    if (error !== null) return this.fetchResponse(request, error, NO_RECORDS);
    const f = this.followers.get(request.replicaId);
    if (f === undefined) return this.fetchResponse(request, "NOT_LEADER_OR_FOLLOWER", NO_RECORDS);
    const leo = this.log.logEndOffset;
    // Below the log start too: retention deleted those records (the follower then starts at our log start).
    if (request.fetchOffset > leo || request.fetchOffset < this.log.logStartOffset)
      return this.fetchResponse(request, "OFFSET_OUT_OF_RANGE", NO_RECORDS);
    this.updateFollower(f, request.fetchOffset, now);
    this.maybeExpandIsr(request.replicaId, f);
    this.maybeAdvanceHighWatermark();
    if (this.hwNews) {
      this.hwNews = false;
      this.wakeParkedFetches(now, request.replicaId);
    }
    // The stored batches as they are: the follower appends these very bytes (Kafka's followers do).
    const records = this.log.readBatches(request.fetchOffset, request.maxRecords, request.maxBytes);
    // Like Kafka's DelayedFetch, a follower fetch with nothing new is held until there is (new records or a
    // higher HW). Unlike Kafka it is not answered empty every replica.fetch.wait.max.ms: a follower held at
    // the log end is caught up at every instant, which is what those empty answers would tell the leader.
    if (records.length === 0 && f.sentHighWatermark >= this.highWatermark) {
      this.parked = this.parked.filter((p) => p.request.replicaId !== request.replicaId);
      this.parked.push({ from, request, deadline: Number.POSITIVE_INFINITY });
      return null;
    }
    f.sentHighWatermark = this.highWatermark;
    return this.fetchResponse(request, null, records);
  }

  handleOffsetsForLeaderEpoch(request: OffsetsForLeaderEpochRequest): OffsetsForLeaderEpochResponse {
    const error = this.fenceLeaderRequest(request.currentLeaderEpoch);
    const base = { type: "offsetsForLeaderEpochResponse" as const, requestId: request.requestId };
    if (error !== null) {
      return { ...base, topic: this.topic, partition: this.partition, error, leaderEpoch: -1, endOffset: -1 };
    }
    const answer = this.log.endOffsetFor(request.leaderEpoch);
    return {
      ...base,
      topic: this.topic,
      partition: this.partition,
      error: null,
      leaderEpoch: answer.epoch,
      endOffset: answer.endOffset,
    };
  }

  /** FENCED_LEADER_EPOCH for an older epoch; a newer one is parked by the node until we catch up. */
  private fenceLeaderRequest(currentLeaderEpoch: number): KafkaErrorName | null {
    if (this.role !== "leader") return "NOT_LEADER_OR_FOLLOWER";
    if (currentLeaderEpoch < this.leaderEpoch) return "FENCED_LEADER_EPOCH";
    if (currentLeaderEpoch > this.leaderEpoch) return "UNKNOWN_LEADER_EPOCH";
    return null;
  }

  private fetchResponse(
    request: ReplicaFetchRequest,
    error: KafkaErrorName | null,
    records: Buffer,
  ): ReplicaFetchResponse {
    return {
      type: "replicaFetchResponse",
      requestId: request.requestId,
      topic: this.topic,
      partition: this.partition,
      error,
      highWatermark: this.highWatermark,
      logStartOffset: this.log.logStartOffset,
      leaderLogEndOffset: this.log.logEndOffset,
      records,
    };
  }

  /** Kafka's Replica.updateFetchState: when did this follower last reach the leader's log end? */
  private updateFollower(f: FollowerState, fetchOffset: number, now: number): void {
    const leo = this.log.logEndOffset;
    if (fetchOffset >= leo) f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, now);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset)
      f.lastCaughtUpMs = Math.max(f.lastCaughtUpMs, f.lastFetchMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leo;
    f.lastFetchMs = now;
  }

  private maybeExpandIsr(replica: BrokerId, f: FollowerState): void {
    if (this.pendingIsr !== null || this.isr.includes(replica)) return;
    if (f.logEndOffset >= this.highWatermark && f.logEndOffset >= this.leaderEpochStartOffset) {
      this.proposeIsr(
        [...this.isr, replica].sort((a, b) => a - b),
        -1,
      );
    }
  }

  /** Periodic: drop followers that have not caught up within replica.lag.time.max.ms. */
  maybeShrinkIsr(now: number): void {
    if (this.role !== "leader") return;
    if (this.pendingIsr !== null) {
      // An unanswered AlterPartition is sent again: the controller may have moved or the message lost.
      if (now - this.pendingIsr.sentAt >= this.config.replicaRetryMs) {
        this.host.alterIsr(
          this.topic,
          this.partition,
          this.leaderEpoch,
          this.partitionEpoch,
          this.pendingIsr.isr,
        );
        this.pendingIsr.sentAt = now;
      }
      return;
    }
    for (const p of this.parked) {
      const f = this.followers.get(p.request.replicaId);
      if (f !== undefined && p.request.fetchOffset >= this.log.logEndOffset) f.lastCaughtUpMs = now;
    }
    const lagging = this.isr.filter((r) => {
      if (r === this.host.brokerId) return false;
      const f = this.followers.get(r);
      return f === undefined || now - f.lastCaughtUpMs > this.config.replicaLagTimeMaxMs;
    });
    if (lagging.length === 0) return;
    this.proposeIsr(
      this.isr.filter((r) => !lagging.includes(r)),
      now,
    );
  }

  private proposeIsr(isr: BrokerId[], now: number): void {
    this.pendingIsr = { isr, sentAt: now };
    this.host.alterIsr(this.topic, this.partition, this.leaderEpoch, this.partitionEpoch, isr);
  }

  private maybeAdvanceHighWatermark(): void {
    if (this.role !== "leader") return;
    let candidate = this.log.logEndOffset;
    for (const r of this.maximalIsr()) {
      if (r === this.host.brokerId) continue;
      const f = this.followers.get(r);
      candidate = Math.min(candidate, f === undefined ? -1 : f.logEndOffset);
    }
    if (candidate > this.highWatermark) {
      this.highWatermark = candidate;
      this.host.highWatermarkAdvanced(this.topic, this.partition, candidate);
      this.completeDelayedProduces();
      this.hwNews = true;
    }
  }

  private completeDelayedProduces(): void {
    if (this.delayed.length === 0) return;
    const still: DelayedProduce[] = [];
    for (const d of this.delayed) {
      if (this.highWatermark >= d.requiredOffset) {
        this.host.produceCompleted(d.token, {
          error: this.enoughReplicasError(),
          baseOffset: d.baseOffset,
        });
      } else still.push(d);
    }
    this.delayed = still;
  }

  private failDelayedProduces(error: KafkaErrorName): void {
    const delayed = this.delayed;
    this.delayed = [];
    for (const d of delayed) this.host.produceCompleted(d.token, { error, baseOffset: -1 });
  }

  private wakeParkedFetches(now: number, except = -1): void {
    if (this.parked.length === 0) return;
    const parked = this.parked.filter((p) => p.request.replicaId !== except);
    this.parked = this.parked.filter((p) => p.request.replicaId === except);
    for (const p of parked) {
      const response = this.handleFetch(p.from, p.request, now);
      if (response !== null) this.host.send(p.from, response);
    }
  }

  private failParkedFetches(error: KafkaErrorName): void {
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) this.host.send(p.from, this.fetchResponse(p.request, error, NO_RECORDS));
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Follower side                                                                                   */
  /* ---------------------------------------------------------------------------------------------- */

  private startTruncation(epoch: number, now: number): void {
    if (epoch === UNDEFINED_EPOCH || this.log.logEndOffset === 0) {
      this.followState = "fetching";
      this.sendFetch(now);
      return;
    }
    this.followState = "truncating";
    const requestId = this.host.nextRequestId();
    this.inflight = { requestId, sentAt: now };
    this.host.send(this.leader!, {
      type: "offsetsForLeaderEpoch",
      requestId,
      replicaId: this.host.brokerId,
      topic: this.topic,
      partition: this.partition,
      currentLeaderEpoch: this.leaderEpoch,
      leaderEpoch: epoch,
    });
    this.host.setTimer(now + this.config.replicaRetryMs, this.timerKey());
  }

  onOffsetsForLeaderEpochResponse(response: OffsetsForLeaderEpochResponse, now: number): void {
    if (this.role !== "follower" || this.inflight?.requestId !== response.requestId) return;
    this.inflight = null;
    if (response.error !== null) return; // a LeaderAndIsr (or the retry timer) restarts us
    const leo = this.log.logEndOffset;
    let truncateTo: number;
    if (response.endOffset === UNDEFINED_EPOCH_OFFSET) {
      // The leader knows no epoch as old as ours: nothing in our log is shared with it.
      truncateTo = this.highWatermark;
    } else if (this.host.faults.has("kip-279-divergence")) {
      truncateTo = Math.min(response.endOffset, leo);
    } else {
      const ours = this.log.endOffsetFor(response.leaderEpoch);
      if (response.leaderEpoch !== ours.epoch && ours.epoch !== UNDEFINED_EPOCH) {
        // KIP-279: we do not have the leader's epoch; ask again for the largest epoch we do have below it.
        this.startTruncation(ours.epoch, now);
        return;
      }
      truncateTo = Math.min(response.endOffset, ours.epoch === UNDEFINED_EPOCH ? 0 : ours.endOffset, leo);
    }
    this.truncate(truncateTo);
    this.followState = "fetching";
    this.sendFetch(now);
  }

  private truncate(offset: number): void {
    if (offset < this.log.logEndOffset) this.log.truncateTo(offset);
    this.highWatermark = Math.min(this.highWatermark, this.log.logEndOffset);
  }

  private sendFetch(now: number): void {
    if (this.role !== "follower" || this.leader === null || this.leader < 0) return;
    const requestId = this.host.nextRequestId();
    this.inflight = { requestId, sentAt: now };
    this.host.send(this.leader, {
      type: "replicaFetch",
      requestId,
      replicaId: this.host.brokerId,
      topic: this.topic,
      partition: this.partition,
      fetchOffset: this.log.logEndOffset,
      currentLeaderEpoch: this.leaderEpoch,
      maxRecords: this.config.replicaFetchMaxRecords,
      maxBytes: REPLICA_FETCH_MAX_BYTES,
    });
    // A held fetch is answered when there is news; an unanswered one is sent again after the socket timeout.
    this.host.setTimer(now + this.config.replicaRetryMs, this.timerKey());
  }

  onFetchResponse(response: ReplicaFetchResponse, now: number): void {
    if (this.role !== "follower" || this.inflight?.requestId !== response.requestId) return;
    this.inflight = null;
    if (response.error === "OFFSET_OUT_OF_RANGE") {
      if (this.log.logEndOffset < response.logStartOffset) {
        // Kafka's handleOutOfRangeError: the leader no longer has what we lack; start at its log start.
        this.log.truncateFullyAndStartAt(response.logStartOffset);
        this.highWatermark = response.logStartOffset;
      } else {
        // Our log is longer than the leader's: drop the part it does not have and continue.
        this.truncate(Math.min(response.leaderLogEndOffset, this.log.logEndOffset));
      }
      this.sendFetch(now);
      return;
    }
    if (response.error !== null) return;
    if (response.records.length > 0) {
      const appended = this.log.appendAsFollower(response.records);
      if (!appended.ok) {
        // Bytes that fail their CRC or do not continue our log: nothing was written; fetch again after
        // the backoff (Kafka's fetcher logs the corrupt batch and retries the partition later).
        this.host.setTimer(now + this.config.replicaRetryMs, this.timerKey());
        return;
      }
      if (
        appended.lastOffset >= appended.firstOffset &&
        this.config.flushEveryAppend &&
        !this.host.faults.has("kip-966-last-replica-standing")
      )
        this.log.flush();
    }
    this.highWatermark = Math.max(
      Math.min(this.highWatermark, this.log.logEndOffset),
      Math.min(response.highWatermark, this.log.logEndOffset),
    );
    this.sendFetch(now);
  }

  /** Timers: expire acks=all produces and parked fetches; re-send an unanswered follower request. */
  onTimer(now: number): void {
    this.clock = Math.max(this.clock, now);
    if (this.delayed.length > 0) {
      const still: DelayedProduce[] = [];
      for (const d of this.delayed) {
        if (d.deadline <= now)
          this.host.produceCompleted(d.token, { error: "REQUEST_TIMED_OUT", baseOffset: -1 });
        else still.push(d);
      }
      this.delayed = still;
    }
    if (this.parked.length > 0) {
      const still: ParkedFetch[] = [];
      for (const p of this.parked) {
        if (p.deadline <= now) {
          const f = this.followers.get(p.request.replicaId);
          if (f !== undefined) f.sentHighWatermark = this.highWatermark;
          this.host.send(p.from, this.fetchResponse(p.request, null, NO_RECORDS));
        } else still.push(p);
      }
      this.parked = still;
    }
    if (this.role === "follower") {
      const waited = this.inflight === null ? Number.POSITIVE_INFINITY : now - this.inflight.sentAt;
      const limit = this.config.replicaRetryMs;
      if (waited >= limit) {
        if (this.followState === "truncating") this.startTruncation(this.log.latestEpoch(), now);
        else this.sendFetch(now);
      } else if (this.inflight !== null) {
        // Woken before the request's backoff ran out (a stale timer, or a real one the event loop's
        // cached clock fired a millisecond early): arm again, or a lost request is never re-sent.
        this.host.setTimer(this.inflight.sentAt + limit, this.timerKey());
      }
    }
  }

  /** Fetch for a consumer: records below the HW only. */
  readCommitted(from: number, maxRecords: number): { error: KafkaErrorName | null; entries: LogEntry[] } {
    if (this.role !== "leader") return { error: "NOT_LEADER_OR_FOLLOWER", entries: [] };
    if (from < this.log.logStartOffset || from > this.log.logEndOffset)
      return { error: "OFFSET_OUT_OF_RANGE", entries: [] };
    return { error: null, entries: this.log.read(from, maxRecords, this.highWatermark) };
  }
}
