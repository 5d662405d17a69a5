/**
 * exclusive-assignment: within one generation of a group, the coordinator hands each partition to at
 * most one member (per ok syncGroup outcomes); only members of that generation get an assignment; each
 * member gets exactly what the leader's syncGroup assigned it (the coordinator distributes, it does not
 * assign); and once every member named in the leader's joinGroup outcome has synced, every partition of
 * the topics they subscribe to is owned by exactly one member.
 *
 * Completeness needs the partition count the leader could rely on (see partitionCountsBefore); a topic
 * the history never created (auto-created) is not required.
 */
import { cite, type HistoryIndex, indexHistory, type OkRecord, type OpRecord } from "../../history-index.ts";
import type { OkValues, SyncGroup, TopicPartition } from "../../operations.ts";
import type { HistoryInvariant, Violation } from "../types.ts";
import { violationOf } from "../violation.ts";

const NAME = "exclusive-assignment";

type JoinValue = OkValues["joinGroup"];
type SyncValue = OkValues["syncGroup"];

interface Generation {
  group: string;
  generation: number;
  /** The leader's joinGroup, whose outcome lists the members. */
  leaderJoin: OkRecord<"joinGroup"> | undefined;
  /** client -> its joinGroup of this generation. */
  joins: Map<string, OkRecord<"joinGroup">>;
  syncs: Array<OkRecord<"syncGroup">>;
}

const joinValue = (r: OkRecord<"joinGroup">) => (r.complete.outcome as { value: JoinValue }).value;
const syncValue = (r: OkRecord<"syncGroup">) => (r.complete.outcome as { value: SyncValue }).value;

/**
 * The generations of every group, in history order. One (group, generation) pair can name two
 * generations: Kafka removes an Empty group without offsets (offsets.retention.check.interval.ms) and a
 * new group of that id starts again at generation 1. JoinGroup responses of one generation are all sent
 * before any of its SyncGroups can be, so a join invoked after a sync of that generation completed opens
 * a new incarnation of it.
 */
function generations(idx: HistoryIndex): Generation[] {
  type Item = { join: OkRecord<"joinGroup"> } | { sync: OkRecord<"syncGroup"> };
  const items: Array<{ key: string; group: string; generation: number; at: number; item: Item }> = [];
  for (const j of idx.okOf("joinGroup")) {
    const v = joinValue(j);
    items.push({
      key: `${v.groupId}\u0000${v.generation}`,
      group: v.groupId,
      generation: v.generation,
      at: j.invoke.index,
      item: { join: j },
    });
  }
  for (const s of idx.okOf("syncGroup")) {
    const key = `${s.op.groupId}\u0000${s.op.generation}`;
    items.push({
      key,
      group: s.op.groupId,
      generation: s.op.generation,
      at: s.invoke.index,
      item: { sync: s },
    });
  }
  items.sort((a, b) => a.at - b.at);
  const gens: Generation[] = [];
  const current = new Map<string, Generation>();
  for (const it of items) {
    let g = current.get(it.key);
    const fresh = (): Generation => ({
      group: it.group,
      generation: it.generation,
      leaderJoin: undefined,
      joins: new Map(),
      syncs: [],
    });
    if ("join" in it.item) {
      const j = it.item.join;
      if (!g || g.syncs.some((s) => s.complete.index < j.invoke.index)) {
        g = fresh();
        current.set(it.key, g);
        gens.push(g);
      }
      const v = joinValue(j);
      g.joins.set(j.op.member, j);
      if (v.memberId === v.leader && v.members.length > 0) g.leaderJoin = j;
    } else {
      if (!g) {
        g = fresh();
        current.set(it.key, g);
        gens.push(g);
      }
      g.syncs.push(it.item.sync);
    }
  }
  return gens;
}

/**
 * For each topic, a partition count the group leader can be assumed to have known when its joinGroup was
 * invoked: the smallest count any createTopic of it invoked before then may have created (an ok, unknown
 * or pending one; the cluster may have applied an earlier unknown create instead of a later ok one),
 * raised by any addPartitions that completed ok before then. Only topics with an ok createTopic count.
 */
function partitionCountsBefore(topicOps: readonly OpRecord[], before: number): Map<string, number> {
  const counts = new Map<string, number>();
  const known = new Set<string>();
  for (const r of topicOps) {
    const out = r.complete?.outcome;
    if (r.op.kind !== "createTopic" || r.invoke.index >= before || out?.status === "failed") continue;
    const n = out?.status === "ok" ? (out.value as { partitions: number }).partitions : r.op.partitions;
    counts.set(r.op.topic, Math.min(counts.get(r.op.topic) ?? n, n));
    if (out?.status === "ok" && r.complete && r.complete.index < before) known.add(r.op.topic);
  }
  for (const r of topicOps) {
    if (r.op.kind !== "addPartitions" || !r.complete || r.complete.index >= before) continue;
    if (r.complete.outcome.status === "ok" && counts.has(r.op.topic)) {
      counts.set(r.op.topic, Math.max(counts.get(r.op.topic) ?? 0, r.op.totalCount));
    }
  }
  for (const t of [...counts.keys()]) if (!known.has(t)) counts.delete(t);
  return counts;
}

