/**
 * A checker, invariants and an assignor small enough to trust by reading, for testing the runner
 * without the reference model: together they accept everything `ToyTarget` does and reject an offset
 * acknowledged twice (the checker) or a fetched record that differs from the one acknowledged there
 * (the history invariant, Jepsen's inconsistent-offsets).
 */
import type { OutcomeChecker, Verdict } from "../../spec/adapter.ts";
import { completionsOf, type History } from "../../spec/history.ts";
import type { HistoryInvariant, Violation } from "../../spec/invariants/types.ts";
import type { ClientOp, Fault, Outcome, TopicPartition } from "../../spec/operations.ts";
import type { AssignFn, InvariantSuite } from "../../spec/runner.ts";

export class ToyChecker implements OutcomeChecker {
  private acked = new Map<string, string>();
  begin(): void {
    this.acked.clear();
  }
  check(op: ClientOp | Fault, outcome: Outcome): Verdict {
    if (op.kind !== "produce" || outcome.status !== "ok") return { ok: true };
    const { partition, offset } = outcome.value as { partition: number; offset: number };
    const key = `${op.topic}/${partition}@${offset}`;
    const earlier = this.acked.get(key);
    if (earlier !== undefined)
      return { ok: false, reason: `offset ${key} acknowledged for ${earlier} and again for ${op.value}` };
    this.acked.set(key, op.value);
    return { ok: true };
  }
}

export const consistentReads: HistoryInvariant = {
  name: "toy-consistent-reads",
  anomaly: "inconsistent-offsets",
  description: "A fetched record is the one acknowledged at its offset.",
  check(history: History): Violation[] {
    const acked = new Map<string, { value: string; index: number }>();
    for (const e of completionsOf(history, "produce"))
      if (e.outcome.status === "ok") {
        const v = e.outcome.value as { partition: number; offset: number };
        acked.set(`${e.op.topic}/${v.partition}@${v.offset}`, { value: e.op.value, index: e.index });
      }
    const out: Violation[] = [];
    for (const e of completionsOf(history, "fetch")) {
      if (e.outcome.status !== "ok") continue;
      for (const r of (e.outcome.value as { records: Array<{ offset: number; value: string }> }).records) {
        const a = acked.get(`${e.op.topic}/${e.op.partition}@${r.offset}`);
        if (a !== undefined && a.value !== r.value)
          out.push({
            invariant: "toy-consistent-reads",
            message: `${e.op.topic}-${e.op.partition}@${r.offset} acknowledged as ${a.value} but read as ${r.value}`,
            events: [a.index, e.index],
          });
      }
    }
    return out;
  },
};

export const toyInvariants: InvariantSuite = { history: [consistentReads], state: [] };

/** Deal every subscribed partition to members in turn: enough for a leader's SyncGroup. */
export const toyAssign: AssignFn = (_protocol, members, partitionsPerTopic) => {
  const out: Record<string, TopicPartition[]> = {};
  for (const m of members) out[m.memberId] = [];
  let i = 0;
  for (const [topic, count] of Object.entries(partitionsPerTopic))
    for (let partition = 0; partition < count; partition++) {
      const subscribers = members.filter((m) => m.topics.includes(topic));
      if (subscribers.length === 0) continue;
      out[subscribers[i++ % subscribers.length].memberId].push({ topic, partition });
    }
  return out;
};
