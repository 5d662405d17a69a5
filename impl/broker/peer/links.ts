/**
 * Outbound inter-broker traffic: for each remote broker, separate connections for replica fetches,
 * epoch queries and controller traffic (as Kafka keeps fetcher and controller channels apart), so a
 * fetch the leader holds for replica.fetch.wait.max.ms never delays a LeaderAndIsr. Replica fetches
 * the node emits in one turn of the event loop go to each leader as one multi-partition Fetch.
 * Responses come back to the node as the peer messages it expects.
 */
import { errorName, KafkaErrorCode, type KafkaErrorName } from "../../../spec/errors.ts";
import type { BrokerId } from "../../../spec/operations.ts";
import type { ControllerMessage } from "../../controller/messages.ts";
import type { PeerMessage } from "../../node/broker-node.ts";
import type {
  OffsetsForLeaderEpochRequest,
  ReplicaFetchRequest,
  ReplicationMessage,
} from "../../replication/messages.ts";
import { REPLICA_FETCH_MAX_BYTES } from "../../replication/replica.ts";
import { CONTROL_RETRY_BACKOFF_MS, controlRetryDelayMs } from "../../sim/control-channels.ts";
import { decodeAlterPartitionResponse, encodeAlterPartitionRequest } from "./alter-partition.ts";
import { KafkaConnection } from "./connection.ts";
import {
  alterPartitionBody,
  alterPartitionResponses,
  type Endpoint,
  leaderAndIsrBody,
  PEER_VERSIONS,
  stopReplicaBody,
  stopReplicaResponse,
  updateMetadataBody,
} from "./mapping.ts";

/** replica.fetch.response.max.bytes: a fetch answer's budget over all its partitions. */
const REPLICA_FETCH_RESPONSE_MAX_BYTES = 8 * REPLICA_FETCH_MAX_BYTES;

interface Link {
  /** Resolves once the broker's address is known; every send to it chains on this, in order. */
  ready: Promise<void>;
  resolved: boolean;
  /**
   * Connections for replica fetches and epoch queries, each carrying one request at a time: the leader
   * holds a fetch until it has news, and responses on a connection are in request order, so a second
   * fetch on a busy connection would wait behind the held one.
   */
  fetchers: Array<{ conn: KafkaConnection; busy: boolean }>;
  makeFetcher: () => KafkaConnection;
  control: KafkaConnection;
  pendingFetches: ReplicaFetchRequest[];
  flushScheduled: boolean;
  /** LeaderAndIsr, UpdateMetadata and StopReplica go one at a time, in order, each until delivered. */
  controlQueue: Promise<void>;
}

export { CONTROL_RETRY_BACKOFF_MS };

export function nameOf(code: number): KafkaErrorName | null {
  const n = errorName(code);
  return n === "NONE" ? null : n;
}

export class PeerLinks {
  private readonly links = new Map<BrokerId, Link>();
  private closed = false;
  private readonly unknownTypes = new Set<string>();

  constructor(
    private readonly self: BrokerId,
    private readonly endpointOf: (id: BrokerId) => Endpoint | null,
    /** A response from `from`, to feed into the node. */
    private readonly deliver: (from: BrokerId, message: PeerMessage) => void,
    private readonly replicaFetchWaitMs: number,
    private readonly log: (line: string) => void,
    /** Looks a broker's address up in the metadata store when it is not known yet. */
    private readonly lookup: (id: BrokerId) => Promise<Endpoint | null> = async () => null,
    /**
     * Whether a control request that failed on the way is still worth sending again: its controller is
     * still the active one, in the same epoch, and the broker is still live (Kafka's RequestSendThread
     * retries while both hold; the controller drops a broker's queue when the broker goes).
     */
    private readonly stillWanted: (to: BrokerId, m: ControllerMessage) => boolean = () => true,
  ) {}

