/**
 * Indexes over a History that the invariant checkers share: operations paired with their completions,
 * topic configurations, acknowledged sends and successful fetches per partition, and the real-time
 * order between operations. Built once per History (cached) and read-only afterwards.
 */
import type { CompleteEvent, History, InvokeEvent } from "./history.ts";
import type {
  ClientOp,
  FetchedRecord,
  Fetch as FetchOp,
  Operation,
  Produce,
  TopicConfig,
  TopicPartition,
} from "./operations.ts";
import { DEFAULT_TOPIC_CONFIG } from "./operations.ts";

/** One operation: its invocation and, unless the run ended first, its completion. */
export interface OpRecord<O extends Operation = Operation> {
  id: number;
  process: string;
  op: O;
  invoke: InvokeEvent;
  complete: CompleteEvent | undefined;
}

/** An operation that completed ok, with its ok value typed by kind. */
export type OkRecord<K extends ClientOp["kind"]> = OpRecord<Extract<ClientOp, { kind: K }>> & {
  complete: CompleteEvent;
};

export interface AckedSend {
  send: OpRecord<Produce> & { complete: CompleteEvent };
  topic: string;
  partition: number;
  offset: number;
  value: string;
}

export interface OkFetch {
  fetch: OpRecord<FetchOp> & { complete: CompleteEvent };
  records: FetchedRecord[];
  highWatermark: number;
  logStartOffset: number;
}

export interface TopicInfo {
  config: TopicConfig;
  /** Partition count after the createTopic and every ok addPartitions. */
  partitions: number;
  /** The createTopic that created it, when the history holds one. */
  created: OpRecord | undefined;
}

/** Map key for a partition. "/" cannot occur in a Kafka topic name, so the key is unambiguous. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** How a report names a partition, as Kafka's tools do: `orders-3`. */
export function tpName(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}

/** True when `a` completed before `b` was invoked: `a` precedes `b` in real time. */
export function precedes(a: OpRecord, b: OpRecord): boolean {
  return a.complete !== undefined && a.complete.index < b.invoke.index;
}

/** Faults after which a partition may legitimately lose records that were not durably replicated. */
const LOSSY_FAULTS: ReadonlySet<string> = new Set(["crash", "pause", "isolate", "expireSession"]);

/**
 * Errors that Kafka reports for a produce although the record may still be in the log: after
 * NOT_ENOUGH_REPLICAS_AFTER_APPEND the leader has appended it; an acks=all produce waiting in the
 * leader's purgatory is answered NOT_LEADER_OR_FOLLOWER when leadership moves, though a follower that
 * already copied the record may be the new leader; after a timeout, a network or a storage error nobody
 * knows. The outcome contract asks targets to report these as `unknown`; a target that reports them as
 * `failed` is not taken at its word.
 */
export const INDEFINITE_SEND_ERRORS: ReadonlySet<string> = new Set([
  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
  "NOT_LEADER_OR_FOLLOWER",
  "REQUEST_TIMED_OUT",
  "NETWORK_EXCEPTION",
  "KAFKA_STORAGE_ERROR",
  "UNKNOWN_SERVER_ERROR",
]);

export class HistoryIndex {
  /** Every operation, in invocation order. */
  readonly ops: OpRecord[] = [];
  readonly topics = new Map<string, TopicInfo>();
  /** Produce operations, in invocation order. */
  readonly sends: Array<OpRecord<Produce>> = [];
  /** Sends that completed ok, in invocation order. */
  readonly acked: AckedSend[] = [];
  /** Fetches that completed ok, in invocation order. */
  readonly fetches: OkFetch[] = [];
  /** Whether any fault that can lose unreplicated records (crash, pause, isolate, session loss) ran. */
  readonly lossyFaults: boolean;

  constructor(readonly history: History) {
    const byId = new Map<number, OpRecord>();
    for (const e of history.events) {
      if (e.type === "invoke") {
        const r: OpRecord = { id: e.id, process: e.process, op: e.op, invoke: e, complete: undefined };
        byId.set(e.id, r);
        this.ops.push(r);
      } else {
        const r = byId.get(e.id);
        if (r) r.complete = e;
      }
    }
    let lossy = false;
    for (const r of this.ops) {
      if (LOSSY_FAULTS.has(r.op.kind)) lossy = true;
      this.indexOp(r);
    }
    this.lossyFaults = lossy;
  }

  private indexOp(r: OpRecord): void {
    const op = r.op;
    const out = r.complete?.outcome;
    switch (op.kind) {
      case "createTopic":
        if (out?.status === "ok" && !this.topics.has(op.topic)) {
          this.topics.set(op.topic, {
            config: { ...DEFAULT_TOPIC_CONFIG, ...op.config },
            partitions: op.partitions,
            created: r,
          });
        }
        break;
      case "addPartitions": {
        const t = this.topics.get(op.topic);
        if (out?.status === "ok" && t) t.partitions = Math.max(t.partitions, op.totalCount);
        break;
      }
      case "produce": {
        const send = r as OpRecord<Produce>;
        this.sends.push(send);
        if (out?.status === "ok") {
          const v = out.value as { partition: number; offset: number };
          this.acked.push({
            send: send as AckedSend["send"],
            topic: op.topic,
            partition: v.partition,
            offset: v.offset,
            value: op.value,
          });
        }
        break;
      }
      case "fetch":
        if (out?.status === "ok") {
          const v = out.value as { records: FetchedRecord[]; highWatermark: number; logStartOffset: number };
          this.fetches.push({
            fetch: r as OkFetch["fetch"],
            records: v.records,
            highWatermark: v.highWatermark,
            logStartOffset: v.logStartOffset,
          });
        }
        break;
      default:
        break;
    }
  }

