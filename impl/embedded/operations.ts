/**
 * Spec operations as a Kafka client would carry them out: look up the leader or coordinator, send one
 * request, map the answer to an outcome. No retries: an error comes back as the outcome. An error is
 * `failed` only when the request definitely was not applied; otherwise `unknown`.
 */

import { choosePartition } from "../../model/partitioners.ts";
import type { KafkaErrorName } from "../../spec/errors.ts";
import {
  type ClientOp,
  type FetchedRecord,
  failed,
  type Outcome,
  ok,
  type TopicPartition,
  unknown,
} from "../../spec/operations.ts";
import type { GroupError, JoinGroupResponse, SyncGroupResponse } from "../group/api.ts";
import {
  assignedTopicPartitions,
  CONSUMER_PROTOCOL_TYPE,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  groupByTopic,
} from "../group/consumer-protocol.ts";
import type { ClientRequest, ClientResponse, MetadataResponse } from "../node/requests.ts";
import type { SimCluster } from "../sim/cluster.ts";
import type { CallResult, SimClient } from "./client.ts";
import type { ClientState } from "./index.ts";

/** Produce errors that mean the broker refused before appending. */
const PRODUCE_DEFINITE: ReadonlySet<KafkaErrorName> = new Set<KafkaErrorName>([
  "NOT_ENOUGH_REPLICAS",
  "UNKNOWN_TOPIC_OR_PARTITION",
  "BROKER_NOT_AVAILABLE",
  "INVALID_REQUIRED_ACKS",
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
]);

const REQUEST_TIMEOUT_MS = 30_000;

function unreachable(r: CallResult, readOnly: boolean): Outcome {
  if (r.kind === "refused") return failed("NETWORK_EXCEPTION", "connection refused");
  if (r.kind === "closed")
    return readOnly ? failed("NETWORK_EXCEPTION") : unknown("NETWORK_EXCEPTION", "connection closed");
  return readOnly ? failed("REQUEST_TIMED_OUT") : unknown("REQUEST_TIMED_OUT");
}

function asError(e: GroupError | KafkaErrorName | null): KafkaErrorName | null {
  return e === null || e === "NONE" ? null : e;
}

export async function runOperation(
  sim: SimCluster,
  client: SimClient,
  state: ClientState,
  op: ClientOp,
): Promise<Outcome> {
  switch (op.kind) {
    case "createTopic":
    case "addPartitions":
      return adminOp(client, op);
    case "produce":
      return produce(sim, client, state, op);
    case "fetch":
      return fetch(client, op);
    case "listOffsets":
      return listOffsets(client, op);
    case "joinGroup":
      return joinGroup(client, state, op);
    case "syncGroup":
      return syncGroup(client, state, op);
    case "heartbeat":
    case "leaveGroup":
    case "commitOffsets":
    case "fetchOffsets":
      return groupOp(client, state, op);
  }
}

function adminOp(
  client: SimClient,
  op: Extract<ClientOp, { kind: "createTopic" | "addPartitions" }>,
): Outcome {
  const md = client.metadata(null);
  if (md === null) return failed("NETWORK_EXCEPTION", "no broker reachable");
  if (md.controllerId === null) return failed("NOT_CONTROLLER");
  const request: ClientRequest =
    op.kind === "createTopic"
      ? {
          api: "createTopics",
          name: op.topic,
          numPartitions: op.partitions,
          replicationFactor: op.replicationFactor,
          config: op.config,
        }
      : { api: "createPartitions", name: op.topic, count: op.totalCount };
  const r = client.call(md.controllerId, request);
  if (r.kind !== "reply") return unreachable(r, false);
  const error = errorOf(r.response);
  if (error === "NOT_CONTROLLER") return failed(error);
  if (error !== null) return failed(error);
  return ok({ partitions: op.kind === "createTopic" ? op.partitions : op.totalCount });
}

function errorOf(response: ClientResponse): KafkaErrorName | null {
  switch (response.api) {
    case "error":
      return response.error;
    case "metadata":
    case "group":
    case "offsetFetch":
      return null;
    default:
      return response.error;
  }
}

function topicOf(md: MetadataResponse, topic: string) {
  return md.topics.find((t) => t.name === topic && t.error === null);
}

