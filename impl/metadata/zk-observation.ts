/**
 * A metadata observation (spec/adapter.ts, Capabilities.observe = "metadata") read from Kafka's znodes:
 * /controller, /controller_epoch, /brokers/ids/N, /brokers/topics/T, /config/topics/T and
 * /brokers/topics/T/partitions/P/state. For targets whose brokers are separate processes (ours on
 * ZooKeeper, Apache Kafka in ZooKeeper mode): their logs cannot be read at one instant, but what the
 * controller decided can, because it all lives in one store.
 *
 * Two halves: `readMetadataSnapshot` does the I/O (a sync, then every znode in three pipelined rounds,
 * again if the store moved meanwhile) and `buildMetadataObservation` turns the raw znodes into an
 * Observation without I/O, so it is tested on hand-made snapshots.
 *
 * Freshness: the store's last transaction id is read from the reply headers (ZooKeeper puts it on every
 * answer). The sync's answer says from when the reads are at least as fresh; if the last read's answer
 * carries the same id, no transaction happened in between and the reads are one consistent snapshot.
 */
import { createRequire } from "node:module";
import type {
  MetadataRead,
  Observation,
  PartitionObservation,
  PartitionStateObservation,
} from "../../spec/adapter.ts";
import {
  decodeController,
  decodeControllerEpoch,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  ZkPaths,
} from "./layout.ts";
import type { MetadataSession, Stat, WatchEvent } from "./store.ts";
import { ZooKeeperSession } from "./zookeeper.ts";

export type ZnodeRead = { data: Buffer; stat: Stat } | null;

export interface TopicZnodes {
  /** The topic's name in the store. */
  wireName: string;
  assignment: ZnodeRead;
  config: ZnodeRead;
  /** Partition -> its state znode, for every partition the assignment lists. */
  states: Map<number, ZnodeRead>;
  /** Partition -> earlier versions of its state seen since the last snapshot (StateChanges), oldest first. */
  earlier?: Map<number, ZnodeRead[]>;
}

/** Every znode one observation needs, as read. */
export interface MetadataSnapshot {
  controller: ZnodeRead;
  controllerEpoch: ZnodeRead;
  brokers: Map<number, ZnodeRead>;
  topics: TopicZnodes[];
  /** Store transaction ids after the sync and after the last read; -1 where the store does not say. */
  fromZxid: number;
  toZxid: number;
  /** How many passes it took (a pass is repeated while the store moves under it). */
  attempts: number;
}

export interface BuildOptions {
  /** The observation's time: milliseconds since the run started. */
  time: number;
  /** Broker ids the run expects (1..N); registered brokers beyond them are listed too. */
  brokers: readonly number[];
  /** The run's name for a topic in the store, or null to leave the topic out (internal, another run's). */
  topicName: (wireName: string) => string | null;
  /** Broker defaults for topics without an override in /config/topics/T. */
  defaults: { minInsyncReplicas: number; uncleanLeaderElection: boolean };
  /** MetadataRead.reactionBoundMs: the session timeout plus a margin. */
  reactionBoundMs: number;
}

const stampOf = (s: Stat) => ({ czxid: s.czxid, mzxid: s.mzxid, version: s.version });

function stateOf(node: { data: Buffer; stat: Stat }): PartitionStateObservation {
  const s = decodePartitionState(node.data);
  return {
    leader: s.leader >= 0 ? s.leader : null,
    leaderEpoch: s.leaderEpoch,
    isr: [...s.isr],
    controllerEpoch: s.controllerEpoch,
    stateZnode: stampOf(node.stat),
  };
}

