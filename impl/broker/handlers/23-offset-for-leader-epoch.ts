/**
 * OffsetForLeaderEpoch (key 23). From a follower (v3+, replicaId >= 0): the replication core's
 * epoch query (KIP-101/KIP-279), held by the node while the follower knows a newer epoch than we do.
 * From a consumer validating its position (KIP-320, replicaId -1 or v0-2): answered from the leader's
 * epoch cache directly.
 */
import { code, type Handler } from "./types.ts";

export const offsetForLeaderEpoch: Handler<23> = async (ctx, body) => {
  const rt = ctx.runtime;
  const replicaId = ctx.apiVersion >= 3 ? body.replicaId : -1;
  const topics = [];
  for (const t of body.topics) {
    const partitions = [];
    for (const p of t.partitions) {
      if (replicaId >= 0) {
        const r = await rt.peerEpochQuery(replicaId, {
          replicaId,
          topic: t.topic,
          partition: p.partition,
          currentLeaderEpoch: p.currentLeaderEpoch,
          leaderEpoch: p.leaderEpoch,
        });
        partitions.push({
          errorCode: code(r.error),
          partition: p.partition,
          leaderEpoch: r.leaderEpoch,
          endOffset: BigInt(r.endOffset),
        });
        continue;
      }
      const replica = rt.node.replicas.get(`${t.topic}\u0000${p.partition}`);
      if (replica === undefined || replica.role !== "leader") {
        const error = replica === undefined ? "UNKNOWN_TOPIC_OR_PARTITION" : "NOT_LEADER_OR_FOLLOWER";
        partitions.push({ errorCode: code(error), partition: p.partition, leaderEpoch: -1, endOffset: -1n });
        continue;
      }
      if (p.currentLeaderEpoch >= 0 && p.currentLeaderEpoch !== replica.leaderEpoch) {
        const error =
          p.currentLeaderEpoch < replica.leaderEpoch ? "FENCED_LEADER_EPOCH" : "UNKNOWN_LEADER_EPOCH";
        partitions.push({ errorCode: code(error), partition: p.partition, leaderEpoch: -1, endOffset: -1n });
        continue;
      }
      const answer = replica.log.endOffsetFor(p.leaderEpoch);
      partitions.push({
        errorCode: 0,
        partition: p.partition,
        leaderEpoch: answer.epoch,
        endOffset: BigInt(answer.endOffset),
      });
    }
    topics.push({ topic: t.topic, partitions });
  }
  return { throttleTimeMs: 0, topics };
};
