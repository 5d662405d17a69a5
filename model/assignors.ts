/**
 * Consumer-side partition assignment: Kafka's range, round-robin and sticky assignors as pure functions.
 * Deterministic: members are sorted by member id, partitions by (topic, partition).
 */
import type { Assignor, TopicPartition } from "../spec/operations.ts";

export interface MemberSubscription {
  memberId: string;
  topics: readonly string[];
}

export type Assignment = Record<string, TopicPartition[]>;

export type AssignorFn = (
  members: readonly MemberSubscription[],
  partitionsPerTopic: Readonly<Record<string, number>>,
  previous?: Readonly<Assignment>,
) => Assignment;

function sortedMembers(members: readonly MemberSubscription[]): MemberSubscription[] {
  return [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
}

function emptyAssignment(members: readonly MemberSubscription[]): Assignment {
  const out: Assignment = {};
  for (const m of members) out[m.memberId] = [];
  return out;
}

function subscribedTopics(
  members: readonly MemberSubscription[],
  partitionsPerTopic: Readonly<Record<string, number>>,
) {
  const topics = new Set<string>();
  for (const m of members) for (const t of m.topics) if ((partitionsPerTopic[t] ?? 0) > 0) topics.add(t);
  return [...topics].sort();
}

/** Kafka's RangeAssignor: per topic, consecutive ranges; the first (n mod c) consumers get one extra. */
export const rangeAssignor: AssignorFn = (members, partitionsPerTopic) => {
  const out = emptyAssignment(members);
  const sorted = sortedMembers(members);
  for (const topic of subscribedTopics(members, partitionsPerTopic)) {
    const consumers = sorted.filter((m) => m.topics.includes(topic));
    const n = partitionsPerTopic[topic];
    const per = Math.floor(n / consumers.length);
    const extra = n % consumers.length;
    consumers.forEach((c, i) => {
      const start = per * i + Math.min(i, extra);
      const length = per + (i < extra ? 1 : 0);
      for (let p = start; p < start + length; p++) out[c.memberId].push({ topic, partition: p });
    });
  }
  return out;
};

/** Kafka's RoundRobinAssignor: all partitions in (topic, partition) order dealt to members in turn,
 * skipping members not subscribed to the partition's topic. */
export const roundRobinAssignor: AssignorFn = (members, partitionsPerTopic) => {
  const out = emptyAssignment(members);
  const sorted = sortedMembers(members);
  if (sorted.length === 0) return out;
  let next = 0;
  for (const topic of subscribedTopics(members, partitionsPerTopic)) {
    for (let p = 0; p < partitionsPerTopic[topic]; p++) {
      // Some member subscribes to this topic, so the loop ends within one full turn.
      for (let turns = 0; turns < sorted.length; turns++) {
        const m = sorted[next % sorted.length];
        next++;
        if (m.topics.includes(topic)) {
          out[m.memberId].push({ topic, partition: p });
          break;
        }
      }
    }
  }
  return out;
};

const tpKey = (tp: TopicPartition) => `${tp.topic}\u0000${tp.partition}`;
const byTp = (a: TopicPartition, b: TopicPartition) =>
  a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;

/**
 * A sticky assignor (KIP-54's goals): keep every still-valid previous ownership, hand out the rest to
 * the least-loaded eligible member, then move partitions from the most to the least loaded eligible
 * member until no move improves balance. Each partition goes to exactly one subscribed member.
 */
export const stickyAssignor: AssignorFn = (members, partitionsPerTopic, previous = {}) => {
  const sorted = sortedMembers(members);
  const out = emptyAssignment(members);
  const owner = new Map<string, string>();
  const all: TopicPartition[] = [];
  for (const topic of subscribedTopics(members, partitionsPerTopic))
    for (let p = 0; p < partitionsPerTopic[topic]; p++) all.push({ topic, partition: p });
  const subscribes = (memberId: string, topic: string) =>
    sorted.find((m) => m.memberId === memberId)?.topics.includes(topic) ?? false;
  const total = all.length;
  // A member keeps at most ceil(total / members) of its previous partitions, so balance stays reachable.
  const cap = sorted.length === 0 ? 0 : Math.ceil(total / sorted.length);
  for (const m of sorted) {
    const kept = [...(previous[m.memberId] ?? [])].sort(byTp);
    for (const tp of kept) {
      if (out[m.memberId].length >= cap) break;
      const exists = tp.partition < (partitionsPerTopic[tp.topic] ?? 0);
      if (exists && subscribes(m.memberId, tp.topic) && !owner.has(tpKey(tp))) {
        owner.set(tpKey(tp), m.memberId);
        out[m.memberId].push({ topic: tp.topic, partition: tp.partition });
      }
    }
  }
  const leastLoaded = (topic: string) => {
    let best: MemberSubscription | undefined;
    for (const m of sorted)
      if (
        m.topics.includes(topic) &&
        (best === undefined || out[m.memberId].length < out[best.memberId].length)
      )
        best = m;
    return best;
  };
  for (const tp of all) {
    if (owner.has(tpKey(tp))) continue;
    const m = leastLoaded(tp.topic);
    if (m === undefined) continue;
    owner.set(tpKey(tp), m.memberId);
    out[m.memberId].push(tp);
  }
  // Rebalance: each move lowers the spread between two members by at least one, so it ends within total moves.
  for (let moves = 0; moves < total; moves++) {
    let moved = false;
    const byLoad = [...sorted].sort((a, b) => out[b.memberId].length - out[a.memberId].length);
    for (const heavy of byLoad) {
      for (const tp of [...out[heavy.memberId]].sort(byTp).reverse()) {
        const light = leastLoaded(tp.topic);
        if (light === undefined || out[heavy.memberId].length - out[light.memberId].length <= 1) continue;
        out[heavy.memberId] = out[heavy.memberId].filter((x) => tpKey(x) !== tpKey(tp));
        out[light.memberId].push(tp);
        moved = true;
        break;
      }
      if (moved) break;
    }
    if (!moved) break;
  }
  for (const m of sorted) out[m.memberId].sort(byTp);
  return out;
};

export const ASSIGNORS: Readonly<Record<Assignor, AssignorFn>> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  sticky: stickyAssignor,
};

export function assign(
  assignor: Assignor,
  members: readonly MemberSubscription[],
  partitionsPerTopic: Readonly<Record<string, number>>,
  previous?: Readonly<Assignment>,
): Assignment {
  return ASSIGNORS[assignor](members, partitionsPerTopic, previous);
}
