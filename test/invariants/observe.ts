/**
 * Observations written by hand: `part({ leader: 1, isr: [1, 2], hw: 2, logs: { 1: "a b c", 2: "a b" } })`.
 * A log is its values from offset 0, each in epoch 1 unless written `value@epoch`.
 */
import type {
  BrokerState,
  GroupObservation,
  Observation,
  PartitionObservation,
  ReplicaObservation,
} from "../../spec/adapter.ts";

export function log(spec: string): ReplicaObservation["log"] {
  return spec
    .split(/\s+/)
    .filter((s) => s.length > 0)
    .map((s, offset) => {
      const [value, epoch] = s.split("@");
      return { offset, value, epoch: epoch === undefined ? 1 : Number(epoch) };
    });
}

export interface PartSpec {
  topic?: string;
  partition?: number;
  leader: number | null;
  epoch?: number;
  isr: number[];
  leaderIsr?: number[];
  hw: number;
  minIsr?: number;
  unclean?: boolean;
  /** broker -> log; a replica's own high watermark is min(hw, its log end) unless given in `hws`. */
  logs: Record<number, string>;
  hws?: Record<number, number>;
  epochCaches?: Record<number, Array<[number, number]>>;
}

export function part(p: PartSpec): PartitionObservation {
  const brokers = Object.keys(p.logs).map(Number);
  return {
    topic: p.topic ?? "t",
    partition: p.partition ?? 0,
    leader: p.leader,
    leaderEpoch: p.epoch ?? 1,
    isr: p.isr,
    replicas: brokers,
    leaderIsr: p.leaderIsr ?? p.isr,
    highWatermark: p.hw,
    minInsyncReplicas: p.minIsr ?? 2,
    uncleanLeaderElection: p.unclean ?? false,
    replicaStates: brokers.map((b) => {
      const l = log(p.logs[b]);
      return {
        broker: b,
        logStartOffset: 0,
        logEndOffset: l.length,
        highWatermark: p.hws?.[b] ?? Math.min(p.hw, l.length),
        epochCache: p.epochCaches?.[b] ?? [[1, 0]],
        log: l,
      };
    }),
  };
}

export function observation(o: {
  time?: number;
  controller?: { broker: number | null; epoch: number };
  brokers?: Record<number, BrokerState>;
  partitions?: PartitionObservation[];
  groups?: GroupObservation[];
}): Observation {
  const brokers = o.brokers ?? { 1: "running", 2: "running", 3: "running" };
  const partitions = (o.partitions ?? []).map((p) => ({
    ...p,
    // Replicas of brokers that are down are not observed (Observation.replicaStates' contract).
    replicaStates: p.replicaStates.filter(
      (r) => brokers[r.broker] !== "crashed" && brokers[r.broker] !== "offline",
    ),
  }));
  return {
    time: o.time ?? 0,
    controller: o.controller ?? { broker: 1, epoch: 1 },
    brokers: Object.entries(brokers).map(([id, state]) => ({ id: Number(id), state })),
    partitions,
    groups: o.groups ?? [],
  };
}
