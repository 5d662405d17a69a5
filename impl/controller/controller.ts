/**
 * The ZooKeeper-mode controller as a sans-IO core hosted by every broker: at most one is active, the one
 * whose ephemeral /controller it created while bumping /controller_epoch. The active controller tracks
 * live brokers from the ephemeral /brokers/ids/N registrations, places replicas for new topics and
 * partitions, elects leaders from the ISR when brokers fail (unclean only when the topic allows it),
 * applies leaders' ISR changes (AlterPartition), writes every partition state with a check on
 * /controller_epoch's version (so a deposed controller's writes fail), and tells brokers through
 * LeaderAndIsr and UpdateMetadata. It deletes topics as Kafka's TopicDeletionManager does: an admin's
 * /admin/delete_topics/T queues T; its partitions go offline (leader -1, a new leader epoch) and leave
 * every broker's metadata; each replica gets StopReplica(deletePartitions=true); once every replica's
 * broker has answered, /brokers/topics/T, /config/topics/T and the request go in one fenced multi. A
 * replica whose broker is down keeps the topic queued until that broker registers again (or a new
 * controller resumes the deletion after a failover).
 *
 * Work is serialised like Kafka's ControllerEventManager: one event at a time, each a chain of store
 * calls ending in `done`.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import { type BrokerId, DEFAULT_TOPIC_CONFIG, type TopicConfig } from "../../spec/operations.ts";
import type { SeededFaults } from "../faults/catalog.ts";
import {
  assignmentOf,
  decodeControllerEpoch,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  encodeController,
  encodeControllerEpoch,
  encodePartitionState,
  encodeTopicAssignment,
  encodeTopicConfig,
  ZkPaths,
} from "../metadata/layout.ts";
import type { MultiOp } from "../metadata/store.ts";
import { INTERNAL_TOPICS, type PartitionRef, TopicDeletions } from "./deletion.ts";
import {
  electFirstLive,
  electForControlledShutdown,
  electLeader,
  NO_LEADER,
  reelectAfterBounce,
  removeFromIsr,
} from "./election.ts";
import {
  type AlterPartitionRequest,
  type ControllerMessage,
  LEADER_DURING_DELETE,
  type LeaderAndIsrResponse,
  type PartitionStateMessage,
  type StopReplicaResponse,
} from "./messages.ts";
import { assignAddedPartitions, assignReplicas } from "./placement.ts";
import type { ZkCalls, ZkResult } from "./zk-effects.ts";

export interface ControllerHost {
  readonly brokerId: BrokerId;
  readonly faults: SeededFaults;
  readonly zk: ZkCalls;
  send(to: BrokerId, message: ControllerMessage): void;
  now(): number;
  /** A uniform integer in [0, n): Kafka places the first replica at a random start. */
  randomInt(n: number): number;
  /** Broker-level defaults (min.insync.replicas, unclean.leader.election.enable). */
  readonly defaults: TopicConfig;
  /** delete.topic.enable (Kafka's default: true). When false, deletion requests are removed unheeded. */
  readonly deleteTopicEnable?: boolean;
  /**
   * One line per controller event worth a log line (election, resignation, broker change, leader
   * election, topic creation and deletion, controlled shutdown). Absent: nothing is formatted at all, so
   * the simulator pays nothing for it.
   */
  readonly log?: (line: string) => void;
}

/** The answer to a ControlledShutdown: an error, or the partitions the broker still leads. */
export type ControlledShutdownReply = (error: KafkaErrorName | null, remaining: PartitionRef[]) => void;

interface TopicInfo {
  replicas: BrokerId[][];
  config: TopicConfig;
}

interface CachedState {
  leader: BrokerId;
  leaderEpoch: number;
  isr: BrokerId[];
  zkVersion: number;
}

export type ControllerStatus = "idle" | "electing" | "loading" | "active";

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Partition changes logged one line each per controller event; the rest are counted. */
const LOGGED_CHANGES_MAX = 50;

/**
 * The most partitions one topic may have. Kafka has no fixed limit, but each partition costs a state, a
 * znode and a log here, so a request for ~2^31 of them would exhaust the controller: refused instead.
 */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;

/** A whole number of partitions from 1 to MAX_PARTITIONS_PER_TOPIC. */
export function validPartitionCount(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= MAX_PARTITIONS_PER_TOPIC;
}

export class Controller {
  status: ControllerStatus = "idle";
  epoch = 0;
  private epochZkVersion = -1;
  /** The controller this broker last saw (itself when active). */
  knownController: BrokerId | null = null;
  liveBrokers = new Set<BrokerId>();
  private brokerEpochs = new Map<BrokerId, number>();
  /** The zxid of each partition state's last write as read at failover (its mzxid), by partition key. */
  private loadedStateZxids = new Map<string, number>();
  private topics = new Map<string, TopicInfo>();
  private states = new Map<string, CachedState>();
  private deletions = new TopicDeletions();
  /** Brokers that asked for a controlled shutdown and are still registered: no longer elected. */
  private shuttingDown = new Set<BrokerId>();
  /**
   * Replicas whose broker answered KAFKA_STORAGE_ERROR in LeaderAndIsr, by partition key (Kafka's
   * replicasOnOfflineDirs): neither elected nor kept in the ISR until the broker registers again or says
   * the partition is online.
   */
  private offlineReplicas = new Map<string, Set<BrokerId>>();
  /** ControlledShutdown requests queued or being handled: answered NOT_CONTROLLER if we resign first. */
  private pendingShutdownReplies = new Set<ControlledShutdownReply>();
  private queue: Array<(done: () => void) => void> = [];
  private busy = false;
  /** Bumped on resign so continuations of an old term do nothing. */
  private term = 0;

  constructor(private readonly host: ControllerHost) {}

