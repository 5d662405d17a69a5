/**
 * Metadata (key 3). v0: an empty topic list means every topic; v1+: null means every topic.
 * v4+: allowAutoTopicCreation. Unknown topics are created with num.partitions and
 * default.replication.factor when auto.create.topics.enable and the client allows it, and answered
 * LEADER_NOT_AVAILABLE until they have leaders, as Kafka does.
 */
import { OFFSETS_TOPIC } from "../../group/offsets-topic.ts";
import { createTopic, liveBrokerCount, metadata, waitForLeaders } from "./admin.ts";
import { code, type Handler } from "./types.ts";

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]{1,249}$/;
const ZERO_UUID = "00000000-0000-0000-0000-000000000000";

export const metadataHandler: Handler<3> = async (ctx, body) => {
  const rt = ctx.runtime;
  await rt.ready(rt.registrationWaitMs());
  let names: string[] | null =
    body.topics === null ? null : body.topics.map((t) => t.name ?? "").filter((n) => n !== "");
  if (ctx.apiVersion === 0 && names !== null && names.length === 0) names = null;
  let md = await metadata(rt, names);
  if (md === null) throw new Error("node gave no metadata");
  const created = new Set<string>();
  if (names !== null && rt.config.autoCreateTopicsEnable && body.allowAutoTopicCreation !== false) {
    const missing = md.topics.filter(
      (t) => t.error === "UNKNOWN_TOPIC_OR_PARTITION" && LEGAL_TOPIC.test(t.name) && t.name !== OFFSETS_TOPIC,
    );
    if (missing.length > 0) {
      const rf = Math.min(rt.config.defaultReplicationFactor, await liveBrokerCount(rt));
      for (const t of missing) {
        const error = await createTopic(rt, {
          name: t.name,
          numPartitions: rt.config.numPartitions,
          replicationFactor: rf,
          config: {},
        });
        if (error === null || error === "TOPIC_ALREADY_EXISTS") created.add(t.name);
      }
      await waitForLeaders(rt, [...created], 2_000);
      md = (await metadata(rt, names)) ?? md;
    }
  }
  // A broker that registered after this one read the registrations may not be in its address book yet:
  // read its registration rather than leave a live broker out of the answer.
  for (const id of md.brokers) if (rt.endpointOf(id) === null) await rt.lookupEndpoint(id);
  const live = new Set(md.brokers);
  return {
    throttleTimeMs: 0,
    brokers: md.brokers.flatMap((id) => {
      const e = rt.endpointOf(id);
      return e === null ? [] : [{ nodeId: id, host: e.host, port: e.port, rack: null }];
    }),
    clusterId: rt.clusterId,
    controllerId: md.controllerId ?? -1,
    topics: md.topics.map((t) => {
      const error = created.has(t.name) && t.partitions.length === 0 ? "LEADER_NOT_AVAILABLE" : t.error;
      return {
        errorCode: code(error),
        name: t.name,
        topicId: ZERO_UUID,
        isInternal: t.name === OFFSETS_TOPIC,
        partitions: t.partitions.map((p) => ({
          errorCode: code(p.error),
          partitionIndex: p.partition,
          leaderId: p.leader,
          leaderEpoch: p.leaderEpoch,
          replicaNodes: p.replicas,
          isrNodes: p.isr,
          offlineReplicas: p.replicas.filter((r) => !live.has(r)),
        })),
        topicAuthorizedOperations: -2147483648,
      };
    }),
    clusterAuthorizedOperations: -2147483648,
  };
};
