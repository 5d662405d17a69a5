/**
 * The white-box view of the simulated cluster as spec/adapter.ts's Observation: the controller and
 * partition states from the metadata store, the leader's own ISR and HW, and every live replica's log.
 *
 * The metadata fields match what impl/metadata/zk-observation.ts reads from a real ZooKeeper (the
 * controller epoch that wrote each partition state, the state znode's stamp, broker registrations), and
 * the simulated store is read at one instant, so `metadataRead` is always consistent. Partition states
 * written between two observations come from the simulator's write listener rather than watches: every
 * version, none merged.
 */
import type {
  MetadataRead,
  Observation,
  PartitionObservation,
  PartitionStateObservation,
  ReplicaObservation,
  ZnodeStamp,
} from "../../spec/adapter.ts";
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

/** A znode's decoded contents and its stamp, valid while the znode's czxid and mzxid are unchanged. */
interface DecodedNode {
  stamp: ZnodeStamp;
  value: unknown;
}

const decoded = new WeakMap<SimCluster, Map<string, DecodedNode>>();

/** The znode at `path` decoded, or null if there is none; its data is copied and decoded only when it moved. */
function readNode<T>(
  sim: SimCluster,
  path: string,
  decode: (b: Buffer) => T,
): { stamp: ZnodeStamp; value: T } | null {
  const stat = sim.tree.exists(sim.observerSession, path);
  if (stat === null) return null;
  let cache = decoded.get(sim);
  if (cache === undefined) {
    cache = new Map();
    decoded.set(sim, cache);
  }
  const hit = cache.get(path);
  if (hit !== undefined && hit.stamp.mzxid === stat.mzxid && hit.stamp.czxid === stat.czxid)
    return hit as { stamp: ZnodeStamp; value: T };
  const node = sim.tree.get(sim.observerSession, path);
  if (node === null) return null;
  const entry = {
    stamp: { czxid: node.stat.czxid, mzxid: node.stat.mzxid, version: node.stat.version },
    value: decode(node.data),
  };
  cache.set(path, entry);
  return entry;
}

function readDecoded<T>(sim: SimCluster, path: string, decode: (b: Buffer) => T): T | null {
  return readNode(sim, path, decode)?.value ?? null;
}

/* Partition states as written ------------------------------------------------------------------------ */

/** Versions of one partition state kept between two observations at most (oldest dropped first). */
const MAX_WRITES_PER_ZNODE = 64;

const STATE_PREFIX = "/brokers/topics/";
const OFFSETS_PREFIX = `${STATE_PREFIX}${OFFSETS_TOPIC}/`;

/** Every version of each partition state written since the last observation, by path, oldest first. */
const stateWrites = new WeakMap<SimCluster, Map<string, Array<{ data: Buffer; stamp: ZnodeStamp }>>>();

/**
 * The simulator's partition-state writes since the last call, by path. The first call starts the
 * recording (an observation before it has nothing earlier to judge against).
 */
function takeStateWrites(sim: SimCluster): Map<string, Array<{ data: Buffer; stamp: ZnodeStamp }>> {
  const log = stateWrites.get(sim);
  if (log !== undefined) {
    stateWrites.set(sim, new Map());
    return log;
  }
  stateWrites.set(sim, new Map());
  sim.onStoreWrite((path) => {
    if (!path.endsWith("/state") || !path.startsWith(STATE_PREFIX) || path.startsWith(OFFSETS_PREFIX)) return;
    const node = sim.tree.get(sim.observerSession, path);
    const writes = stateWrites.get(sim);
    if (node === null || writes === undefined) return;
    const list = writes.get(path) ?? [];
    list.push({
      data: node.data,
      stamp: { czxid: node.stat.czxid, mzxid: node.stat.mzxid, version: node.stat.version },
    });
    if (list.length > MAX_WRITES_PER_ZNODE) list.shift();
    writes.set(path, list);
  });
  return new Map();
}

/** The versions of one partition state written before `current` (same znode, lower version), oldest first. */
function earlierStates(
  writes: ReadonlyArray<{ data: Buffer; stamp: ZnodeStamp }> | undefined,
  current: ZnodeStamp,
): PartitionStateObservation[] {
  if (writes === undefined) return [];
  const out: PartitionStateObservation[] = [];
  for (const w of writes) {
    if (w.stamp.czxid !== current.czxid || w.stamp.version >= current.version) continue;
    const s = decodePartitionState(w.data);
    out.push({
      leader: s.leader >= 0 ? s.leader : null,
      leaderEpoch: s.leaderEpoch,
      isr: [...s.isr],
      controllerEpoch: s.controllerEpoch,
      stateZnode: w.stamp,
    });
  }
  return out;
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
  /** Brokers with a registration (/brokers/ids/N). */
  registered: ReadonlySet<number>;
  partitions: Array<{
    topic: string;
    partition: number;
    /** The key of the partition in BrokerNode.replicas. */
    key: string;
    /** The partition state's znode path. */
    path: string;
    replicas: number[];
    state: ReturnType<typeof decodePartitionState>;
    stamp: ZnodeStamp;
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
    registered: new Set(
      (sim.tree.children(sim.observerSession, ZkPaths.brokerIds) ?? [])
        .filter((n) => /^\d+$/.test(n))
        .map(Number),
    ),
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
      const path = ZkPaths.partitionState(topic, partition);
      const node = readNode(sim, path, decodePartitionState);
      if (node === null) continue;
      view.partitions.push({
        topic,
        partition,
        key: `${topic}\u0000${partition}`,
        path,
        replicas,
        state: node.value,
        stamp: node.stamp,
        minInsyncReplicas,
        uncleanLeaderElection,
      });
    }
  }
  storeViews.set(sim, view);
  return view;
}

/**
 * How long a live controller may take to replace a leader whose registration vanished: the session
 * timeout (a paused controller keeps its session that long) and a margin for the failover, in virtual
 * time, where nothing is slowed by load: MetadataRead.reactionBoundMs.
 */
const CONTROLLER_REACTION_MARGIN_MS = 5_000;

export function observeCluster(sim: SimCluster): Observation {
  const writes = takeStateWrites(sim);
  const store = storeView(sim);
  const brokers = sim.brokerIds().map((id) => ({
    id,
    state: sim.brokerState(id),
    registered: store.registered.has(id),
  }));
  const partitions: PartitionObservation[] = [];
  for (const {
    topic,
    partition: p,
    key,
    path,
    replicas,
    state: s,
    stamp,
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
      controllerEpoch: s.controllerEpoch,
      stateZnode: stamp,
    });
    const earlier = writes.size === 0 ? [] : earlierStates(writes.get(path), stamp);
    if (earlier.length > 0) partitions[partitions.length - 1].earlierStates = earlier;
  }
  const groups = [];
  for (const id of sim.brokerIds()) {
    const node = sim.brokers.get(id)?.node;
    if (node === null || node === undefined || node.state !== "running") continue;
    groups.push(...node.coordinator.observe());
  }
  groups.sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  // The simulated store is read between events: every read sees one instant.
  const metadataRead: MetadataRead = {
    fromZxid: store.zxid,
    toZxid: store.zxid,
    consistent: true,
    reactionBoundMs: sim.sessionTimeoutMs + CONTROLLER_REACTION_MARGIN_MS,
  };
  return { time: sim.now, controller: { ...store.controller }, brokers, partitions, groups, metadataRead };
}