/** The observation a snapshot shows. Pure. */
export function buildMetadataObservation(snap: MetadataSnapshot, o: BuildOptions): Observation {
  const registered = new Set<number>();
  for (const [id, node] of snap.brokers) if (node !== null) registered.add(id);
  const ids = [...new Set([...o.brokers, ...registered])].sort((a, b) => a - b);
  const brokers = ids.map((id) => ({
    id,
    state: registered.has(id) ? ("running" as const) : ("offline" as const),
    registered: registered.has(id),
  }));
  const controller = {
    broker: snap.controller === null ? null : decodeController(snap.controller.data).brokerId,
    epoch: snap.controllerEpoch === null ? 0 : decodeControllerEpoch(snap.controllerEpoch.data),
  };
  const partitions: PartitionObservation[] = [];
  for (const t of snap.topics) {
    const topic = o.topicName(t.wireName);
    if (topic === null || t.assignment === null) continue;
    const assignment = decodeTopicAssignment(t.wireName, t.assignment.data);
    const config = t.config === null ? {} : decodeTopicConfig(t.config.data);
    const minIsr = config["min.insync.replicas"];
    const unclean = config["unclean.leader.election.enable"];
    const minInsyncReplicas = minIsr === undefined ? o.defaults.minInsyncReplicas : Number(minIsr);
    const uncleanLeaderElection =
      unclean === undefined ? o.defaults.uncleanLeaderElection : unclean === "true";
    for (const [partition, replicas] of [...assignment.partitions].sort((a, b) => a[0] - b[0])) {
      const node = t.states.get(partition) ?? null;
      // A partition whose state the controller has not written yet has no leader to judge.
      if (node === null) continue;
      const s = decodePartitionState(node.data);
      const earlier = (t.earlier?.get(partition) ?? []).flatMap((n) => (n === null ? [] : [stateOf(n)]));
      partitions.push({
        topic,
        partition,
        leader: s.leader >= 0 ? s.leader : null,
        leaderEpoch: s.leaderEpoch,
        isr: [...s.isr],
        replicas: [...replicas],
        leaderIsr: [],
        highWatermark: 0,
        minInsyncReplicas,
        uncleanLeaderElection,
        replicaStates: [],
        controllerEpoch: s.controllerEpoch,
        stateZnode: stampOf(node.stat),
        ...(earlier.length > 0 ? { earlierStates: earlier } : {}),
      });
    }
  }
  partitions.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  const metadataRead: MetadataRead = {
    fromZxid: snap.fromZxid,
    toZxid: snap.toZxid,
    consistent: snap.fromZxid >= 0 && snap.fromZxid === snap.toZxid,
    reactionBoundMs: o.reactionBoundMs,
  };
  return { time: o.time, controller, brokers, partitions, groups: [], scope: "metadata", metadataRead };
}

/* ---------------------------------------------------------------------------------------------------- */
/* Reading                                                                                               */
/* ---------------------------------------------------------------------------------------------------- */

export interface ReadOptions {
  /** Which topics (by name in the store) to read; the others are skipped unread. */
  includeTopic: (wireName: string) => boolean;
  /** Passes at most, while the store moves between the sync and the last read. Default 3. */
  maxAttempts?: number;
  /** Watches the partition states read (on the same session) and reports their versions in between. */
  changes?: StateChanges;
}

/**
 * Reads every znode an observation needs, after a sync. When the store's transaction id moved during
 * the pass, the pass is repeated (up to maxAttempts); the last pass is returned either way, and says
 * through its zxids whether it is consistent.
 */
export async function readMetadataSnapshot(
  session: MetadataSession,
  options: ReadOptions,
): Promise<MetadataSnapshot> {
  const attempts = Math.max(1, options.maxAttempts ?? 3);
  let snap: MetadataSnapshot | undefined;
  for (let i = 1; i <= attempts; i++) {
    snap = await readOnce(session, options.includeTopic, i, options.changes);
    if (snap.fromZxid >= 0 && snap.fromZxid === snap.toZxid) break;
  }
  const changes = options.changes;
  if (changes !== undefined)
    for (const t of snap!.topics)
      t.earlier = new Map(
        [...t.states].map(([p, node]) => [p, changes.take(ZkPaths.partitionState(t.wireName, p), node)]),
      );
  return snap!;
}

/** Versions of one state znode kept between two observations at most (oldest dropped first). */
const MAX_CHANGES_PER_ZNODE = 64;

/**
 * Partition states as they change between two observations: every read arms a one-shot data watch, and
 * every change it reports is read again (arming the next). A per-step snapshot jumps over states that
 * lasted less than a step, such as an election followed at once by another; these keep most of them.
 * Writes closer together than one round trip still merge. Reads go through the snapshot's own session,
 * so ZooKeeper's per-session order holds between them.
 */
export class StateChanges {
  private readonly seen = new Map<string, ZnodeRead[]>();
  private closed = false;
  private readonly watcher = (event: WatchEvent) => {
    if (event.type === "dataChanged" && !this.closed) void this.reread(event.path);
  };

  constructor(readonly session: MetadataSession) {}

  /** Reads a partition state and watches it from now on. */
  read(path: string): Promise<ZnodeRead> {
    return this.session.get(path, this.watcher);
  }

  private async reread(path: string): Promise<void> {
    let node: ZnodeRead;
    try {
      node = await this.session.get(path, this.watcher);
    } catch {
      return; // The session is gone: the next snapshot reads (and watches) through a new one.
    }
    if (node === null || this.closed) return;
    const list = this.seen.get(path) ?? [];
    list.push(node);
    if (list.length > MAX_CHANGES_PER_ZNODE) list.shift();
    this.seen.set(path, list);
  }

  /**
   * The versions of `path` seen since the last call that are older than `current` (same znode, lower
   * version), oldest first, one per version. Newer ones stay for the next call; the rest are dropped.
   */
  take(path: string, current: ZnodeRead): ZnodeRead[] {
    const list = this.seen.get(path) ?? [];
    if (current === null) {
      this.seen.delete(path);
      return [];
    }
    const { czxid, version } = current.stat;
    const same = list.filter((n): n is NonNullable<ZnodeRead> => n !== null && n.stat.czxid === czxid);
    const later = same.filter((n) => n.stat.version > version);
    if (later.length > 0) this.seen.set(path, later);
    else this.seen.delete(path);
    const byVersion = new Map<number, ZnodeRead>();
    for (const n of same) if (n.stat.version < version) byVersion.set(n.stat.version, n);
    return [...byVersion.entries()].sort((a, b) => a[0] - b[0]).map(([, n]) => n);
  }