  /** A topic's configuration as its createTopic set it; Kafka's defaults when the history has none. */
  configOf(topic: string): TopicConfig {
    return this.topics.get(topic)?.config ?? DEFAULT_TOPIC_CONFIG;
  }

  /**
   * Whether committed records of this topic must survive every fault in the run: min.insync.replicas
   * >= 2 and no unclean leader election (the DESIGN's durability promise, with at most RF-1 failures).
   */
  isDurableTopic(topic: string): boolean {
    const c = this.configOf(topic);
    return c.minInsyncReplicas >= 2 && !c.uncleanLeaderElection;
  }

  /**
   * Whether an acknowledgement binds the cluster forever: acks=all on a durable topic, or any ack in a
   * run without lossy faults. An acks=1 record may be truncated after a leader change, and then its
   * offset is legitimately reused, so such acks are evidence only when nothing could fail.
   */
  ackIsBinding(a: AckedSend): boolean {
    return !this.lossyFaults || (a.send.op.acks === -1 && this.isDurableTopic(a.topic));
  }

  /**
   * Whether what fetches read of this topic binds the cluster forever. Consumers read only below the
   * high watermark, but with min.insync.replicas=1 or unclean election a crash can still lose that.
   */
  readIsBinding(topic: string): boolean {
    return !this.lossyFaults || this.isDurableTopic(topic);
  }

  /** Acknowledged sends grouped by partition key. */
  ackedByPartition(): Map<string, AckedSend[]> {
    return groupBy(this.acked, (a) => tpKey(a.topic, a.partition));
  }

  /** Successful fetches grouped by partition key, in invocation order. */
  fetchesByPartition(): Map<string, OkFetch[]> {
    return groupBy(this.fetches, (f) => tpKey(f.fetch.op.topic, f.fetch.op.partition));
  }

  /** Every ok-value of operations of one kind, in invocation order. */
  okOf<K extends ClientOp["kind"]>(kind: K): Array<OkRecord<K>> {
    return this.ops.filter(
      (r): r is OkRecord<K> => r.op.kind === kind && r.complete?.outcome.status === "ok",
    );
  }
}

const cache = new WeakMap<History, HistoryIndex>();

/** The index of a history, built on first use. A history must not grow after it is indexed. */
export function indexHistory(history: History): HistoryIndex {
  let idx = cache.get(history);
  if (idx === undefined || idx.ops.length + countCompletions(idx) !== history.events.length) {
    idx = new HistoryIndex(history);
    cache.set(history, idx);
  }
  return idx;
}

function countCompletions(idx: HistoryIndex): number {
  let n = 0;
  for (const r of idx.ops) if (r.complete) n++;
  return n;
}

export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

/** The ok value of a completed operation, typed by the caller who checked its kind. */
export function okValue<T>(r: OpRecord): T {
  const o = r.complete?.outcome;
  if (o?.status !== "ok") throw new Error(`operation ${r.id} did not complete ok`);
  return o.value as T;
}

/** "#4/#9": the invoke and completion indices of an operation, as reports cite them. */
export function cite(r: OpRecord): string {
  return r.complete ? `#${r.invoke.index}/#${r.complete.index}` : `#${r.invoke.index}/(pending)`;
}

/** The event indices of an operation, for Violation.events. */
export function eventsOf(r: OpRecord): number[] {
  return r.complete ? [r.invoke.index, r.complete.index] : [r.invoke.index];
}

/** Two successive ok fetches of one consumer on one partition, the first finished before the second began. */
export interface FetchStep {
  prev: OkFetch;
  next: OkFetch;
  /** The offset after the last record `prev` returned (its requested offset when it returned none). */
  prevEnd: number;
  /** Whether `next` asked for exactly `prevEnd`: the consumer continued where it stopped. */
  continues: boolean;
}

/** The offset a consumer continues from after this fetch. */
export function endOf(f: OkFetch): number {
  return f.records.length > 0 ? f.records[f.records.length - 1].offset + 1 : f.fetch.op.offset;
}

/**
 * Successive fetches per consumer and partition, within one assignment: a joinGroup or syncGroup of
 * that consumer overlapping the gap between two fetches is a rebalance, which resets the sequence
 * (Jepsen allows poll-skip and nonmonotonic-poll across one). Fetches that overlap in time are not
 * successive and are skipped.
 */
export function fetchSteps(idx: HistoryIndex): FetchStep[] {
  const rebalances = groupBy(
    idx.ops.filter((r) => r.op.kind === "joinGroup" || r.op.kind === "syncGroup"),
    (r) => (r.op as { member: string }).member,
  );
  const streams = groupBy(
    idx.fetches,
    (f) => `${f.fetch.op.consumer}\u0000${tpKey(f.fetch.op.topic, f.fetch.op.partition)}`,
  );
  const steps: FetchStep[] = [];
  for (const fs of streams.values()) {
    const consumer = fs[0].fetch.op.consumer;
    const rb = rebalances.get(consumer) ?? [];
    for (let i = 1; i < fs.length; i++) {
      const prev = fs[i - 1];
      const next = fs[i];
      if (!precedes(prev.fetch, next.fetch)) continue;
      const lo = prev.fetch.invoke.index;
      const hi = next.fetch.invoke.index;
      // A rebalance whose [invoke, complete] interval meets (lo, hi) separates the two fetches.
      const reset = rb.some(
        (r) => r.invoke.index < hi && (r.complete?.index ?? Number.POSITIVE_INFINITY) > lo,
      );
      if (reset) continue;
      const prevEnd = endOf(prev);
      steps.push({ prev, next, prevEnd, continues: next.fetch.op.offset === prevEnd });
    }
  }
  return steps;
}

/** The value under `key`, created by `make` when absent. */
export function getOrInsert<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}