  get isActive(): boolean {
    return this.status === "active";
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Election                                                                                        */
  /* ---------------------------------------------------------------------------------------------- */

  /** Try to become controller (at startup, when /controller vanishes, after a session expiry). */
  elect(): void {
    if (this.status !== "idle") return;
    this.status = "electing";
    const term = this.term;
    this.host.zk.call({ op: "get", path: ZkPaths.controllerEpoch, watch: false }, (r) => {
      if (term !== this.term) return;
      const current = r.ok && r.data ? decodeControllerEpoch(r.data) : 0;
      const version = r.ok && r.stat ? r.stat.version : -1;
      const epochOp: MultiOp =
        version < 0
          ? {
              op: "create",
              path: ZkPaths.controllerEpoch,
              data: encodeControllerEpoch(current + 1),
              mode: "persistent",
            }
          : { op: "set", path: ZkPaths.controllerEpoch, data: encodeControllerEpoch(current + 1), version };
      const register: MultiOp = {
        op: "create",
        path: ZkPaths.controller,
        data: encodeController({ brokerId: this.host.brokerId, timestampMs: this.host.now() }),
        mode: "ephemeral",
      };
      this.host.zk.call({ op: "multi", ops: [register, epochOp] }, (w) => {
        if (term !== this.term) return;
        if (w.ok) {
          this.epoch = current + 1;
          this.epochZkVersion = version + 1;
          this.knownController = this.host.brokerId;
          this.status = "loading";
          this.host.log?.(
            `[controller ${this.host.brokerId}] elected controller, epoch ${this.epoch} (was ${current})`,
          );
          this.load(term);
          return;
        }
        this.status = "idle";
        if (w.code === "BAD_VERSION") this.elect();
        else this.watchController();
      });
    });
  }

  /** Someone else is controller: learn who, and try again when its /controller goes away. */
  private watchController(): void {
    const term = this.term;
    this.host.zk.call({ op: "get", path: ZkPaths.controller, watch: true }, (r) => {
      if (term !== this.term) return;
      if (r.ok && r.data) {
        const o = JSON.parse(r.data.toString("utf8")) as { brokerid: number };
        this.knownController = o.brokerid;
      } else if (r.ok) {
        this.elect();
      }
    });
  }

  /** The /controller watch fired. */
  onControllerChanged(): void {
    if (this.status === "active" || this.status === "loading") {
      // Our own /controller vanished: our session is gone, so is our mandate.
      this.resign();
    }
    if (this.status === "idle") this.elect();
  }

  /** Session expired or the broker stops: forget everything; a new term starts from scratch. */
  resign(): void {
    if (this.status === "active" || this.status === "loading")
      this.host.log?.(`[controller ${this.host.brokerId}] resigned as controller (epoch ${this.epoch})`);
    const replies = [...this.pendingShutdownReplies];
    this.pendingShutdownReplies.clear();
    for (const reply of replies) reply("NOT_CONTROLLER", []);
    this.term += 1;
    this.status = "idle";
    this.knownController = null;
    this.queue = [];
    this.busy = false;
    this.topics.clear();
    this.states.clear();
    this.deletions = new TopicDeletions();
    this.shuttingDown.clear();
    this.offlineReplicas.clear();
    this.liveBrokers.clear();
    this.brokerEpochs.clear();
    this.loadedStateZxids.clear();
  }

  private load(term: number): void {
    this.readBrokers(term, (epochs) => {
      this.brokerEpochs = epochs;
      this.liveBrokers = new Set(epochs.keys());
      this.host.zk.call({ op: "children", path: ZkPaths.topics, watch: false }, (t) => {
        if (term !== this.term) return;
        const names = ((t.ok && t.children) || []).slice().sort();
        let pending = names.length;
        const finish = () => {
          // Topics already queued for deletion must not get leaders back in the failover's elections.
          this.host.zk.call({ op: "children", path: ZkPaths.deleteTopics, watch: false }, (d) => {
            if (term !== this.term) return;
            for (const name of ((d.ok && d.children) || []).slice().sort()) {
              const topic = this.topics.get(name);
              if (topic !== undefined && this.deletable(name)) this.deletions.enqueue(name, topic.replicas);
            }
            this.status = "active";
            this.host.log?.(
              `[controller ${this.host.brokerId}] active: ${this.topics.size} topics, ${this.states.size} partitions, live brokers [${[...this.liveBrokers].join(",")}]`,
            );
            this.enqueue((done) => this.onFailover(done));
            this.enqueue((done) => this.onDeletionRequests(done));
          });
        };
        if (pending === 0) finish();
        for (const name of names) {
          this.loadTopic(name, term, () => {
            if (--pending === 0) finish();
          });
        }
      });
    });
  }

  /**
   * The registered brokers with their broker epochs (the czxid of /brokers/ids/N, KIP-380), and a watch
   * on the set. A broker whose epoch changed between two reads was bounced: it died and came back.
   */
  private readBrokers(term: number, then: (epochs: Map<BrokerId, number>) => void): void {
    this.host.zk.call({ op: "children", path: ZkPaths.brokerIds, watch: true }, (b) => {
      if (term !== this.term) return;
      const ids = ((b.ok && b.children) || []).map(Number).sort((x, y) => x - y);
      const epochs = new Map<BrokerId, number>();
      let pending = ids.length;
      if (pending === 0) return then(epochs);
      for (const id of ids) {
        this.host.zk.call({ op: "exists", path: ZkPaths.brokerId(id), watch: false }, (e) => {
          if (term !== this.term) return;
          if (e.ok && e.stat) epochs.set(id, e.stat.czxid);
          if (--pending === 0) then(new Map([...epochs].sort((x, y) => x[0] - y[0])));
        });
      }
    });
  }

  private loadTopic(name: string, term: number, done: () => void): void {
    this.host.zk.call({ op: "get", path: ZkPaths.topic(name), watch: false }, (a) => {
      if (term !== this.term) return;
      this.host.zk.call({ op: "get", path: ZkPaths.configTopic(name), watch: false }, (c) => {
        if (term !== this.term) return;
        if (!a.ok || !a.data) return done();
        const assignment = decodeTopicAssignment(name, a.data);
        const replicas = [...assignment.partitions.entries()].sort((x, y) => x[0] - y[0]).map(([, r]) => r);
        const config = this.parseConfig(c.ok && c.data ? decodeTopicConfig(c.data) : {});
        this.topics.set(name, { replicas, config });
        let pending = replicas.length;
        if (pending === 0) return done();
        replicas.forEach((_, p) => {
          this.host.zk.call({ op: "get", path: ZkPaths.partitionState(name, p), watch: false }, (s) => {
            if (term !== this.term) return;
            if (s.ok && s.data && s.stat) {
              const st = decodePartitionState(s.data);
              this.states.set(key(name, p), {
                leader: st.leader,
                leaderEpoch: st.leaderEpoch,
                isr: st.isr,
                zkVersion: s.stat.version,
              });
              this.loadedStateZxids.set(key(name, p), s.stat.mzxid);
            }
            if (--pending === 0) done();
          });
        });
      });
    });
  }

  private parseConfig(raw: Record<string, string>): TopicConfig {
    return {
      minInsyncReplicas:
        raw["min.insync.replicas"] !== undefined
          ? Number(raw["min.insync.replicas"])
          : this.host.defaults.minInsyncReplicas,
      uncleanLeaderElection:
        raw["unclean.leader.election.enable"] !== undefined
          ? raw["unclean.leader.election.enable"] === "true"
          : this.host.defaults.uncleanLeaderElection,
    };
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Event queue                                                                                     */
  /* ---------------------------------------------------------------------------------------------- */

  private enqueue(event: (done: () => void) => void): void {
    this.queue.push(event);
    this.pump();
  }

  private pump(): void {
    if (this.busy || this.status !== "active") return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.busy = true;
    const term = this.term;
    next(() => {
      if (term !== this.term) return;
      this.busy = false;
      this.pump();
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Broker liveness                                                                                 */
  /* ---------------------------------------------------------------------------------------------- */

  /** The /brokers/ids children watch fired. */
  onBrokersChanged(): void {
    if (this.status !== "active" && this.status !== "loading") return;
    this.enqueue((done) => {
      const term = this.term;
      this.readBrokers(term, (epochs) => {
        const bounced = [...epochs.keys()].filter(
          (b) => this.brokerEpochs.has(b) && this.brokerEpochs.get(b) !== epochs.get(b),
        );
        const dead = [...this.liveBrokers].filter((b) => !epochs.has(b) || bounced.includes(b));
        const added = [...epochs.keys()].filter((b) => !this.liveBrokers.has(b) || bounced.includes(b));
        if (dead.length > 0 || added.length > 0)
          this.host.log?.(
            `[controller ${this.host.brokerId}] brokers changed: new [${added.filter((b) => !bounced.includes(b)).join(",")}], failed [${dead.filter((b) => !bounced.includes(b)).join(",")}], bounced [${bounced.join(",")}], live [${[...epochs.keys()].join(",")}]`,
          );
        // A broker that failed or bounced is no longer shutting down, and its disks are checked afresh.
        for (const b of [...dead, ...added]) {
          this.shuttingDown.delete(b);
          for (const [k, set] of this.offlineReplicas)
            if (set.delete(b) && set.size === 0) this.offlineReplicas.delete(k);
        }
        this.brokerEpochs = epochs;
        // A bounced broker is handled as a failure and then a startup, as Kafka's controller does.
        this.liveBrokers = new Set([...epochs.keys()].filter((b) => !bounced.includes(b)));
        this.handleLivenessChange(dead, [], () => {
          this.liveBrokers = new Set(epochs.keys());
          this.handleLivenessChange([], added, done);
        });
      });
    });
  }

  private onFailover(done: () => void): void {
    // Partitions led by a broker that is gone are offline; elect for them as for a broker failure.
    const known = new Set<BrokerId>();
    for (const s of this.states.values()) {
      if (s.leader !== NO_LEADER) known.add(s.leader);
      for (const r of s.isr) known.add(r);
    }
    const dead = [...known].filter((b) => !this.liveBrokers.has(b));
    this.handleLivenessChange(dead, [...this.liveBrokers], done, true);
  }

  /** Whether broker `b` registered (broker epoch = czxid) after partition `k`'s state was last written. */
  private registeredSinceWritten(k: string, b: BrokerId): boolean {
    const written = this.loadedStateZxids.get(k);
    const epoch = this.brokerEpochs.get(b);
    return written !== undefined && epoch !== undefined && epoch > written;
  }

  /**
   * The brokers that may lead or join the ISR of partition `k`: live, not shutting down, and not holding
   * an offline replica of it. The live set itself when nothing is excluded (the common case, no copy).
   */
  private eligible(k: string): ReadonlySet<BrokerId> {
    const offline = this.offlineReplicas.get(k);
    if (this.shuttingDown.size === 0 && (offline === undefined || offline.size === 0))
      return this.liveBrokers;
    return new Set([...this.liveBrokers].filter((b) => !this.shuttingDown.has(b) && !offline?.has(b)));
  }

  private get logElections(): boolean {
    return this.host.log !== undefined;
  }

  /** One line per partition whose leader or ISR changed (the first LOGGED_CHANGES_MAX, then a count). */
  private logStateChanges(before: Map<string, CachedState>, reason: string): void {
    const log = this.host.log;
    if (log === undefined) return;
    let n = 0;
    for (const [k, old] of before) {
      const now = this.states.get(k);
      if (now === undefined) continue;
      if (++n > LOGGED_CHANGES_MAX) continue;
      const [topic, p] = splitKey(k);
      const id = `[controller ${this.host.brokerId}] ${topic}-${p}`;
      if (now.leader !== old.leader) {
        const kind =
          now.leader === NO_LEADER ? "offline" : old.isr.includes(now.leader) ? "clean" : "UNCLEAN";
        log(
          `${id}: leader ${old.leader} -> ${now.leader}, epoch ${now.leaderEpoch}, ISR [${now.isr.join(",")}] (${kind}, ${reason})`,
        );
      } else {
        log(
          `${id}: ISR [${old.isr.join(",")}] -> [${now.isr.join(",")}], leader ${now.leader}, epoch ${now.leaderEpoch} (${reason})`,
        );
      }
    }
    if (n > LOGGED_CHANGES_MAX)
      log(
        `[controller ${this.host.brokerId}] and ${n - LOGGED_CHANGES_MAX} more partition changes (${reason})`,
      );
  }

  private handleLivenessChange(
    dead: BrokerId[],
    added: BrokerId[],
    done: () => void,
    failover = false,
  ): void {
    const changes = new Map<string, CachedState>();
    const deadSet = new Set(dead);
    const addedSet = new Set(added);
    for (const [name, topic] of this.topics) {
      if (this.deletions.has(name)) continue;
      topic.replicas.forEach((replicas, p) => {
        const k = key(name, p);
        const s = this.states.get(k);
        if (s === undefined) return;
        let next: CachedState | null = null;
        const eligible = this.eligible(k);
        const leaderDead = s.leader === NO_LEADER || !this.liveBrokers.has(s.leader);
        // A live leader that is shutting down (or whose replica is offline) hands over to a clean
        // successor if one is there now; it keeps leading otherwise, and never loses to an unclean one.
        if (leaderDead || !eligible.has(s.leader)) {
          const elected = this.host.faults.has("elect-outside-isr")
            ? electFirstLive(replicas, s, eligible)
            : electLeader(replicas, s, eligible, leaderDead && topic.config.uncleanLeaderElection);
          if (elected !== null) next = { ...elected, zkVersion: s.zkVersion };
          else if (leaderDead && s.leader !== NO_LEADER)
            next = { ...removeFromIsr(s, s.leader), zkVersion: s.zkVersion };
        }
        if (next === null && failover && this.registeredSinceWritten(k, s.leader)) {
          // The leader registered again after this state was written: it is a restarted process (killed
          // and back before its old session expired, so no controller saw it go). Kafka handles a
          // bounce as failure then startup; the leader epoch must move so followers fence and truncate.
          next = {
            ...reelectAfterBounce(replicas, s, this.liveBrokers, (b) => this.registeredSinceWritten(k, b)),
            zkVersion: s.zkVersion,
          };
        }
        if (
          next === null &&
          this.host.faults.has("elect-outside-isr") &&
          addedSet.has(replicas[0]) &&
          s.leader !== replicas[0]
        ) {
          // The seeded bug: a preferred leader election that skips the ISR check, so the preferred replica
          // leads again the moment it re-registers, before it has caught up.
          next = {
            leader: replicas[0],
            leaderEpoch: s.leaderEpoch + 1,
            isr: [replicas[0]],
            zkVersion: s.zkVersion,
          };
        }
        const base = next ?? s;
        // An ISR follower that registered again after this state was written restarted unseen (killed and
        // back before its session expired, across a controller failover): as Kafka's failure-then-startup
        // would, it leaves the ISR (its log may have lost an unflushed tail) and rejoins once caught up.
        const isrDead = base.isr.filter(
          (r) => r !== base.leader && (deadSet.has(r) || (failover && this.registeredSinceWritten(k, r))),
        );
        if (isrDead.length > 0 && base.leader !== NO_LEADER) {
          let cur = { leader: base.leader, leaderEpoch: base.leaderEpoch, isr: base.isr };
          for (const r of isrDead) cur = removeFromIsr(cur, r);
          // One change, one epoch bump.
          next = { ...cur, leaderEpoch: s.leaderEpoch + 1, zkVersion: s.zkVersion };
        }
        if (next !== null) changes.set(k, next);
      });
    }
    const before = this.logElections
      ? new Map([...changes.keys()].map((k) => [k, this.states.get(k)!]))
      : null;
    this.writeStates(changes, (error) => {
      if (error !== null) {
        // Fenced (we resigned and this term's queue is gone) or the store failed: the event is over.
        done();
        return;
      }
      if (before !== null) this.logStateChanges(before, failover ? "failover" : "broker change");
      const addedSet = new Set(added);
      const touched: PartitionStateMessage[] = [];
      for (const [name, topic] of this.topics) {
        if (this.deletions.has(name)) continue;
        topic.replicas.forEach((replicas, p) => {
          if (changes.has(key(name, p)) || failover || replicas.some((r) => addedSet.has(r))) {
            const m = this.stateMessage(name, p);
            if (m !== null) touched.push(m);
          }
        });
      }
      this.sendLeaderAndIsr(touched);
      this.broadcastMetadata();
      // A replica whose broker died may not have deleted its log; one that came back gets its
      // StopReplica now (after a failover, onDeletionRequests sends them once the states are written).
      for (const b of dead) this.deletions.brokerFailed(b);
      if (!failover) this.sendStopReplicas(this.deletions.start(addedSet));
      done();
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Writes, fenced by /controller_epoch                                                             */
  /* ---------------------------------------------------------------------------------------------- */

  private fence(): MultiOp[] {
    if (this.host.faults.has("stale-controller-unfenced")) return [];
    return [{ op: "check", path: ZkPaths.controllerEpoch, version: this.epochZkVersion }];
  }

  private writeStates(changes: Map<string, CachedState>, done: (error: KafkaErrorName | null) => void): void {
    if (changes.size === 0) {
      done(null);
      return;
    }
    const ops: MultiOp[] = [...this.fence()];
    for (const [k, s] of changes) {
      const [topic, p] = splitKey(k);
      ops.push({
        op: "set",
        path: ZkPaths.partitionState(topic, p),
        data: encodePartitionState({
          leader: s.leader,
          leaderEpoch: s.leaderEpoch,
          isr: s.isr,
          controllerEpoch: this.epoch,
        }),
        version: this.host.faults.has("stale-controller-unfenced") ? -1 : s.zkVersion,
      });
    }
    const term = this.term;
    this.host.zk.call({ op: "multi", ops }, (r) => {
      if (term !== this.term) return;
      if (!r.ok) return this.onWriteFailed(r, done);
      for (const [k, s] of changes) this.states.set(k, { ...s, zkVersion: s.zkVersion + 1 });
      done(null);
    });
  }

  private onWriteFailed(r: ZkResult, done: (error: KafkaErrorName | null) => void): void {
    // A failed fenced write means another controller (or session) took over: step down and rejoin.
    if (!r.ok && (r.code === "BAD_VERSION" || r.code === "SESSION_EXPIRED")) {
      this.resign();
      this.watchController();
      done("NOT_CONTROLLER");
      return;
    }
    done("UNKNOWN_SERVER_ERROR");
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Topics                                                                                          */
  /* ---------------------------------------------------------------------------------------------- */

  createTopic(
    request: { name: string; numPartitions: number; replicationFactor: number; config: Partial<TopicConfig> },
    reply: (error: KafkaErrorName | null) => void,
  ): void {
    if (!this.isActive) {
      reply("NOT_CONTROLLER");
      return;
    }
    this.enqueue((done) => {
      const finish = (e: KafkaErrorName | null) => {
        reply(e);
        done();
      };
      const { name, numPartitions, replicationFactor } = request;
      if (!TOPIC_NAME.test(name) || name === "." || name === "..") return finish("INVALID_TOPIC_EXCEPTION");
      if (this.topics.has(name)) return finish("TOPIC_ALREADY_EXISTS");
      if (!validPartitionCount(numPartitions)) return finish("INVALID_PARTITIONS");
      const live = [...this.liveBrokers].sort((a, b) => a - b);
      if (replicationFactor < 1 || replicationFactor > live.length)
        return finish("INVALID_REPLICATION_FACTOR");
      const config: TopicConfig = { ...this.host.defaults, ...request.config };
      const start = this.host.randomInt(live.length);
      const replicas = assignReplicas(live, numPartitions, replicationFactor, start);
      const ops: MultiOp[] = [
        ...this.fence(),
        {
          op: "create",
          path: ZkPaths.topic(name),
          data: encodeTopicAssignment(assignmentOf(replicas)),
          mode: "persistent",
        },
        {
          op: "create",
          path: ZkPaths.configTopic(name),
          data: encodeTopicConfig(configMap(config)),
          mode: "persistent",
        },
        { op: "create", path: ZkPaths.topicPartitions(name), data: Buffer.alloc(0), mode: "persistent" },
        ...this.newPartitionOps(name, replicas, 0),
      ];
      this.commitPartitions(name, replicas, 0, config, ops, finish);
    });
  }

  /** A broker's auto-creation request: broker defaults, RF capped at the live brokers; errors dropped. */
  autoCreateTopic(request: { name: string; numPartitions: number; replicationFactor: number }): void {
    if (!this.isActive || this.topics.has(request.name)) return;
    const rf = Math.max(1, Math.min(request.replicationFactor, this.liveBrokers.size));
    this.createTopic(
      { name: request.name, numPartitions: request.numPartitions, replicationFactor: rf, config: {} },
      () => {},
    );
  }

  createPartitions(
    request: { name: string; count: number },
    reply: (error: KafkaErrorName | null) => void,
  ): void {
    if (!this.isActive) {
      reply("NOT_CONTROLLER");
      return;
    }
    this.enqueue((done) => {
      const finish = (e: KafkaErrorName | null) => {
        reply(e);
        done();
      };
      const topic = this.topics.get(request.name);
      if (topic === undefined) return finish("UNKNOWN_TOPIC_OR_PARTITION");
      // Kafka: "The topic is queued for deletion."
      if (this.deletions.has(request.name)) return finish("INVALID_TOPIC_EXCEPTION");
      if (request.count <= topic.replicas.length || !validPartitionCount(request.count))
        return finish("INVALID_PARTITIONS");
      const live = [...this.liveBrokers].sort((a, b) => a - b);
      if (topic.replicas[0].length > live.length) return finish("INVALID_REPLICATION_FACTOR");
      const added = assignAddedPartitions(live, topic.replicas, request.count);
      const all = [...topic.replicas, ...added];
      const ops: MultiOp[] = [
        ...this.fence(),
        {
          op: "set",
          path: ZkPaths.topic(request.name),
          data: encodeTopicAssignment(assignmentOf(all)),
          version: -1,
        },
        ...this.newPartitionOps(request.name, added, topic.replicas.length),
      ];
      this.commitPartitions(request.name, added, topic.replicas.length, topic.config, ops, finish);
    });
  }

  private newPartitionOps(name: string, replicas: BrokerId[][], first: number): MultiOp[] {
    const ops: MultiOp[] = [];
    replicas.forEach((r, i) => {
      const p = first + i;
      ops.push({
        op: "create",
        path: ZkPaths.topicPartition(name, p),
        data: Buffer.alloc(0),
        mode: "persistent",
      });
      ops.push({
        op: "create",
        path: ZkPaths.partitionState(name, p),
        data: encodePartitionState({ leader: r[0], leaderEpoch: 0, isr: r, controllerEpoch: this.epoch }),
        mode: "persistent",
      });
    });
    return ops;
  }

  private commitPartitions(
    name: string,
    replicas: BrokerId[][],
    first: number,
    config: TopicConfig,
    ops: MultiOp[],
    finish: (e: KafkaErrorName | null) => void,
  ): void {
    const term = this.term;
    this.host.zk.call({ op: "multi", ops }, (r) => {
      if (term !== this.term) return finish("NOT_CONTROLLER");
      if (!r.ok) {
        if (r.code === "NODE_EXISTS") return finish("TOPIC_ALREADY_EXISTS");
        return this.onWriteFailed(r, finish);
      }
      this.host.log?.(
        first === 0
          ? `[controller ${this.host.brokerId}] created topic ${name}: ${replicas.length} partitions, replicas ${JSON.stringify(replicas)}`
          : `[controller ${this.host.brokerId}] topic ${name}: partitions ${first}-${first + replicas.length - 1} added, replicas ${JSON.stringify(replicas)}`,
      );
      const topic = this.topics.get(name) ?? { replicas: [], config };
      topic.replicas.push(...replicas);
      this.topics.set(name, topic);
      const messages: PartitionStateMessage[] = [];
      replicas.forEach((r, i) => {
        this.states.set(key(name, first + i), { leader: r[0], leaderEpoch: 0, isr: [...r], zkVersion: 0 });
        messages.push(this.stateMessage(name, first + i)!);
      });
      this.sendLeaderAndIsr(messages);
      this.broadcastMetadata();
      finish(null);
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Topic deletion (Kafka's TopicDeletionManager)                                                   */
  /* ---------------------------------------------------------------------------------------------- */

  /** The /admin/delete_topics children watch fired: an admin asked for (or a request went away). */
  onDeleteTopicsChanged(): void {
    if (!this.isActive) return;
    this.enqueue((done) => this.onDeletionRequests(done));
  }

  /** A broker answered a StopReplica this controller sent in this term. */
  onStopReplicaResponse(m: StopReplicaResponse): void {
    if (!this.isActive || m.controllerEpoch !== this.epoch || !m.deletePartitions) return;
    this.enqueue((done) => this.completeDeletions(this.deletions.onResponse(m.brokerId, m.partitions), done));
  }

  /**
   * Sends StopReplica(delete) again to live brokers that have not answered one: Kafka's controller
   * channel retries a request until the broker answers or dies; the broker's periodic timer calls this.
   */
  retryDeletions(): void {
    if (!this.isActive) return;
    this.sendStopReplicas(this.deletions.unanswered(this.liveBrokers));
  }

  /** Topics queued for deletion whose znodes are still there, sorted. */
  topicsBeingDeleted(): string[] {
    return this.deletions.queued();
  }

  /** Internal topics are never deleted, and nothing is with delete.topic.enable=false. */
  private deletable(name: string): boolean {
    return this.host.deleteTopicEnable !== false && !INTERNAL_TOPICS.has(name);
  }

  /**
   * Reads the requests (and sets the watch again). As Kafka's controller does, a request for a topic that
   * does not exist, or made while deletion is disabled, is removed unheeded; so is one for an internal
   * topic (our addition: Kafka leaves that check to kafka-topics.sh). The rest are queued and started.
   */
  private onDeletionRequests(done: () => void): void {
    const term = this.term;
    this.host.zk.call({ op: "children", path: ZkPaths.deleteTopics, watch: true }, (r) => {
      if (term !== this.term) return;
      const refused: string[] = [];
      for (const name of ((r.ok && r.children) || []).slice().sort()) {
        const topic = this.topics.get(name);
        if (topic === undefined || !this.deletable(name)) refused.push(name);
        else this.deletions.enqueue(name, topic.replicas);
      }
      this.removeDeletionRequests(refused, term, () => this.startDeletions(done));
    });
  }

  private removeDeletionRequests(names: string[], term: number, then: () => void): void {
    const [name, ...rest] = names;
    if (name === undefined) {
      then();
      return;
    }
    const ops: MultiOp[] = [...this.fence(), { op: "delete", path: ZkPaths.deleteTopic(name), version: -1 }];
    this.host.zk.call({ op: "multi", ops }, (r) => {
      if (term !== this.term) return;
      // NO_NODE: the request went away meanwhile, which is what we wanted.
      if (!r.ok && r.code !== "NO_NODE") return this.onWriteFailed(r, () => then());
      this.removeDeletionRequests(rest, term, then);
    });
  }

  /**
   * Kafka's onTopicDeletion for every queued topic: partitions still led go offline (leader -1 under a
   * new leader epoch, so a leader's late AlterPartition is fenced and no failover elects them again),
   * brokers drop the topic from their metadata, and every pending replica on a live broker is sent
   * StopReplica(deletePartitions=true). Replicas on brokers that are down wait for them.
   */
  private startDeletions(done: () => void): void {
    if (!this.isActive) {
      done();
      return;
    }
    const changes = new Map<string, CachedState>();
    for (const name of this.deletions.queued()) {
      this.topics.get(name)?.replicas.forEach((_, p) => {
        const s = this.states.get(key(name, p));
        if (s === undefined || s.leader === NO_LEADER) return;
        changes.set(key(name, p), { ...s, leader: NO_LEADER, leaderEpoch: s.leaderEpoch + 1 });
      });
    }
    const queued = this.deletions.queued();
    if (queued.length > 0 && changes.size > 0)
      this.host.log?.(`[controller ${this.host.brokerId}] deleting topics [${queued.join(",")}]`);
    this.writeStates(changes, (error) => {
      if (error !== null) return done();
      this.broadcastMetadata();
      this.sendStopReplicas(this.deletions.start(this.liveBrokers));
      this.completeDeletions(
        this.deletions.queued().filter((t) => this.deletions.isDone(t)),
        done,
      );
    });
  }

  private sendStopReplicas(batches: Map<BrokerId, PartitionRef[]>, deletePartitions = true): void {
    for (const b of [...batches.keys()].sort((x, y) => x - y)) {
      this.host.send(b, {
        type: "stopReplica",
        controllerId: this.host.brokerId,
        controllerEpoch: this.epoch,
        partitions: batches.get(b)!,
        deletePartitions,
      });
    }
  }

  /** Kafka's completeDeleteTopic, one topic after another. */
  private completeDeletions(topics: string[], done: () => void): void {
    const [name, ...rest] = topics;
    // Not active any more (a fenced write made us resign): the next controller finishes the work.
    if (name === undefined || !this.isActive) {
      done();
      return;
    }
    this.completeDeletion(name, () => this.completeDeletions(rest, done));
  }

  /**
   * Every replica is deleted: /brokers/topics/T with everything under it, /config/topics/T and
   * /admin/delete_topics/T go in one multi behind the /controller_epoch check, then the topic is forgotten.
   */
  private completeDeletion(name: string, then: () => void, attempt = 1): void {
    const term = this.term;
    this.listSubtree(ZkPaths.topic(name), term, (paths) => {
      const optional = [ZkPaths.configTopic(name), ZkPaths.deleteTopic(name)];
      const present: string[] = [];
      let pending = optional.length;
      for (const path of optional) {
        this.host.zk.call({ op: "exists", path, watch: false }, (e) => {
          if (term !== this.term) return;
          if (e.ok && e.stat) present.push(path);
          if (--pending > 0) return;
          const ops: MultiOp[] = [
            ...this.fence(),
            ...[...paths, ...present.sort()].map((p): MultiOp => ({ op: "delete", path: p, version: -1 })),
          ];
          this.host.zk.call({ op: "multi", ops }, (r) => {
            if (term !== this.term) return;
            // NO_NODE or NOT_EMPTY: the subtree changed between listing and deleting; list it again.
            if (!r.ok && (r.code === "NO_NODE" || r.code === "NOT_EMPTY") && attempt < 3)
              return this.completeDeletion(name, then, attempt + 1);
            if (!r.ok) return this.onWriteFailed(r, () => then());
            const topic = this.topics.get(name);
            topic?.replicas.forEach((_, p) => {
              this.states.delete(key(name, p));
            });
            this.topics.delete(name);
            this.deletions.complete(name);
            this.host.log?.(`[controller ${this.host.brokerId}] deleted topic ${name}`);
            then();
          });
        });
      }
    });
  }

  /** `root` and everything under it, children before their parents; empty if `root` does not exist. */
  private listSubtree(root: string, term: number, then: (paths: string[]) => void): void {
    const found: string[] = [];
    let pending = 0;
    const visit = (path: string) => {
      pending += 1;
      this.host.zk.call({ op: "children", path, watch: false }, (r) => {
        if (term !== this.term) return;
        if (r.ok && r.children) {
          found.push(path);
          for (const child of r.children) visit(`${path}/${child}`);
        }
        // A descendant's path is longer than its ancestor's: longest first deletes leaves first.
        if (--pending === 0) then(found.sort((a, b) => b.length - a.length || (a < b ? -1 : 1)));
      });
    };
    visit(root);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Controlled shutdown (Kafka's KafkaController.doControlledShutdown)                              */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * A broker about to stop asks that leadership move off it first. Each replicated partition it leads gets
   * a new leader from the ISR minus the shutting-down brokers (electForControlledShutdown); each it
   * follows loses it from the ISR (its leader stays) and it gets StopReplica(deletePartitions=false).
   * From now on it is never elected (nor added to an ISR) until it fails or bounces. The answer lists the
   * replicated partitions it still leads (no other ISR member to take over): the broker tries again.
   */
  onControlledShutdown(brokerId: BrokerId, brokerEpoch: number, reply: ControlledShutdownReply): void {
    if (!this.isActive) {
      reply("NOT_CONTROLLER", []);
      return;
    }
    this.pendingShutdownReplies.add(reply);
    this.enqueue((done) => {
      const finish = (error: KafkaErrorName | null, remaining: PartitionRef[]) => {
        if (this.pendingShutdownReplies.delete(reply)) reply(error, remaining);
        done();
      };
      const cached = this.brokerEpochs.get(brokerId);
      // -1: a broker that does not know its epoch (Kafka keeps the pre-KIP-380 behaviour and accepts it).
      if (brokerEpoch !== -1 && cached !== undefined && brokerEpoch < cached)
        return finish("STALE_BROKER_EPOCH", []);
      if (!this.liveBrokers.has(brokerId)) return finish("BROKER_NOT_AVAILABLE", []);
      this.host.log?.(`[controller ${this.host.brokerId}] controlled shutdown of broker ${brokerId}`);
      this.shuttingDown.add(brokerId);
      const changes = new Map<string, CachedState>();
      const followed = new Map<string, true>();
      for (const [name, topic] of this.topics) {
        if (this.deletions.has(name)) continue;
        topic.replicas.forEach((replicas, p) => {
          if (replicas.length < 2 || !replicas.includes(brokerId)) return;
          const k = key(name, p);
          const s = this.states.get(k);
          if (s === undefined) return;
          if (s.leader === brokerId) {
            const elected = electForControlledShutdown(replicas, s, this.eligible(k), this.shuttingDown);
            if (elected !== null) changes.set(k, { ...elected, zkVersion: s.zkVersion });
            return;
          }
          followed.set(k, true);
          if (s.isr.includes(brokerId) && s.isr.length > 1)
            changes.set(k, { ...removeFromIsr(s, brokerId), zkVersion: s.zkVersion });
        });
      }
      const before = this.logElections
        ? new Map([...changes.keys()].map((k) => [k, this.states.get(k)!]))
        : null;
      this.writeStates(changes, (error) => {
        if (error !== null) return finish(error, []);
        if (before !== null) this.logStateChanges(before, `controlled shutdown of ${brokerId}`);
        const messages: PartitionStateMessage[] = [];
        for (const k of changes.keys()) {
          const m = this.stateMessage(...splitKey(k));
          if (m !== null) messages.push(m);
        }
        // The other replicas hear of the new leaders and smaller ISRs. The stopping broker stops every
        // replica it no longer leads (Kafka's OfflineReplica transition sends StopReplica for those it
        // followed; Kafka made it a follower of those it led, and its fetches then put it back in their
        // ISRs, which KIP-841 later forbade): a stopped replica does not fetch, so no leader's high
        // watermark waits for a broker that is about to go.
        this.sendLeaderAndIsr(messages, brokerId);
        const stops: PartitionRef[] = [];
        for (const k of [...changes.keys(), ...followed.keys()]) {
          if (changes.has(k) && followed.has(k)) continue;
          const [topic, partition] = splitKey(k);
          stops.push({ topic, partition });
        }
        if (stops.length > 0) this.sendStopReplicas(new Map([[brokerId, stops]]), false);
        this.broadcastMetadata();
        finish(null, this.replicatedPartitionsLedBy(brokerId));
      });
    });
  }

  /**
   * Kafka's replicatedPartitionsBrokerLeads (partitions with RF > 1, not being deleted, that `b` still
   * leads), narrowed to those another replica could still take: one that is live, not shutting down and
   * not offline, so a retry may find it caught up and in the ISR. Kafka on ZooKeeper also lists partitions
   * whose other replicas are all dead or stopping, and the broker retries for nothing (the last broker of
   * a cluster, or every broker of one stopped at once, waits out every retry); those fail over when the
   * broker goes, as KRaft's controlled shutdown lets them.
   */
  private replicatedPartitionsLedBy(b: BrokerId): PartitionRef[] {
    const out: PartitionRef[] = [];
    for (const [name, topic] of this.topics) {
      if (this.deletions.has(name)) continue;
      topic.replicas.forEach((replicas, partition) => {
        const k = key(name, partition);
        if (replicas.length < 2 || this.states.get(k)?.leader !== b) return;
        const eligible = this.eligible(k);
        if (replicas.some((r) => r !== b && eligible.has(r))) out.push({ topic: name, partition });
      });
    }
    return out;
  }

  /** Brokers that asked for a controlled shutdown and have not gone yet (for observation and tests). */
  brokersShuttingDown(): BrokerId[] {
    return [...this.shuttingDown].sort((a, b) => a - b);
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Offline replicas (KAFKA_STORAGE_ERROR in a LeaderAndIsr answer)                                  */
  /* ---------------------------------------------------------------------------------------------- */

  /**
   * Kafka's processLeaderAndIsrResponseReceived: a partition answered KAFKA_STORAGE_ERROR has an offline
   * replica on that broker (its log failed). The controller elects another leader if that replica led,
   * and takes it out of the ISR, as for a dead broker but for that partition only (onReplicasBecomeOffline).
   * A partition answered without error is online again there.
   */
  onLeaderAndIsrResponse(m: LeaderAndIsrResponse): void {
    if (!this.isActive || m.controllerEpoch !== this.epoch) return;
    this.enqueue((done) => {
      const b = m.brokerId;
      const newlyOffline: string[] = [];
      for (const p of m.partitions) {
        const k = key(p.topic, p.partition);
        const set = this.offlineReplicas.get(k);
        if (p.error === null) {
          set?.delete(b);
          if (set !== undefined && set.size === 0) this.offlineReplicas.delete(k);
        } else if (p.error === "KAFKA_STORAGE_ERROR" && !set?.has(b)) {
          if (set === undefined) this.offlineReplicas.set(k, new Set([b]));
          else set.add(b);
          newlyOffline.push(k);
        }
      }
      if (newlyOffline.length === 0 || !this.liveBrokers.has(b)) return done();
      this.host.log?.(
        `[controller ${this.host.brokerId}] broker ${b} has offline replicas (KAFKA_STORAGE_ERROR): ${newlyOffline.map((k) => splitKey(k).join("-")).join(", ")}`,
      );
      const changes = new Map<string, CachedState>();
      for (const k of newlyOffline) {
        const s = this.states.get(k);
        const [name, p] = splitKey(k);
        const topic = this.topics.get(name);
        if (s === undefined || topic === undefined || this.deletions.has(name)) continue;
        const replicas = topic.replicas[p];
        if (s.leader === b) {
          const elected = electLeader(replicas, s, this.eligible(k), topic.config.uncleanLeaderElection);
          changes.set(k, { ...(elected ?? removeFromIsr(s, b)), zkVersion: s.zkVersion });
        } else if (s.isr.includes(b) && s.isr.length > 1) {
          changes.set(k, { ...removeFromIsr(s, b), zkVersion: s.zkVersion });
        }
      }
      const before = this.logElections
        ? new Map([...changes.keys()].map((k) => [k, this.states.get(k)!]))
        : null;
      this.writeStates(changes, (error) => {
        if (error !== null) return done();
        if (before !== null) this.logStateChanges(before, `offline replica on ${b}`);
        const messages: PartitionStateMessage[] = [];
        for (const k of changes.keys()) {
          const sm = this.stateMessage(...splitKey(k));
          if (sm !== null) messages.push(sm);
        }
        this.sendLeaderAndIsr(messages);
        this.broadcastMetadata();
        done();
      });
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* AlterPartition                                                                                  */
  /* ---------------------------------------------------------------------------------------------- */

  onAlterPartition(request: AlterPartitionRequest): void {
    if (!this.isActive) return;
    this.enqueue((done) => {
      const k = key(request.topic, request.partition);
      const s = this.states.get(k);
      const respond = (error: KafkaErrorName | null, st: CachedState | undefined) => {
        this.host.send(request.brokerId, {
          type: "alterPartitionResponse",
          topic: request.topic,
          partition: request.partition,
          error,
          leaderEpoch: st?.leaderEpoch ?? -1,
          isr: st?.isr ?? [],
          partitionEpoch: st?.zkVersion ?? -1,
        });
      };
      if (s === undefined) {
        respond("UNKNOWN_TOPIC_OR_PARTITION", s);
        return done();
      }
      if (s.leader !== request.brokerId || s.leaderEpoch !== request.leaderEpoch) {
        respond("FENCED_LEADER_EPOCH", s);
        return done();
      }
      if (s.zkVersion !== request.partitionEpoch) {
        // The leader's view is older than ours; answer with ours so it can adopt it.
        respond(null, s);
        return done();
      }
      const next: CachedState = { ...s, isr: [...request.newIsr] };
      this.writeStates(new Map([[k, next]]), (error) => {
        if (error === null) {
          respond(null, this.states.get(k));
          this.broadcastMetadata();
        }
        done();
      });
    });
  }

  /* ---------------------------------------------------------------------------------------------- */
  /* Telling brokers                                                                                 */
  /* ---------------------------------------------------------------------------------------------- */

  private stateMessage(topic: string, partition: number): PartitionStateMessage | null {
    const t = this.topics.get(topic);
    const s = this.states.get(key(topic, partition));
    if (t === undefined || s === undefined) return null;
    return {
      topic,
      partition,
      leader: s.leader,
      leaderEpoch: s.leaderEpoch,
      isr: [...s.isr],
      replicas: [...t.replicas[partition]],
      partitionEpoch: s.zkVersion,
      config: t.config,
    };
  }

  /** LeaderAndIsr to each live replica of the partitions (but `skip`: a replica being stopped). */
  private sendLeaderAndIsr(partitions: PartitionStateMessage[], skip?: BrokerId): void {
    const byBroker = new Map<BrokerId, PartitionStateMessage[]>();
    for (const m of partitions) {
      for (const r of m.replicas) {
        if (!this.liveBrokers.has(r) || r === skip) continue;
        // A broker shutting down hears only of partitions it still leads: it stopped its other replicas.
        if (this.shuttingDown.size > 0 && this.shuttingDown.has(r) && m.leader !== r) continue;
        // An offline replica (its log failed) hears nothing more of its partition until it restarts.
        if (this.offlineReplicas.size > 0 && this.offlineReplicas.get(key(m.topic, m.partition))?.has(r))
          continue;
        const list = byBroker.get(r) ?? [];
        list.push(m);
        byBroker.set(r, list);
      }
    }
    for (const b of [...byBroker.keys()].sort((x, y) => x - y)) {
      this.host.send(b, {
        type: "leaderAndIsr",
        controllerId: this.host.brokerId,
        controllerEpoch: this.epoch,
        partitions: byBroker.get(b)!,
      });
    }
  }

  private broadcastMetadata(): void {
    const partitions: PartitionStateMessage[] = [];
    for (const [name, t] of this.topics) {
      // A topic being deleted leaves every broker's metadata at once: as in Kafka, its partitions go with
      // leader LeaderDuringDelete, which brokers drop from their caches (and forget its group offsets).
      const deleting = this.deletions.has(name);
      t.replicas.forEach((_, p) => {
        const m = this.stateMessage(name, p);
        if (m !== null) partitions.push(deleting ? { ...m, leader: LEADER_DURING_DELETE } : m);
      });
    }
    const liveBrokers = [...this.liveBrokers].sort((a, b) => a - b);
    for (const b of liveBrokers) {
      this.host.send(b, {
        type: "updateMetadata",
        controllerId: this.host.brokerId,
        controllerEpoch: this.epoch,
        liveBrokers,
        partitions,
      });
    }
  }

  /** The controller's cached view, for observation and tests. */
  partitionStates(): Array<{ topic: string; partition: number } & CachedState> {
    return [...this.states.entries()].map(([k, s]) => {
      const [topic, partition] = splitKey(k);
      return { topic, partition, ...s };
    });
  }
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function splitKey(k: string): [string, number] {
  const i = k.lastIndexOf("\u0000");
  return [k.slice(0, i), Number(k.slice(i + 1))];
}

function configMap(c: TopicConfig): Record<string, string> {
  return {
    "min.insync.replicas": String(c.minInsyncReplicas),
    "unclean.leader.election.enable": String(c.uncleanLeaderElection),
  };
}

export { DEFAULT_TOPIC_CONFIG };
