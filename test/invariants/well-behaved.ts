/**
 * A correct, linearizable in-memory Kafka, used to generate histories every invariant must accept.
 * A run is a list of steps drawn by fast-check; each step starts an operation for an idle client or
 * completes a pending one. Effects apply at completion (a valid linearization point), so operations
 * overlap as they would against a real cluster. Faults are recorded but, the system being correct,
 * change nothing.
 */
import fc from "fast-check";
import type { History } from "../../spec/history.ts";
import type { ClientOp, OkValues, TopicPartition } from "../../spec/operations.ts";
import { type Pending, Script } from "./script.ts";

export const PARTITIONS = 2;
const PRODUCERS = ["p1", "p2"];
const CONSUMERS = ["c1", "c2"];
const GROUP = "g";

export type Step =
  | { kind: "send"; client: number; partition: number; fate: "ok" | "fail" | "lost" | "applied-unknown" }
  | { kind: "fetch"; client: number; partition: number; seek: number | null; max: number }
  | { kind: "latest"; partition: number }
  | { kind: "commit"; client: number; partition: number; back: number }
  | { kind: "readOffsets" }
  | { kind: "rebalance"; members: number }
  | { kind: "complete"; pick: number }
  | { kind: "crash"; broker: number };

const sendArb = fc.record({
  kind: fc.constant("send" as const),
  client: fc.nat(PRODUCERS.length - 1),
  partition: fc.nat(PARTITIONS - 1),
  fate: fc.constantFrom(
    "ok" as const,
    "ok" as const,
    "ok" as const,
    "fail" as const,
    "lost" as const,
    "applied-unknown" as const,
  ),
});
const fetchArb = fc.record({
  kind: fc.constant("fetch" as const),
  client: fc.nat(CONSUMERS.length - 1),
  partition: fc.nat(PARTITIONS - 1),
  seek: fc.option(fc.nat(20), { freq: 5 }),
  max: fc.integer({ min: 1, max: 4 }),
});

/** Weighted so runs are busy: many sends, fetches and completions, fewer group and admin steps. */
export const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: sendArb, weight: 4 },
  { arbitrary: fetchArb, weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant("complete" as const), pick: fc.nat() }), weight: 6 },
  {
    arbitrary: fc.record({ kind: fc.constant("latest" as const), partition: fc.nat(PARTITIONS - 1) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("commit" as const),
      client: fc.nat(CONSUMERS.length - 1),
      partition: fc.nat(PARTITIONS - 1),
      back: fc.nat(2),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("readOffsets" as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("rebalance" as const),
      members: fc.integer({ min: 1, max: CONSUMERS.length }),
    }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ kind: fc.constant("crash" as const), broker: fc.integer({ min: 1, max: 3 }) }),
    weight: 1,
  },
);

/** Runs long enough to read, rebalance and commit. */
export const runArb: fc.Arbitrary<Step[]> = fc.array(stepArb, { minLength: 60, maxLength: 200, size: "max" });

interface InFlight {
  client: string;
  pending: Pending;
  /** Applies the effect at completion and completes the pending operation. */
  finish: () => void;
}

/** Build the history of a correct cluster running `steps` (all pending operations complete at the end). */
export function wellBehavedHistory(steps: readonly Step[]): History {
  const s = new Script();
  s.topic("t", { partitions: PARTITIONS, minIsr: 2 });
  const logs: string[][] = Array.from({ length: PARTITIONS }, () => []);
  const position = new Map<string, number>(); // consumer/partition -> next offset
  const committed = new Map<number, number>(); // partition -> committed offset
  const inFlight: InFlight[] = [];
  const busy = (c: string) => inFlight.some((f) => f.client === c);
  let nextValue = 0;
  let generation = 0;

  const start = (client: string, op: ClientOp, finish: (p: Pending) => void) => {
    const pending = s.start(client, op);
    inFlight.push({ client, pending, finish: () => finish(pending) });
  };

  for (const step of steps) {
    switch (step.kind) {
      case "send": {
        const producer = PRODUCERS[step.client];
        if (busy(producer)) break;
        const value = `v${nextValue++}`;
        start(producer, s.produceOp(producer, "t", step.partition, value), (p) => {
          const log = logs[step.partition];
          if (step.fate === "fail") p.fail("NOT_ENOUGH_REPLICAS");
          else if (step.fate === "lost") p.unknown();
          else {
            log.push(value);
            if (step.fate === "ok") p.ok({ partition: step.partition, offset: log.length - 1 });
            else p.unknown();
          }
        });
        break;
      }
      case "fetch": {
        const consumer = CONSUMERS[step.client];
        if (busy(consumer)) break;
        const key = `${consumer}/${step.partition}`;
        const from = step.seek ?? position.get(key) ?? 0;
        start(consumer, s.fetchOp(consumer, "t", step.partition, from, step.max), (p) => {
          const log = logs[step.partition];
          if (from > log.length) {
            p.fail("OFFSET_OUT_OF_RANGE");
            return;
          }
          const records = log
            .slice(from, from + step.max)
            .map((value, i) => ({ offset: from + i, key: null, value }));
          position.set(key, from + records.length);
          const v: OkValues["fetch"] = { records, highWatermark: log.length, logStartOffset: 0 };
          p.ok(v);
        });
        break;
      }
      case "latest":
        if (busy("admin")) break;
        start("admin", { kind: "listOffsets", topic: "t", partition: step.partition, at: "latest" }, (p) =>
          p.ok({ offset: logs[step.partition].length }),
        );
        break;
      case "commit": {
        const consumer = CONSUMERS[step.client];
        if (busy(consumer)) break;
        const offset = Math.max(0, (position.get(`${consumer}/${step.partition}`) ?? 0) - step.back);
        start(consumer, s.commitOp(GROUP, consumer, generation, { [`t-${step.partition}`]: offset }), (p) => {
          committed.set(step.partition, offset);
          p.ok({});
        });
        break;
      }
      case "readOffsets":
        if (busy("admin")) break;
        start("admin", s.fetchOffsetsOp(GROUP, ["t-0", "t-1"]), (p) =>
          p.ok({
            offsets: Array.from({ length: PARTITIONS }, (_, i) => ({
              topic: "t",
              partition: i,
              offset: committed.get(i) ?? -1,
            })),
          }),
        );
        break;
      case "rebalance": {
        // A whole rebalance at once: the chosen consumers join and sync a new generation (range assignor).
        const members = CONSUMERS.slice(0, step.members);
        if (members.some(busy)) break;
        generation++;
        const leader = members[0];
        for (const m of members) {
          s.joined(m, GROUP, generation, {
            leader,
            members: m === leader ? members.map((x) => [x, ["t"]] as [string, string[]]) : [],
          });
        }
        members.forEach((m, i) => {
          const mine: TopicPartition[] = [];
          for (let p = 0; p < PARTITIONS; p++)
            if (p % members.length === i) mine.push({ topic: "t", partition: p });
          s.synced(
            m,
            GROUP,
            generation,
            mine.map((tp) => `${tp.topic}-${tp.partition}`),
          );
          // A new assignment starts from the committed offsets.
          for (const tp of mine) position.set(`${m}/${tp.partition}`, committed.get(tp.partition) ?? 0);
        });
        break;
      }
      case "complete":
        if (inFlight.length > 0) inFlight.splice(step.pick % inFlight.length, 1)[0].finish();
        break;
      case "crash":
        s.fault({ kind: "crash", broker: step.broker });
        break;
    }
  }
  while (inFlight.length > 0) inFlight.shift()?.finish();
  return s.history;
}