const tpStr = (tp: TopicPartition) => `${tp.topic}-${tp.partition}`;

function checkGeneration(
  topicOps: readonly OpRecord[],
  leaderSyncs: ReadonlyArray<OpRecord<SyncGroup>>,
  g: Generation,
): Violation[] {
  const out: Violation[] = [];
  const where = `group ${g.group} generation ${g.generation}`;
  const memberIdOf = (s: OkRecord<"syncGroup">) => {
    const j = g.joins.get(s.op.member);
    return j ? joinValue(j).memberId : s.op.member;
  };
  const members = g.leaderJoin ? joinValue(g.leaderJoin).members : undefined;

  // At most one owner per partition.
  const owner = new Map<string, { member: string; by: OpRecord }>();
  const synced = new Map<string, OkRecord<"syncGroup">>();
  for (const s of g.syncs) {
    const member = memberIdOf(s);
    synced.set(member, s);
    if (members && !members.some((m) => m.memberId === member) && g.leaderJoin) {
      out.push(
        violationOf(
          NAME,
          `${where}: syncGroup ${cite(s)} of ${s.op.member} (member ${member}) succeeded, but the leader's joinGroup ` +
            `${cite(g.leaderJoin)} does not list it as a member`,
          [g.leaderJoin, s],
        ),
      );
    }
    for (const tp of syncValue(s).assignment) {
      const k = tpStr(tp);
      const prev = owner.get(k);
      if (!prev) owner.set(k, { member, by: s });
      else if (prev.member !== member) {
        out.push(
          violationOf(
            NAME,
            `${where}: ${k} assigned to both ${prev.member} (syncGroup ${cite(prev.by)}) and ${member} (syncGroup ${cite(s)})`,
            [prev.by, s],
          ),
        );
      }
    }
  }

  // Each member gets exactly what a leader's syncGroup of this generation assigned it: the coordinator
  // distributes, it does not assign. Any leader syncGroup counts, whatever its outcome: one answered
  // NOT_COORDINATOR may still have been stored, and Kafka then answers a retried one from a Stable group
  // with the stored assignment.
  const firstJoin = Math.min(...[...g.joins.values()].map((j) => j.invoke.index));
  const plans = leaderSyncs.filter((l) => l.op.generation === g.generation && l.invoke.index > firstJoin);
  for (const s of g.syncs) {
    if (plans.length === 0) break;
    const member = memberIdOf(s);
    const got = syncValue(s).assignment.map(tpStr).sort().join(",");
    const candidates = plans.filter((l) => l.invoke.index < (s.complete?.index ?? 0));
    const wanted = candidates.map((l) => (l.op.assignments?.[member] ?? []).map(tpStr).sort().join(","));
    if (candidates.length === 0 || wanted.includes(got)) continue;
    const last = candidates[candidates.length - 1];
    out.push(
      violationOf(
        NAME,
        `${where}: syncGroup ${cite(s)} gave ${member} [${got}], but the leader's syncGroup ${cite(last)} ` +
          `assigned it [${wanted[wanted.length - 1]}]` +
          (candidates.length > 1 ? ` (and ${candidates.length - 1} earlier plan(s) differ too)` : ""),
        [last, s],
      ),
    );
  }

  // Every partition owned, once every member has synced.
  if (!g.leaderJoin || !members) return out;
  if (!members.every((m) => synced.has(m.memberId))) return out;
  const counts = partitionCountsBefore(topicOps, g.leaderJoin.invoke.index);
  const topics = new Set(members.flatMap((m) => m.topics));
  const orphans: string[] = [];
  for (const t of [...topics].sort()) {
    const n = counts.get(t) ?? 0;
    for (let p = 0; p < n; p++) if (!owner.has(tpStr({ topic: t, partition: p }))) orphans.push(`${t}-${p}`);
  }
  if (orphans.length > 0) {
    const syncs = members.map((m) => synced.get(m.memberId)!);
    out.push(
      violationOf(
        NAME,
        `${where}: every member synced (${syncs.map((s) => cite(s)).join(", ")}) but ${orphans.join(",")} ` +
          `${orphans.length === 1 ? "is" : "are"} owned by no member`,
        [g.leaderJoin, ...syncs],
      ),
    );
  }
  return out;
}

export const exclusiveAssignment: HistoryInvariant = {
  name: NAME,
  description:
    "In one generation each partition goes to at most one member, and to exactly one once every member has synced.",
  check(history) {
    const idx = indexHistory(history);
    const out: Violation[] = [];
    const topicOps = idx.ops.filter((r) => r.op.kind === "createTopic" || r.op.kind === "addPartitions");
    const leaderSyncs = idx.ops.filter(
      (r): r is OpRecord<SyncGroup> => r.op.kind === "syncGroup" && r.op.assignments !== undefined,
    );
    for (const g of generations(idx)) {
      const mine = leaderSyncs.filter((l) => l.op.groupId === g.group);
      out.push(...checkGeneration(topicOps, mine, g));
    }
    return out;
  },
};
