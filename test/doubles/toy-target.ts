/**
 * A small in-memory target for testing the runner itself, independent of the reference model: one log
 * per partition (no replication), groups that make a JoinGroup wait until a second member joins or time
 * passes (so the runner's pending operations are exercised), virtual time. Correct by construction for
 * what `toyChecker` and `toyInvariants` check; `OffsetReuseTarget` then breaks it on purpose.
 */
import type { Capabilities, ClusterSetup, Target } from "../../spec/adapter.ts";
import type { ClientOp, Fault, Outcome, TopicPartition } from "../../spec/operations.ts";
import { failed, ok, unknown } from "../../spec/operations.ts";

interface Group {
  generation: number;
  members: Map<string, string[]>; // client -> topics
  leader: string | null;
  assignments: Record<string, TopicPartition[]>;
  committed: Map<string, number>;
  waiting: Array<{ client: string; resolve: (o: Outcome) => void }>;
}

export class ToyTarget implements Target {
  readonly name = "toy";
  readonly capabilities: Capabilities = {
    faults: ["crash", "restart", "advanceTime"],
    observe: false,
    virtualTime: true,
  };
  private logs = new Map<string, Array<Array<{ key: string | null; value: string }>>>();
  private groups = new Map<string, Group>();
  private down = new Set<number>();
  private brokers = 0;
  private rr = 0;
  private generated = 0;
  private timePassed = false;
  stopped = false;

  async start(setup: ClusterSetup): Promise<void> {
    this.brokers = setup.brokers;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  async inject(fault: Fault): Promise<Outcome> {
    if (fault.kind === "crash") this.down.add(fault.broker);
    else if (fault.kind === "restart") this.down.delete(fault.broker);
    else if (fault.kind === "advanceTime") this.timePassed = true;
    else return failed("INVALID_REQUEST", `toy target has no ${fault.kind}`);
    return ok({});
  }

  async settle(): Promise<void> {
    for (const [groupId, g] of this.groups)
      if (g.waiting.length >= 2 || (g.waiting.length > 0 && this.timePassed)) this.completeJoin(groupId, g);
    this.timePassed = false;
  }

  execute(op: ClientOp): Promise<Outcome> {
    if (op.kind === "joinGroup") return this.join(op);
    return Promise.resolve(this.run(op));
  }

  private run(op: ClientOp): Outcome {
    switch (op.kind) {
      case "createTopic": {
        if (this.logs.has(op.topic)) return failed("TOPIC_ALREADY_EXISTS");
        if (op.replicationFactor > this.brokers - this.down.size) return failed("INVALID_REPLICATION_FACTOR");
        this.logs.set(
          op.topic,
          Array.from({ length: op.partitions }, () => []),
        );
        return ok({ partitions: op.partitions });
      }
      case "addPartitions": {
        const log = this.logs.get(op.topic);
        if (log === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
        if (op.totalCount <= log.length) return failed("INVALID_PARTITIONS");
        while (log.length < op.totalCount) log.push([]);
        return ok({ partitions: log.length });
      }
      case "produce": {
        const log = this.logs.get(op.topic);
        if (log === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
        const p = op.partitioner;
        const partition =
          p.kind === "explicit"
            ? p.partition
            : p.kind === "murmur2" && op.key !== null
              ? [...op.key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % log.length
              : this.rr++ % log.length;
        const records = log[partition];
        if (records === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
        records.push({ key: op.key, value: op.value });
        if (op.acks === 0) return { status: "unknown", partition };
        return ok({ partition, offset: records.length - 1 });
      }
      case "fetch": {
        const records = this.logs.get(op.topic)?.[op.partition];
        if (records === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
        if (op.offset > records.length) return failed("OFFSET_OUT_OF_RANGE");
        const out = records
          .slice(op.offset, op.offset + op.maxRecords)
          .map((r, i) => ({ offset: op.offset + i, key: r.key, value: r.value }));
        return ok({ records: out, highWatermark: records.length, logStartOffset: 0 });
      }
      case "listOffsets": {
        const records = this.logs.get(op.topic)?.[op.partition];
        if (records === undefined) return failed("UNKNOWN_TOPIC_OR_PARTITION");
        return ok({ offset: op.at === "earliest" ? 0 : records.length });
      }
      case "syncGroup": {
        const g = this.groups.get(op.groupId);
        if (g === undefined || !g.members.has(op.member)) return failed("UNKNOWN_MEMBER_ID");
        if (op.generation !== g.generation) return failed("ILLEGAL_GENERATION");
        if (op.assignments !== undefined) g.assignments = op.assignments;
        return ok({ assignment: g.assignments[op.member] ?? [] });
      }
      case "heartbeat": {
        const g = this.groups.get(op.groupId);
        if (g === undefined || !g.members.has(op.member)) return failed("UNKNOWN_MEMBER_ID");
        return op.generation === g.generation ? ok({}) : failed("ILLEGAL_GENERATION");
      }
      case "leaveGroup": {
        const g = this.groups.get(op.groupId);
        if (g === undefined || !g.members.delete(op.member)) return failed("UNKNOWN_MEMBER_ID");
        g.generation++;
        return ok({});
      }
      case "commitOffsets": {
        const g = this.group(op.groupId);
        if (op.generation >= 0 && op.generation !== g.generation) return failed("ILLEGAL_GENERATION");
        for (const o of op.offsets) g.committed.set(`${o.topic}/${o.partition}`, o.offset);
        return ok({});
      }
      case "fetchOffsets": {
        const g = this.group(op.groupId);
        return ok({
          offsets: op.partitions.map((tp) => ({
            ...tp,
            offset: g.committed.get(`${tp.topic}/${tp.partition}`) ?? -1,
          })),
        });
      }
      case "joinGroup":
        return unknown();
    }
  }

  private group(id: string): Group {
    let g = this.groups.get(id);
    if (g === undefined) {
      g = {
        generation: 0,
        members: new Map(),
        leader: null,
        assignments: {},
        committed: new Map(),
        waiting: [],
      };
      this.groups.set(id, g);
    }
    return g;
  }

  private join(op: Extract<ClientOp, { kind: "joinGroup" }>): Promise<Outcome> {
    const groupId = op.groupId ?? `generated-${++this.generated}`;
    const g = this.group(groupId);
    g.members.set(op.member, op.topics);
    return new Promise((resolve) => g.waiting.push({ client: op.member, resolve }));
  }

  private completeJoin(groupId: string, g: Group) {
    g.generation++;
    const members = [...g.members.entries()].map(([memberId, topics]) => ({ memberId, topics }));
    g.leader = members[0]?.memberId ?? null;
    g.assignments = {};
    for (const w of g.waiting.splice(0))
      w.resolve(
        ok({
          groupId,
          memberId: w.client,
          generation: g.generation,
          leader: g.leader ?? "",
          protocol: "range",
          members: w.client === g.leader ? members : [],
        }),
      );
  }
}