function produce(
  sim: SimCluster,
  client: SimClient,
  state: ClientState,
  op: Extract<ClientOp, { kind: "produce" }>,
): Outcome {
  const md = client.metadata([op.topic]);
  if (md === null) return failed("NETWORK_EXCEPTION", "no broker reachable");
  const t = topicOf(md, op.topic);
  if (t === undefined || t.partitions.length === 0) {
    const pending = md.topics.find((x) => x.name === op.topic)?.error === "LEADER_NOT_AVAILABLE";
    return failed(pending ? "LEADER_NOT_AVAILABLE" : "UNKNOWN_TOPIC_OR_PARTITION");
  }
  const available = t.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
  const choice = choosePartition(
    state.partitioner,
    op.producer,
    op.topic,
    op.partitioner,
    op.key,
    t.partitions.length,
    available,
    (n) => sim.prng.int(0, n - 1),
  );
  const partition = choice.partition;
  const meta = t.partitions.find((p) => p.partition === partition);
  if (meta === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
  if (meta.leader < 0) return { ...failed("LEADER_NOT_AVAILABLE"), partition } as Outcome;
  const headers = op.headers;
  const record = {
    key: op.key === null ? null : Buffer.from(op.key, "utf8"),
    value: Buffer.from(op.value, "utf8"),
    ...(headers !== undefined ? { headers } : {}),
  };
  const r = client.call(meta.leader, {
    api: "produce",
    topic: op.topic,
    partition,
    acks: op.acks,
    timeoutMs: REQUEST_TIMEOUT_MS,
    records: [record],
  });
  if (op.acks === 0) {
    // Nothing comes back for acks=0 (our broker sends no reply): always unknown.
    return r.kind === "refused"
      ? failed("NETWORK_EXCEPTION", "connection refused")
      : { status: "unknown", partition };
  }
  if (r.kind !== "reply") {
    return r.kind === "refused"
      ? failed("NETWORK_EXCEPTION", "connection refused")
      : ({ ...unreachable(r, false), partition } as Outcome);
  }
  const error = errorOf(r.response);
  if (error === null && r.response.api === "produce") return ok({ partition, offset: r.response.baseOffset });
  if (error !== null && PRODUCE_DEFINITE.has(error)) return failed(error);
  return { status: "unknown", error: error ?? "UNKNOWN_SERVER_ERROR", partition };
}

function leaderOf(
  client: SimClient,
  topic: string,
  partition: number,
): { leader: number } | { outcome: Outcome } {
  const md = client.metadata([topic]);
  if (md === null) return { outcome: failed("NETWORK_EXCEPTION", "no broker reachable") };
  const t = topicOf(md, topic);
  const p = t?.partitions.find((x) => x.partition === partition);
  if (p === undefined) return { outcome: failed("UNKNOWN_TOPIC_OR_PARTITION") };
  if (p.leader < 0) return { outcome: failed("LEADER_NOT_AVAILABLE") };
  return { leader: p.leader };
}

function fetch(client: SimClient, op: Extract<ClientOp, { kind: "fetch" }>): Outcome {
  const l = leaderOf(client, op.topic, op.partition);
  if ("outcome" in l) return l.outcome;
  const r = client.call(l.leader, {
    api: "fetch",
    topic: op.topic,
    partition: op.partition,
    fetchOffset: op.offset,
    maxRecords: op.maxRecords,
  });
  if (r.kind !== "reply") return unreachable(r, true);
  const error = errorOf(r.response);
  if (error !== null || r.response.api !== "fetch") return failed(error ?? "UNKNOWN_SERVER_ERROR");
  const records: FetchedRecord[] = r.response.records.map((e) => {
    const rec: FetchedRecord = {
      offset: e.offset,
      key: e.key === null ? null : e.key.toString("utf8"),
      value: e.value === null ? "" : e.value.toString("utf8"),
    };
    if (e.headers !== undefined) rec.headers = e.headers;
    return rec;
  });
  return ok({ records, highWatermark: r.response.highWatermark, logStartOffset: r.response.logStartOffset });
}

function listOffsets(client: SimClient, op: Extract<ClientOp, { kind: "listOffsets" }>): Outcome {
  const l = leaderOf(client, op.topic, op.partition);
  if ("outcome" in l) return l.outcome;
  const r = client.call(l.leader, {
    api: "listOffsets",
    topic: op.topic,
    partition: op.partition,
    timestamp: op.at === "earliest" ? -2 : -1,
  });
  if (r.kind !== "reply") return unreachable(r, true);
  const error = errorOf(r.response);
  if (error !== null || r.response.api !== "listOffsets") return failed(error ?? "UNKNOWN_SERVER_ERROR");
  return ok({ offset: r.response.offset });
}

/* ------------------------------------------------------------------------------------------------ */
/* Groups                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

function coordinatorOf(client: SimClient, groupId: string): { broker: number } | { outcome: Outcome } {
  const b = client.bootstrap();
  if (b === null) return { outcome: failed("NETWORK_EXCEPTION", "no broker reachable") };
  const r = client.call(b, { api: "findCoordinator", key: groupId });
  if (r.kind !== "reply") return { outcome: unreachable(r, true) };
  if (r.response.api !== "findCoordinator" || r.response.error !== null) {
    return { outcome: failed(errorOf(r.response) ?? "COORDINATOR_NOT_AVAILABLE") };
  }
  return { broker: r.response.nodeId };
}

const memberKey = (groupId: string, client: string) => `${groupId}\u0000${client}`;

async function joinGroup(
  client: SimClient,
  state: ClientState,
  op: Extract<ClientOp, { kind: "joinGroup" }>,
): Promise<Outcome> {
  // A consumer without a group id gets a generated one, as the model does; the outcome names it.
  const groupId = op.groupId ?? `generated-group-${++state.generatedGroups}`;
  const c = coordinatorOf(client, groupId);
  if ("outcome" in c) return c.outcome;
  const mk = memberKey(groupId, op.member);
  const r = await client.callHeld(
    c.broker,
    {
      api: "joinGroup",
      body: {
        groupId,
        memberId: state.memberIds.get(mk) ?? "",
        groupInstanceId: null,
        protocolType: CONSUMER_PROTOCOL_TYPE,
        protocols: [{ name: op.assignor, metadata: encodeSubscription({ topics: op.topics }) }],
        sessionTimeoutMs: op.sessionTimeoutMs,
        rebalanceTimeoutMs: op.rebalanceTimeoutMs,
        clientId: op.member,
        clientHost: "/sim",
        requireKnownMemberId: false,
      },
    },
    op.rebalanceTimeoutMs + 5_000,
  );
  if (r.kind !== "reply") return unreachable(r, false);
  if (r.response.api !== "group" || r.response.response.api !== "JoinGroup")
    return failed(errorOf(r.response) ?? "UNKNOWN_SERVER_ERROR");
  const body: JoinGroupResponse = r.response.response.body;
  const error = asError(body.error);
  if (error !== null) {
    if (error === "UNKNOWN_MEMBER_ID") state.memberIds.delete(mk);
    return failed(error);
  }
  state.memberIds.set(mk, body.memberId);
  return ok({
    groupId,
    memberId: body.memberId,
    generation: body.generationId,
    leader: body.leader,
    protocol: (body.protocolName ?? op.assignor) as typeof op.assignor,
    members: body.members.map((m) => ({
      memberId: m.memberId,
      topics: decodeSubscription(m.metadata).topics,
    })),
  });
}

async function syncGroup(
  client: SimClient,
  state: ClientState,
  op: Extract<ClientOp, { kind: "syncGroup" }>,
): Promise<Outcome> {
  const c = coordinatorOf(client, op.groupId);
  if ("outcome" in c) return c.outcome;
  const memberId = state.memberIds.get(memberKey(op.groupId, op.member)) ?? "";
  const assignments = Object.entries(op.assignments ?? {}).map(([m, tps]) => ({
    memberId: m,
    assignment: encodeAssignment({ partitions: groupByTopic(tps) }),
  }));
  const r = await client.callHeld(
    c.broker,
    {
      api: "syncGroup",
      body: {
        groupId: op.groupId,
        generationId: op.generation,
        memberId,
        groupInstanceId: null,
        assignments,
      },
    },
    REQUEST_TIMEOUT_MS,
  );
  if (r.kind !== "reply") return unreachable(r, false);
  if (r.response.api !== "group" || r.response.response.api !== "SyncGroup")
    return failed(errorOf(r.response) ?? "UNKNOWN_SERVER_ERROR");
  const body: SyncGroupResponse = r.response.response.body;
  const error = asError(body.error);
  if (error !== null) return failed(error);
  const assignment: TopicPartition[] = assignedTopicPartitions(decodeAssignment(body.assignment));
  return ok({ assignment });
}

function groupOp(
  client: SimClient,
  state: ClientState,
  op: Extract<ClientOp, { kind: "heartbeat" | "leaveGroup" | "commitOffsets" | "fetchOffsets" }>,
): Outcome {
  const c = coordinatorOf(client, op.groupId);
  if ("outcome" in c) return c.outcome;
  const memberId = "member" in op ? (state.memberIds.get(memberKey(op.groupId, op.member)) ?? "") : "";
  let request: ClientRequest;
  switch (op.kind) {
    case "heartbeat":
      request = {
        api: "heartbeat",
        body: { groupId: op.groupId, generationId: op.generation, memberId, groupInstanceId: null },
      };
      break;
    case "leaveGroup":
      request = {
        api: "leaveGroup",
        body: { groupId: op.groupId, members: [{ memberId, groupInstanceId: null }] },
      };
      break;
    case "commitOffsets": {
      const byTopic = new Map<
        string,
        Array<{
          partitionIndex: number;
          committedOffset: number;
          committedLeaderEpoch: number;
          committedMetadata: string | null;
        }>
      >();
      for (const o of op.offsets) {
        const list = byTopic.get(o.topic) ?? [];
        list.push({
          partitionIndex: o.partition,
          committedOffset: o.offset,
          committedLeaderEpoch: -1,
          committedMetadata: null,
        });
        byTopic.set(o.topic, list);
      }
      request = {
        api: "offsetCommit",
        body: {
          groupId: op.groupId,
          generationId: op.generation,
          memberId: op.generation === -1 ? "" : memberId,
          groupInstanceId: null,
          topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        },
      };
      break;
    }
    case "fetchOffsets": {
      const byTopic = new Map<string, number[]>();
      for (const p of op.partitions) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p.partition]);
      request = {
        api: "offsetFetch",
        body: {
          groupId: op.groupId,
          topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        },
      };
      break;
    }
  }
  const r = client.call(c.broker, request);
  const readOnly = op.kind === "fetchOffsets" || op.kind === "heartbeat";
  if (r.kind !== "reply") return unreachable(r, readOnly);
  const resp = r.response;
  if (resp.api === "error") return failed(resp.error);
  if (op.kind === "fetchOffsets") {
    if (resp.api !== "offsetFetch") return failed("UNKNOWN_SERVER_ERROR");
    const top = asError(resp.body.error);
    if (top !== null) return failed(top);
    const offsets: Array<TopicPartition & { offset: number }> = [];
    for (const t of resp.body.topics) {
      for (const p of t.partitions) {
        const e = asError(p.error);
        if (e !== null) return failed(e);
        offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset });
      }
    }
    return ok({ offsets });
  }
  if (resp.api !== "group") return failed("UNKNOWN_SERVER_ERROR");
  const g = resp.response;
  if (g.api === "Heartbeat") {
    const e = asError(g.body.error);
    return e === null ? ok({}) : failed(e);
  }
  if (g.api === "LeaveGroup") {
    const e = asError(g.body.error) ?? asError(g.body.members[0]?.error ?? "NONE");
    if (e === null) state.memberIds.delete(memberKey(op.groupId, (op as { member: string }).member));
    return e === null ? ok({}) : failed(e);
  }
  if (g.api === "OffsetCommit") {
    const errors = g.body.topics.flatMap((t) => t.partitions.map((p) => asError(p.error)));
    const first = errors.find((e) => e !== null) ?? null;
    if (first === null) return ok({});
    // A commit whose append timed out or lost leadership may still have been written; so may the rest of
    // one whose unknown partitions alone were refused (UNKNOWN_TOPIC_OR_PARTITION beside NONE).
    if (first === "REQUEST_TIMED_OUT" || first === "NOT_ENOUGH_REPLICAS_AFTER_APPEND") return unknown(first);
    if (errors.some((e) => e === null)) return unknown(first);
    return failed(first);
  }
  return failed("UNKNOWN_SERVER_ERROR");
}