  /** Stops re-reading (watches already armed fire into nothing). */
  close(): void {
    this.closed = true;
    this.seen.clear();
  }
}

async function readOnce(
  session: MetadataSession,
  includeTopic: (wireName: string) => boolean,
  attempt: number,
  changes: StateChanges | undefined,
): Promise<MetadataSnapshot> {
  const readState = (path: string) =>
    changes !== undefined && changes.session === session ? changes.read(path) : session.get(path);
  const zk = session instanceof ZooKeeperSession ? session : null;
  const fromZxid = zk === null ? -1 : await syncZxid(zk);
  const [controller, controllerEpoch, ids, topicNames] = await Promise.all([
    session.get(ZkPaths.controller),
    session.get(ZkPaths.controllerEpoch),
    session.children(ZkPaths.brokerIds),
    session.children(ZkPaths.topics),
  ]);
  const brokerIds = (ids ?? []).filter((n) => /^\d+$/.test(n)).map(Number);
  const wanted = (topicNames ?? []).filter(includeTopic);
  const [registrations, topicNodes] = await Promise.all([
    Promise.all(brokerIds.map((id) => session.get(ZkPaths.brokerId(id)))),
    Promise.all(
      wanted.map((t) => Promise.all([session.get(ZkPaths.topic(t)), session.get(ZkPaths.configTopic(t))])),
    ),
  ]);
  const topics: TopicZnodes[] = await Promise.all(
    wanted.map(async (wireName, i) => {
      const [assignment, config] = topicNodes[i];
      const partitions =
        assignment === null ? [] : [...decodeTopicAssignment(wireName, assignment.data).partitions.keys()];
      const reads = await Promise.all(partitions.map((p) => readState(ZkPaths.partitionState(wireName, p))));
      return { wireName, assignment, config, states: new Map(partitions.map((p, j) => [p, reads[j]])) };
    }),
  );
  const brokers = new Map(brokerIds.map((id, i) => [id, registrations[i]]));
  const toZxid = zk === null ? -1 : lastZxid(zk);
  return { controller, controllerEpoch, brokers, topics, fromZxid, toZxid, attempts: attempt };
}

/* ZooKeeper's sync and reply zxids, which node-zookeeper-client does not expose ------------------------ */

/** The library's connection manager, as far as it is used here. */
interface ConnectionInternals {
  /** The zxid of the last reply header, 8 bytes big-endian. */
  zxid: Buffer;
  queue(request: unknown, callback: (error: unknown) => void): void;
}

interface JuteModule {
  protocol: Record<string, new () => Record<string, unknown> & { serialize(b: Buffer, o: number): number }>;
  Request: new (header: unknown, payload: unknown) => unknown;
  OP_CODES: Record<string, number>;
}

function internals(session: ZooKeeperSession): ConnectionInternals {
  return (session.client as unknown as { connectionManager: ConnectionInternals }).connectionManager;
}

/** The store's last transaction id as of the latest answer this session received. */
export function lastZxid(session: ZooKeeperSession): number {
  return Number(internals(session).zxid.readBigInt64BE(0));
}

let jute: JuteModule | null = null;

function loadJute(): JuteModule {
  // The library's wire records (not in its public API): a sync request is a path, like GetACL's request.
  jute ??= createRequire(import.meta.url)("node-zookeeper-client/lib/jute/index.js") as JuteModule;
  return jute;
}

/**
 * ZooKeeper's sync ("catch up with the leader before my next read"), sent through the library's
 * connection: a SyncRequest is the same record as a GetACLRequest (one path) under opcode 9. The
 * library only knows how to read answers of the operations it sends, so the header says SYNC on the wire
 * and DELETE (an answer with no body) to the library. Resolves with the zxid the answer carried.
 */
export function syncZxid(session: ZooKeeperSession): Promise<number> {
  const j = loadJute();
  const header = new j.protocol.RequestHeader();
  const serialize = header.serialize.bind(header);
  header.type = j.OP_CODES.DELETE;
  header.serialize = (buffer: Buffer, offset: number) => {
    header.type = j.OP_CODES.SYNC;
    try {
      return serialize(buffer, offset);
    } finally {
      header.type = j.OP_CODES.DELETE;
    }
  };
  const payload = new j.protocol.GetACLRequest();
  payload.path = "/";
  const request = new j.Request(header, payload);
  // The zxid is taken in the callback: the library has just read it from this answer's header.
  return new Promise<number>((resolve, reject) =>
    internals(session).queue(request, (error) => (error ? reject(error) : resolve(lastZxid(session)))),
  );
}
