/**
 * fast-check arbitraries for random workloads: client intentions and nemesis faults, weighted so that
 * most steps are client work and faults come now and then. Faults are generated only for the kinds the
 * caller allows (the target's capabilities filtered by the `--faults` families).
 */
import fc from "fast-check";
import type { Acks, Assignor, FaultKind } from "../operations.ts";
import type { FaultTarget, Intent, IntentKind, ProducePartitioner } from "./intents.ts";
import type { FaultPhaseProfile, WorkloadProfile } from "./profile.ts";

export interface WorkloadShape {
  /** Brokers at start: bounds the replication factor. */
  brokers: number;
  /** Fault kinds the nemesis may inject. Empty: no faults. */
  faults: readonly FaultKind[];
  /**
   * Small clock ticks (virtual-time targets): without time passing no group finishes a rebalance, so
   * ticks belong to every workload; the "time" fault family adds the large jumps that expire sessions.
   */
  ticks: boolean;
  /** Names from model/partitioners' registry; empty: no custom partitioner. */
  customPartitioners: readonly string[];
  producers: number;
  consumers: number;
  /** Topic names t0..t(n-1): a small pool so names collide now and then. */
  topicPool: number;
  groupPool: number;
  keyPool: number;
  /** A hunt's emphasis (weights, topic shapes); absent: the default mix. */
  profile?: WorkloadProfile;
}

export const DEFAULT_SHAPE: Omit<WorkloadShape, "brokers" | "faults" | "customPartitioners" | "ticks"> = {
  producers: 3,
  consumers: 4,
  topicPool: 3,
  groupPool: 2,
  keyPool: 8,
};

const ASSIGNORS: readonly Assignor[] = ["range", "roundrobin", "sticky"];
const ACKS: readonly Acks[] = [0, 1, -1];

export function clientNames(prefix: "p" | "c", count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
}

/** A produce step: `acks` from the given values. */
function produceArbitrary(shape: WorkloadShape, acks: readonly Acks[]): fc.Arbitrary<Intent> {
  const partitioners: Array<fc.Arbitrary<ProducePartitioner>> = [
    fc.constant({ kind: "murmur2" } as const),
    fc.constant({ kind: "roundRobin" } as const),
    fc.nat(7).map((p) => ({ kind: "explicit", partition: p }) as const),
  ];
  if (shape.customPartitioners.length > 0)
    partitioners.push(
      fc.constantFrom(...shape.customPartitioners).map((name) => ({ kind: "custom", name }) as const),
    );
  return fc.record({
    kind: fc.constant("produce" as const),
    producer: fc.constantFrom(...clientNames("p", shape.producers)),
    topic: fc.nat(topicPool(shape) - 1),
    key: fc.option(fc.nat(shape.keyPool - 1), { freq: 4, nil: null }),
    partitioner: fc.oneof(...partitioners),
    acks: fc.constantFrom(...acks),
    idempotent: fc.boolean(),
  });
}

const topicPool = (shape: WorkloadShape): number => shape.profile?.topics?.pool ?? shape.topicPool;

const DEFAULT_WEIGHTS: Record<Exclude<IntentKind, FaultKind>, number> = {
  createTopic: 3,
  produce: 12,
  fetch: 8,
  listOffsets: 2,
  join: 4,
  poll: 10,
  sync: 2,
  heartbeat: 2,
  leave: 2,
  commit: 3,
  fetchCommitted: 1,
  zombie: 1,
  addPartitions: 1,
};

