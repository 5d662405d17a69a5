/**
 * Shared reading of an Observation for the state invariants. A replica is judged only while its broker
 * is running: Observation.replicaStates omits brokers that are down, and a broker that is starting has
 * not yet rejoined (Kafka's controller treats a re-registering broker as bounced and drops it from the
 * ISR before it serves again), so its disk state says nothing about the cluster's promises.
 */
import type {
  Observation,
  PartitionObservation,
  PartitionStateObservation,
  ReplicaObservation,
} from "../../adapter.ts";
import type { Violation } from "../types.ts";

// Several invariants read the same observation, and a replica's observed log is the same array from step to
// step while it does not change (impl/embedded/observe.ts keeps it): what is derived from them is kept,
// keyed by identity, so an unchanged log costs nothing to check again. Observations are never mutated.
// The invariants of one step read the same two observations (now and previous), so the last two answers
// are kept by identity: cheaper than a WeakMap lookup on every call.
function lastTwo<T>(derive: (obs: Observation) => T): (obs: Observation) => T {
  let a: Observation | undefined;
  let aValue: T | undefined;
  let b: Observation | undefined;
  let bValue: T | undefined;
  return (obs) => {
    if (obs === a) return aValue as T;
    if (obs === b) return bValue as T;
    const value = derive(obs);
    b = a;
    bValue = aValue;
    a = obs;
    aValue = value;
    return value;
  };
}

export const runningBrokers: (obs: Observation) => ReadonlySet<number> = lastTwo(
  (obs) => new Set(obs.brokers.filter((b) => b.state === "running").map((b) => b.id)),
);

/** The observation's partitions by `topic-partition`. */
export const partitionsByName: (obs: Observation) => ReadonlyMap<string, PartitionObservation> = lastTwo(
  (obs) => new Map(obs.partitions.map((p) => [tp(p), p])),
);

/** The replica on `broker`, if that broker is running and the observation includes it. */
export function replicaOn(
  p: PartitionObservation,
  broker: number,
  running: ReadonlySet<number>,
): ReplicaObservation | undefined {
  if (!running.has(broker)) return undefined;
  return p.replicaStates.find((r) => r.broker === broker);
}

/**
 * Committed records must survive only where the DESIGN promises it: min.insync.replicas >= 2 and no
 * unclean election. With min.insync.replicas=1 a crash of the last in-sync replica loses unflushed but
 * committed records in Kafka too, and unclean election discards them by design.
 */
export function isDurable(p: PartitionObservation): boolean {
  return p.minInsyncReplicas >= 2 && !p.uncleanLeaderElection;
}

export type LogEntry = { epoch: number; value: string };

const logMaps = new WeakMap<ReplicaObservation["log"], ReadonlyMap<number, LogEntry>>();

export function logMap(r: ReplicaObservation): ReadonlyMap<number, LogEntry> {
  let m = logMaps.get(r.log);
  if (m === undefined) {
    const built = new Map<number, LogEntry>();
    for (const e of r.log) built.set(e.offset, { epoch: e.epoch, value: e.value });
    m = built;
    logMaps.set(r.log, m);
  }
  return m;
}

const show = (e: LogEntry | undefined) => (e ? `${e.value}@epoch${e.epoch}` : "nothing");

/**
 * The first offset in [from, to) where `other` does not hold what `reference` holds. Offsets the
 * reference itself lacks are skipped; `requirePresent` decides whether a hole in `other` counts.
 */
export function firstMismatch(
  reference: ReadonlyMap<number, LogEntry>,
  other: ReadonlyMap<number, LogEntry>,
  from: number,
  to: number,
  requirePresent: boolean,
): string | undefined {
  // A log always matches itself: every offset the reference holds, the other holds the same.
  if (reference === other) return undefined;
  const key = `${from}:${to}:${requirePresent}`;
  let byOther = mismatches.get(reference);
  if (byOther === undefined) {
    byOther = new WeakMap();
    mismatches.set(reference, byOther);
  }
  let results = byOther.get(other);
  if (results === undefined) {
    results = new Map();
    byOther.set(other, results);
  }
  if (results.has(key)) return results.get(key);
  const result = scanMismatch(reference, other, from, to, requirePresent);
  results.set(key, result);
  return result;
}

/** Comparisons already made, by the identity of both logs and the range: the same inputs, the same answer. */
const mismatches = new WeakMap<
  ReadonlyMap<number, LogEntry>,
  WeakMap<ReadonlyMap<number, LogEntry>, Map<string, string | undefined>>
>();

function scanMismatch(
  reference: ReadonlyMap<number, LogEntry>,
  other: ReadonlyMap<number, LogEntry>,
  from: number,
  to: number,
  requirePresent: boolean,
): string | undefined {
  for (let o = from; o < to; o++) {
    const want = reference.get(o);
    if (!want) continue;
    const got = other.get(o);
    if (!got && !requirePresent) continue;
    if (!got || got.epoch !== want.epoch || got.value !== want.value) {
      return `offset ${o}: ${show(want)} vs ${show(got)}`;
    }
  }
  return undefined;
}

export const tp = (p: { topic: string; partition: number }) => `${p.topic}-${p.partition}`;

/**
 * A partition's states from the previous observation `q` to this one `p`, oldest first: q's, those the
 * target saw written in between (PartitionObservation.earlierStates) of p's znode and newer than q's, then
 * p's. A state znode created anew in between (another czxid) drops q: the two are different partitions.
 */
export function stateChain(q: PartitionObservation, p: PartitionObservation): PartitionStateObservation[] {
  const czxid = p.stateZnode?.czxid;
  const fresh = q.stateZnode !== undefined && czxid !== undefined && q.stateZnode.czxid !== czxid;
  const after = fresh ? -1 : (q.stateZnode?.version ?? -1);
  const between = (p.earlierStates ?? []).filter(
    (s) => s.stateZnode !== undefined && s.stateZnode.czxid === czxid && s.stateZnode.version > after,
  );
  return [...(fresh ? [] : [q]), ...between, p];
}

export function stateViolation(invariant: string, message: string): Violation {
  return { invariant, message, events: [] };
}
