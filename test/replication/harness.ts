/**
 * Replicas of one partition wired together by hand: messages queue up and are delivered when the test
 * says so, so a scenario can stop a follower mid-way, fail a leader, or let time pass.
 */

import { SeededFaults } from "../../impl/faults/catalog.ts";
import type { ReplicationMessage } from "../../impl/replication/messages.ts";
import {
  PartitionReplica,
  type PartitionState,
  type ProduceResult,
  type PartitionReplica as Replica,
  type ReplicaConfig,
} from "../../impl/replication/replica.ts";
import { MemoryReplicaLog } from "../../impl/replication/replica-log.ts";
import type { BrokerId } from "../../spec/operations.ts";

export const CONFIG: ReplicaConfig = {
  replicaLagTimeMaxMs: 10_000,
  minInsyncReplicas: 2,
  flushEveryAppend: true,
  replicaFetchWaitMaxMs: 500,
  replicaRetryMs: 1_000,
  replicaFetchMaxRecords: 100,
};

export class Partition {
  readonly replicas = new Map<BrokerId, Replica>();
  readonly logs = new Map<BrokerId, MemoryReplicaLog>();
  readonly inbox: Array<{ from: BrokerId; to: BrokerId; message: ReplicationMessage }> = [];
  readonly completed = new Map<number, ProduceResult>();
  readonly isrProposals: Array<{
    leader: BrokerId;
    isr: BrokerId[];
    leaderEpoch: number;
    partitionEpoch: number;
  }> = [];
  /** Brokers whose messages are dropped (crashed or cut off). */
  readonly down = new Set<BrokerId>();
  now = 0;
  private nextId = 1;

  constructor(ids: BrokerId[], faults: string[] = [], config: Partial<ReplicaConfig> = {}) {
    for (const id of ids) this.add(id, new SeededFaults(faults), { ...CONFIG, ...config });
  }

  private add(id: BrokerId, faults: SeededFaults, config: ReplicaConfig): void {
    const log = this.logs.get(id) ?? new MemoryReplicaLog();
    this.logs.set(id, log);
    const replica = new PartitionReplica("t", 0, log, config, {
      brokerId: id,
      faults,
      send: (to, message) => this.inbox.push({ from: id, to, message }),
      produceCompleted: (token, result) => this.completed.set(token, result),
      alterIsr: (_t, _p, leaderEpoch, partitionEpoch, isr) =>
        this.isrProposals.push({ leader: id, isr, leaderEpoch, partitionEpoch }),
      setTimer: () => {},
      nextRequestId: () => this.nextId++,
      highWatermarkAdvanced: () => {},
    });
    this.replicas.set(id, replica);
  }

  /** A process restart: the replica object is new, the log keeps what was flushed. */
  restart(id: BrokerId, faults: string[] = []): void {
    this.logs.get(id)!.crash();
    this.down.delete(id);
    this.add(id, new SeededFaults(faults), CONFIG);
  }

  get(id: BrokerId): Replica {
    return this.replicas.get(id)!;
  }

  /** Tell every live replica the new state, as the controller's LeaderAndIsr does. */
  leaderAndIsr(state: PartitionState): void {
    for (const [id, r] of this.replicas) {
      if (this.down.has(id) || !state.replicas.includes(id)) continue;
      if (id === state.leader) r.becomeLeader(state, this.now);
      else r.becomeFollower(state, this.now);
    }
  }

  /** Delivers queued messages until none are left (or `max`); messages to or from down brokers vanish. */
  deliver(max = 10_000): number {
    let n = 0;
    while (this.inbox.length > 0 && n < max) {
      const { from, to, message } = this.inbox.shift()!;
      n++;
      if (this.down.has(from) || this.down.has(to)) continue;
      const r = this.get(to);
      switch (message.type) {
        case "replicaFetch": {
          const resp = r.handleFetch(from, message, this.now);
          if (resp !== null) this.inbox.push({ from: to, to: from, message: resp });
          break;
        }
        case "offsetsForLeaderEpoch":
          this.inbox.push({ from: to, to: from, message: r.handleOffsetsForLeaderEpoch(message) });
          break;
        case "replicaFetchResponse":
          r.onFetchResponse(message, this.now);
          break;
        case "offsetsForLeaderEpochResponse":
          r.onOffsetsForLeaderEpochResponse(message, this.now);
          break;
      }
    }
    return n;
  }

  /** Lets time pass: every replica's timers run (held fetches answer, lagging followers are noticed). */
  advance(ms: number): void {
    this.now += ms;
    for (const [id, r] of this.replicas) {
      if (this.down.has(id)) continue;
      r.onTimer(this.now);
      r.maybeShrinkIsr(this.now);
    }
  }

  produce(leader: BrokerId, value: string, acks: 0 | 1 | -1 = -1): { token: number; error: string | null } {
    const token = this.nextId++;
    const r = this.get(leader).appendAsLeader(
      [{ key: null, value: Buffer.from(value) }],
      acks,
      30_000,
      token,
      this.now,
    );
    return { token, error: r.error };
  }

  values(id: BrokerId): string[] {
    return this.logs
      .get(id)!
      .read(0, 1_000)
      .map((e) => `${e.offset}:${e.epoch}:${e.value?.toString()}`);
  }
}