/** Every arbitrary of the workload, each with its weight (a profile's weights over the defaults). */
export function intentArbitraries(shape: WorkloadShape): Array<fc.WeightedArbitrary<Intent>> {
  const consumer = fc.constantFrom(...clientNames("c", shape.consumers));
  const pool = topicPool(shape);
  const topic = fc.nat(pool - 1);
  const partition = fc.nat(7);
  const group = fc.nat(shape.groupPool - 1);
  const broker = fc.nat(15);
  const t = shape.profile?.topics ?? {};
  const rfMax = Math.max(1, Math.min(3, shape.brokers));
  const span = (s: { min: number; max: number } | undefined, min: number, max: number) =>
    fc.integer({ min: Math.min(s?.min ?? min, max), max: Math.min(s?.max ?? max, max) });

  const createTopic = fc.record({
    kind: fc.constant("createTopic" as const),
    name: fc.nat(pool - 1),
    partitions: span(t.partitions, 1, 4),
    replicationFactor: span(t.replicationFactor, 1, rfMax),
    minInsyncReplicas: span(t.minInsyncReplicas, 1, 2),
    uncleanLeaderElection:
      t.uncleanLeaderElection === undefined ? fc.boolean() : fc.constant(t.uncleanLeaderElection),
  });
  const fetch = fc.record({
    kind: fc.constant("fetch" as const),
    consumer,
    topic,
    partition,
    maxRecords: fc.integer({ min: 1, max: 10 }),
  });
  const listOffsets = fc.record({
    kind: fc.constant("listOffsets" as const),
    topic,
    partition,
    at: fc.constantFrom("earliest" as const, "latest" as const),
  });
  const join = fc.record({
    kind: fc.constant("join" as const),
    consumer,
    group: fc.option(group, { freq: 8 }),
    topics: fc.uniqueArray(topic, { minLength: 1, maxLength: pool }),
    assignor: fc.constantFrom(...ASSIGNORS),
    sessionTimeoutMs: fc.constantFrom(6000, 10000, 30000),
    rebalanceTimeoutMs: fc.constantFrom(10000, 30000),
  });
  const byConsumer = <K extends "poll" | "sync" | "heartbeat" | "leave">(kind: K) =>
    consumer.map((c) => ({ kind, consumer: c }) as Extract<Intent, { kind: K }>);
  const commit = fc.record({
    kind: fc.constant("commit" as const),
    consumer,
    simple: fc.nat(3).map((n) => n === 0),
    group,
  });
  const zombie = fc.record({
    kind: fc.constant("zombie" as const),
    consumer,
    request: fc.constantFrom("sync" as const, "commit" as const),
  });
  const fetchCommitted = fc.record({ kind: fc.constant("fetchCommitted" as const), consumer, group });
  const addPartitions = fc.record({
    kind: fc.constant("addPartitions" as const),
    topic,
    extra: fc.integer({ min: 1, max: 2 }),
  });

  const clientArbs: Record<Exclude<IntentKind, FaultKind>, fc.Arbitrary<Intent>> = {
    createTopic,
    produce: produceArbitrary(shape, shape.profile?.acks ?? ACKS),
    fetch,
    listOffsets,
    join,
    poll: byConsumer("poll"),
    sync: byConsumer("sync"),
    heartbeat: byConsumer("heartbeat"),
    leave: byConsumer("leave"),
    commit,
    fetchCommitted,
    zombie,
    addPartitions,
  };
  const weights = shape.profile?.weights ?? {};
  const arbs: Array<fc.WeightedArbitrary<Intent>> = [];
  for (const [kind, arbitrary] of Object.entries(clientArbs) as Array<
    [keyof typeof clientArbs, fc.Arbitrary<Intent>]
  >)
    arbs.push({ arbitrary, weight: weights[kind] ?? DEFAULT_WEIGHTS[kind] });
  if (shape.ticks)
    arbs.push({
      arbitrary: fc.constantFrom(100, 500, 1000, 3000).map((ms) => ({ kind: "advanceTime", ms }) as const),
      weight: 2,
    });
  for (const kind of new Set(shape.faults))
    arbs.push({
      arbitrary: faultArbitrary(kind, broker, targetArbitrary(shape)),
      weight: weights[kind] ?? FAULT_WEIGHTS[kind],
    });
  return arbs.filter((a) => a.weight > 0);
}

/**
 * Faults come often enough that a run of fifty steps sees several: the bugs worth finding need two
 * crashes and a restart in one run. Undo-faults weigh more; they apply only after their fault.
 */
const FAULT_WEIGHTS: Record<FaultKind, number> = {
  crash: 3,
  restart: 4,
  pause: 2,
  resume: 3,
  isolate: 2,
  heal: 3,
  expireSession: 2,
  advanceTime: 3,
  addBroker: 1,
};

/** The profile's fault targets by weight (undefined: untargeted), or null when faults pick by index. */
function targetArbitrary(shape: WorkloadShape): fc.Arbitrary<FaultTarget | undefined> | null {
  const targets = shape.profile?.targets;
  if (targets === undefined) return null;
  const entries = Object.entries(targets).filter(([, w]) => (w ?? 0) > 0) as Array<
    [FaultTarget | "any", number]
  >;
  if (entries.length === 0) return null;
  return fc.oneof(
    ...entries.map(([t, weight]) => ({ arbitrary: fc.constant(t === "any" ? undefined : t), weight })),
  );
}

