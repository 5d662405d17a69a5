/**
 * The white-box view of the simulated cluster as spec/adapter.ts's Observation: the controller and
 * partition states from the metadata store, the leader's own ISR and HW, and every live replica's log.
 */
import type { Observation, PartitionObservation, ReplicaObservation } from "../../spec/adapter.ts";
import { OFFSETS_TOPIC } from "../group/offsets-topic.ts";
import {
  decodeController,
  decodeControllerEpoch,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  ZkPaths,
} from "../metadata/layout.ts";
import type { LogEntry, ReplicaLog } from "../replication/replica-log.ts";
import { StorageReplicaLog } from "../replication/storage-log.ts";
import type { SimCluster } from "../sim/cluster.ts";

/** Decoded znode contents by path, valid while the znode's mzxid is unchanged. */
const decoded = new WeakMap<SimCluster, Map<string, { mzxid: number; value: unknown }>>();

function readDecoded<T>(sim: SimCluster, path: string, decode: (b: Buffer) => T): T | null {
  const node = sim.tree.get(sim.observerSession, path);
  if (node === null) return null;
  let cache = decoded.get(sim);
  if (cache === undefined) {
    cache = new Map();
    decoded.set(sim, cache);
  }
  const hit = cache.get(path);
  if (hit !== undefined && hit.mzxid === node.stat.mzxid) return hit.value as T;
  const value = decode(node.data);
  cache.set(path, { mzxid: node.stat.mzxid, value });
  return value;
}

type LogView = ReplicaObservation["log"];

/**
 * Each log's observed entries, rebuilt only when its content version moves; entries that are the same
 * objects as last time (the decoded copy keeps them until truncation) keep their decoded strings.
 */
const logViews = new WeakMap<ReplicaLog, { version: number; source: LogEntry[]; view: LogView }>();

function observeLog(log: ReplicaLog): LogView {
  const version = log instanceof StorageReplicaLog ? log.contentVersion : -1;
  const hit = logViews.get(log);
  if (hit !== undefined && version >= 0 && hit.version === version) return hit.view;
  const source = log.read(log.logStartOffset, Number.MAX_SAFE_INTEGER);
  const view: LogView = new Array(source.length);
  for (let i = 0; i < source.length; i++) {
    const e = source[i];
    view[i] =
      hit !== undefined && hit.source[i] === e
        ? hit.view[i]
        : { offset: e.offset, epoch: e.epoch, value: e.value === null ? "" : e.value.toString("utf8") };
  }
  if (version >= 0) logViews.set(log, { version, source, view });
  return view;
}

/** What the metadata store says, decoded: rebuilt only when the tree's last zxid moves. */
interface StoreView {
  zxid: number;
  controller: Observation["controller"];
  partitions: Array<{
    topic: string;
    partition: number;
    /** The key of the partition in BrokerNode.replicas. */
    key: string;
    replicas: number[];
    state: ReturnType<typeof decodePartitionState>;
    minInsyncReplicas: number;
    uncleanLeaderElection: boolean;
  }>;
}

const storeViews = new WeakMap<SimCluster, StoreView>();

function storeView(sim: SimCluster): StoreView {
  const hit = storeViews.get(sim);
  if (hit !== undefined && hit.zxid === sim.tree.zxid) return hit;
  const view: StoreView = {
    zxid: sim.tree.zxid,
    controller: {
      broker: readDecoded(sim, ZkPaths.controller, decodeController)?.brokerId ?? null,
      epoch: readDecoded(sim, ZkPaths.controllerEpoch, decodeControllerEpoch) ?? 0,
    },
    partitions: [],
  };
  const topics = (sim.tree.children(sim.observerSession, ZkPaths.topics) ?? [])
    .filter((t) => t !== OFFSETS_TOPIC)
    .sort();
  for (const topic of topics) {
    const assignment = readDecoded(sim, ZkPaths.topic(topic), (b) => decodeTopicAssignment(topic, b));
    if (assignment === null) continue;
    const cfg = readDecoded(sim, ZkPaths.configTopic(topic), decodeTopicConfig) ?? {};
    const minInsyncReplicas = Number(cfg["min.insync.replicas"] ?? sim.setting("min.insync.replicas", 1));
    const uncleanLeaderElection = (cfg["unclean.leader.election.enable"] ?? "false") === "true";
    for (const [partition, replicas] of [...assignment.partitions.entries()].sort((x, y) => x[0] - y[0])) {
      const state = readDecoded(sim, ZkPaths.partitionState(topic, partition), decodePartitionState);
      if (state === null) continue;
      view.partitions.push({
        topic,
        partition,
        key: `${topic}\u0000${partition}`,
        replicas,
        state,
        minInsyncReplicas,
        uncleanLeaderElection,
      });
    }
  }
  storeViews.set(sim, view);
  return view;
}

export function observeCluster(sim: SimCluster): Observation {
  const store = storeView(sim);
  const brokers = sim.brokerIds().map((id) => ({ id, state: sim.brokerState(id) }));
  const partitions: PartitionObservation[] = [];
  for (const {
    topic,
    partition: p,
    key,
    replicas,
    state: s,
    minInsyncReplicas,
    uncleanLeaderElection,
  } of store.partitions) {
    const leaderReplica = s.leader >= 0 ? sim.brokers.get(s.leader)?.node?.replicas.get(key) : undefined;
    const replicaStates: ReplicaObservation[] = [];
    for (const b of replicas) {
      const r = sim.brokers.get(b)?.node?.replicas.get(key);
      if (r === undefined) continue;
      replicaStates.push({
        broker: b,
        logStartOffset: r.log.logStartOffset,
        logEndOffset: r.log.logEndOffset,
        highWatermark: r.highWatermark,
        epochCache: r.log.epochEntries(),
        log: observeLog(r.log),
      });
    }
    partitions.push({
      topic,
      partition: p,
      leader: s.leader >= 0 ? s.leader : null,
      leaderEpoch: s.leaderEpoch,
      isr: [...s.isr],
      replicas: [...replicas],
      leaderIsr: leaderReplica?.role === "leader" ? [...leaderReplica.isr] : [],
      highWatermark: leaderReplica?.role === "leader" ? leaderReplica.highWatermark : 0,
      minInsyncReplicas,
      uncleanLeaderElection,
      replicaStates,
    });
  }
  const groups = [];
  for (const id of sim.brokerIds()) {
    const node = sim.brokers.get(id)?.node;
    if (node === null || node === undefined || node.state !== "running") continue;
    groups.push(...node.coordinator.observe());
  }
  groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  return { time: sim.now, controller: { ...store.controller }, brokers, partitions, groups };
}