  private async resolveAddress(to: BrokerId): Promise<void> {
    for (let attempt = 0; attempt < 50 && !this.closed; attempt++) {
      if (this.endpointOf(to) !== null) return;
      if ((await this.lookup(to)) !== null) return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private link(to: BrokerId): Link {
    let l = this.links.get(to);
    if (l === undefined) {
      const addr = () => this.endpointOf(to);
      const id = `broker-${this.self}`;
      l = {
        ready: Promise.resolve(),
        resolved: false,
        fetchers: [],
        makeFetcher: () => new KafkaConnection(addr, `${id}-fetcher`, 30_000 + this.replicaFetchWaitMs),
        control: new KafkaConnection(addr, `${id}-controller`),
        pendingFetches: [],
        flushScheduled: false,
        controlQueue: Promise.resolve(),
      };
      const link = l;
      link.ready = this.resolveAddress(to).then(() => {
        link.resolved = true;
      });
      this.links.set(to, l);
    }
    return l;
  }

  /** A connection for admin requests forwarded to another broker (CreateTopics to the controller). */
  admin(to: BrokerId): KafkaConnection {
    return this.link(to).control;
  }

  send(to: BrokerId, message: PeerMessage): void {
    if (this.closed) return;
    const l = this.link(to);
    if (!l.resolved) {
      void l.ready.then(() => this.dispatch(to, message));
      return;
    }
    this.dispatch(to, message);
  }

  private dispatch(to: BrokerId, message: PeerMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case "replicaFetch":
        this.queueFetch(to, message);
        break;
      case "offsetsForLeaderEpoch":
        void this.sendEpochQuery(to, message);
        break;
      case "leaderAndIsr":
      case "updateMetadata":
      case "stopReplica": {
        const l = this.link(to);
        l.controlQueue = l.controlQueue.then(() => this.sendControlUntilDelivered(to, message));
        break;
      }
      case "alterPartition":
        // The leader's replica core sends a pending ISR change again itself until it is answered.
        void this.sendControl(to, message);
        break;
      case "replicaFetchResponse":
      case "offsetsForLeaderEpochResponse":
      case "alterPartitionResponse":
      case "stopReplicaResponse":
      case "leaderAndIsrResponse":
      case "controlledShutdownResponse":
        // Responses travel on the connection their request came in on (the runtime answers them).
        break;
      default: {
        // A message type this transport does not carry yet: say so once rather than drop it silently.
        const type = (message as { type: string }).type;
        if (!this.unknownTypes.has(type)) {
          this.unknownTypes.add(type);
          this.log(`[peer] no inter-broker mapping for ${type} messages: dropped`);
        }
        break;
      }
    }
  }

  private queueFetch(to: BrokerId, m: ReplicaFetchRequest): void {
    const l = this.link(to);
    l.pendingFetches.push(m);
    if (l.flushScheduled) return;
    l.flushScheduled = true;
    setImmediate(() => {
      l.flushScheduled = false;
      const batch = l.pendingFetches;
      l.pendingFetches = [];
      if (batch.length > 0) void this.sendFetch(to, l, batch);
    });
  }

  private async sendFetch(to: BrokerId, l: Link, batch: ReplicaFetchRequest[]): Promise<void> {
    const byTopic = new Map<string, ReplicaFetchRequest[]>();
    // One request per partition: a later request for a partition replaces an earlier one in the batch.
    const latest = new Map<string, ReplicaFetchRequest>();
    for (const m of batch) latest.set(`${m.topic}\u0000${m.partition}`, m);
    for (const m of latest.values()) byTopic.set(m.topic, [...(byTopic.get(m.topic) ?? []), m]);
    try {
      const res = await this.withFetcher(l, (c) =>
        c.request(1, PEER_VERSIONS.fetch, {
          replicaId: this.self,
          maxWaitMs: this.replicaFetchWaitMs,
          minBytes: 1,
          maxBytes: REPLICA_FETCH_RESPONSE_MAX_BYTES,
          isolationLevel: 0,
          sessionId: 0,
          sessionEpoch: -1,
          topics: [...byTopic].map(([topic, ms]) => ({
            topic,
            partitions: ms.map((m) => ({
              partition: m.partition,
              currentLeaderEpoch: m.currentLeaderEpoch,
              fetchOffset: BigInt(m.fetchOffset),
              logStartOffset: -1n,
              partitionMaxBytes: m.maxBytes,
            })),
          })),
          forgottenTopicsData: [],
          rackId: "",
        }),
      );
      for (const t of res.responses)
        for (const p of t.partitions) {
          const req = latest.get(`${t.topic}\u0000${p.partitionIndex}`);
          if (req === undefined) continue;
          this.deliver(to, {
            type: "replicaFetchResponse",
            requestId: req.requestId,
            topic: t.topic,
            partition: p.partitionIndex,
            error: nameOf(p.errorCode),
            highWatermark: Number(p.highWatermark),
            logStartOffset: Number(p.logStartOffset),
            // Replica fetch responses carry the leader's log end in lastStableOffset (see handlers/01-fetch.ts).
            leaderLogEndOffset: Number(p.lastStableOffset),
            // The leader's batches as it stored them: the follower appends these bytes.
            records: p.records ?? Buffer.alloc(0),
          });
        }
    } catch (e) {
      if (!this.closed) this.log(`[peer] fetch from broker ${to} failed: ${(e as Error).message}`);
    }
  }

  /** Runs `fn` on an idle fetcher connection of the link, opening one if all are busy. */
  private async withFetcher<T>(l: Link, fn: (c: KafkaConnection) => Promise<T>): Promise<T> {
    let f = l.fetchers.find((x) => !x.busy);
    if (f === undefined) {
      f = { conn: l.makeFetcher(), busy: false };
      l.fetchers.push(f);
    }
    f.busy = true;
    try {
      return await fn(f.conn);
    } finally {
      f.busy = false;
    }
  }

  private async sendEpochQuery(to: BrokerId, m: OffsetsForLeaderEpochRequest): Promise<void> {
    try {
      const res = await this.withFetcher(this.link(to), (c) =>
        c.request(23, PEER_VERSIONS.offsetForLeaderEpoch, {
          replicaId: this.self,
          topics: [
            {
              topic: m.topic,
              partitions: [
                {
                  partition: m.partition,
                  currentLeaderEpoch: m.currentLeaderEpoch,
                  leaderEpoch: m.leaderEpoch,
                },
              ],
            },
          ],
        }),
      );
      for (const t of res.topics)
        for (const p of t.partitions)
          this.deliver(to, {
            type: "offsetsForLeaderEpochResponse",
            requestId: m.requestId,
            topic: t.topic,
            partition: p.partition,
            error: nameOf(p.errorCode),
            leaderEpoch: p.leaderEpoch,
            endOffset: Number(p.endOffset),
          });
    } catch (e) {
      if (!this.closed)
        this.log(`[peer] OffsetForLeaderEpoch to broker ${to} failed: ${(e as Error).message}`);
    }
  }

  /**
   * A controller request is sent until the broker answers it, as Kafka's ControllerChannelManager does:
   * a request lost with its connection (a reset, a timeout, a network cut while the broker's ZooKeeper
   * session lives on) would otherwise leave the broker without that state change for good. One at a time
   * per broker, so an older UpdateMetadata (a full snapshot) never lands after a newer one.
   */
  private async sendControlUntilDelivered(to: BrokerId, m: ControllerMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      // Also checked before the first attempt: a request that queued behind one to a broker that has
      // since died (SIGSTOP: each attempt waits out the request timeout) is not worth an attempt.
      if (this.closed || !this.stillWanted(to, m)) return;
      if (await this.sendControl(to, m)) return;
      if (attempt === 1) this.log(`[peer] ${m.type} to broker ${to}: sending again until it is answered`);
      // 100 ms, doubling to 1 s: the simulator's channels pause the same (control-channels.ts).
      await new Promise((r) => setTimeout(r, controlRetryDelayMs(attempt)));
    }
  }