function faultArbitrary(
  kind: FaultKind,
  broker: fc.Arbitrary<number>,
  target: fc.Arbitrary<FaultTarget | undefined> | null = null,
): fc.Arbitrary<Intent> {
  const aimed = <T extends Intent>(arb: fc.Arbitrary<T>): fc.Arbitrary<Intent> =>
    target === null
      ? arb
      : fc.tuple(arb, target).map(([i, t]) => (t === undefined ? i : { ...i, target: t }));
  switch (kind) {
    case "crash":
    case "pause":
    case "expireSession":
      return aimed(broker.map((b) => ({ kind, broker: b })));
    case "restart":
    case "resume":
      return broker.map((b) => ({ kind, broker: b }));
    case "isolate":
      return aimed(fc.nat(255).map((seed) => ({ kind: "isolate", seed }) as const));
    case "heal":
      return fc.constant({ kind: "heal" });
    case "advanceTime":
      return fc.constantFrom(100, 1000, 5000, 12000, 35000).map((ms) => ({ kind: "advanceTime", ms }));
    case "addBroker":
      return fc.constant({ kind: "addBroker" });
  }
}

/**
 * A rebalance phase: two to four consumers join one group close together, then poll in rounds (a small
 * clock tick between rounds where time is virtual) until the group would be Stable. Single steps rarely
 * line this up within a run, so generations with several synced members would otherwise be rare; the
 * phase makes them common. Its steps are ordinary intents: each is skipped when it does not apply.
 */
export function rebalancePhaseArbitrary(shape: WorkloadShape): fc.Arbitrary<Intent[]> {
  const consumers = clientNames("c", shape.consumers);
  return fc
    .record({
      members: fc.shuffledSubarray(consumers, { minLength: Math.min(2, consumers.length), maxLength: 4 }),
      group: fc.nat(shape.groupPool - 1),
      topics: fc.uniqueArray(fc.nat(topicPool(shape) - 1), { minLength: 1, maxLength: topicPool(shape) }),
      assignor: fc.constantFrom(...ASSIGNORS),
      sessionTimeoutMs: fc.constantFrom(10000, 30000),
      rebalanceTimeoutMs: fc.constantFrom(10000, 30000),
      rounds: fc.integer({ min: 3, max: 4 }),
      tickMs: fc.constantFrom(500, 1000, 3000),
    })
    .map(({ members, rounds, tickMs, ...join }) => {
      const steps: Intent[] = members.map((consumer) => ({ kind: "join", consumer, ...join }));
      for (let r = 0; r < rounds; r++) {
        if (shape.ticks) steps.push({ kind: "advanceTime", ms: tickMs });
        for (const consumer of members) steps.push({ kind: "poll", consumer });
      }
      return steps;
    });
}

/** One arbitrary drawing intents by weight. */
export function intentArbitrary(shape: WorkloadShape): fc.Arbitrary<Intent> {
  return fc.oneof(...intentArbitraries(shape));
}

/** The fault kinds a phase round starts with, and those that undo them (restart, resume, heal). */
const PHASE_FAULTS: readonly FaultKind[] = ["crash", "pause", "isolate", "expireSession"];
const PHASE_UNDO: readonly FaultKind[] = ["restart", "resume", "heal"];

/**
 * A fault phase (profile.ts): rounds of one fault with maybe an undo of an earlier one before or after
 * it (a heal before the next isolate, a restart after the next crash), a few writes, and maybe a jump
 * in time. Null when the run has no fault kind to start a round with.
 */
export function faultPhaseArbitrary(
  shape: WorkloadShape,
  phase: FaultPhaseProfile,
): fc.Arbitrary<Intent[]> | null {
  const broker = fc.nat(15);
  const doing = PHASE_FAULTS.filter((k) => shape.faults.includes(k) && (phase.faults?.[k] ?? 1) > 0);
  if (doing.length === 0) return null;
  const undoing = PHASE_UNDO.filter((k) => shape.faults.includes(k));
  const time = shape.faults.includes("advanceTime") || shape.ticks ? phase.advanceMs : [0];
  const round = fc.record({
    fault: fc.oneof(
      ...doing.map((k) => ({
        arbitrary: faultArbitrary(k, broker, targetArbitrary(shape)),
        weight: phase.faults?.[k] ?? 1,
      })),
    ),
    undo:
      undoing.length > 0
        ? fc.option(fc.oneof(...undoing.map((k) => faultArbitrary(k, broker))), { freq: 2 })
        : fc.constant(null),
    writes: fc.array(produceArbitrary(shape, phase.acks), {
      minLength: phase.writes.min,
      maxLength: phase.writes.max,
    }),
    undoFirst: fc.boolean(),
    advanceMs: fc.constantFrom(...time),
  });
  return fc
    .array(round, { minLength: phase.rounds.min, maxLength: phase.rounds.max })
    .map((rounds) =>
      rounds.flatMap((r) => [
        ...(r.undo === null ? [r.fault] : r.undoFirst ? [r.undo, r.fault] : [r.fault, r.undo]),
        ...r.writes,
        ...(r.advanceMs > 0 ? [{ kind: "advanceTime", ms: r.advanceMs } as const] : []),
      ]),
    );
}