  /** Sends one controller or AlterPartition request; whether the broker answered it. */
  private async sendControl(to: BrokerId, m: ControllerMessage): Promise<boolean> {
    const c = this.link(to).control;
    try {
      switch (m.type) {
        case "leaderAndIsr": {
          const res = await c.request(4, PEER_VERSIONS.leaderAndIsr, leaderAndIsrBody(m, this.endpointOf));
          // A partition whose log failed there (KAFKA_STORAGE_ERROR): the controller core takes that
          // replica offline. Answers without errors need nothing.
          const errors = res.partitionErrors.filter((p) => p.errorCode !== 0);
          if (errors.length > 0 || res.errorCode !== 0)
            this.deliver(to, {
              type: "leaderAndIsrResponse",
              brokerId: to,
              controllerEpoch: m.controllerEpoch,
              partitions: res.partitionErrors.map((p) => ({
                topic: p.topicName,
                partition: p.partitionIndex,
                error: nameOf(res.errorCode) ?? nameOf(p.errorCode),
              })),
            });
          return true;
        }
        case "updateMetadata":
          await c.request(6, PEER_VERSIONS.updateMetadata, updateMetadataBody(m, this.endpointOf));
          return true;
        case "stopReplica": {
          // The answer goes back to the controller core: topic deletion waits for every replica's.
          const res = await c.request(5, PEER_VERSIONS.stopReplica, stopReplicaBody(m));
          this.deliver(to, stopReplicaResponse(m, to, res, nameOf));
          return true;
        }
        case "alterPartition": {
          const res = await c.requestEncoded(
            (corr) => encodeAlterPartitionRequest(corr, c.clientId, alterPartitionBody(m)),
            decodeAlterPartitionResponse,
          );
          if (res.errorCode !== KafkaErrorCode.NONE) return true;
          for (const r of alterPartitionResponses(res, nameOf)) this.deliver(to, r);
          return true;
        }
        default:
          return true;
      }
    } catch (e) {
      if (!this.closed) this.log(`[peer] ${m.type} to broker ${to} failed: ${(e as Error).message}`);
      return false;
    }
  }

  /**
   * Resolves once every control request queued so far has been delivered (or given up), or after
   * `timeoutMs`: a controller about to stop lets the LeaderAndIsr and UpdateMetadata of its last
   * decisions (a controlled shutdown's new leaders) reach the brokers before its connections close.
   */
  async controlIdle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const queues = [...this.links.values()].map((l) => l.controlQueue);
    await Promise.race([
      Promise.all(queues),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  close(): void {
    this.closed = true;
    for (const l of this.links.values()) {
      for (const f of l.fetchers) f.conn.close();
      l.control.close();
    }
    this.links.clear();
  }
}

export type { ReplicationMessage };
