/**
 * A tiny DSL for writing histories by hand, readably:
 *
 *   const s = new Script();
 *   s.topic("t", { minIsr: 2 });
 *   const a = s.sent("p1", "t", 0, "v1", 0);          // invoke + ok at offset 0
 *   const f = s.polled("c1", "t", 0, 0, "0=v1 1=v2");  // fetch from 0, two records
 *   const slow = s.start("p2", s.produceOp("p2", "t", 0, "v3"));  // concurrent: complete later
 *   slow.ok({ partition: 0, offset: 2 });
 *
 * Every call returns the event indices it wrote, so tests can assert the exact `events` of a violation.
 */
import type { KafkaErrorName } from "../../spec/errors.ts";
import { History, type InvokeEvent } from "../../spec/history.ts";
import type {
  Acks,
  ClientOp,
  Fault,
  FetchedRecord,
  OkValues,
  Operation,
  Outcome,
} from "../../spec/operations.ts";

export interface Done {
  invoke: number;
  complete: number;
}

export class Pending {
  constructor(
    private readonly script: Script,
    readonly event: InvokeEvent,
  ) {}
  get invoke(): number {
    return this.event.index;
  }
  ok(value: unknown): Done {
    return this.finish({ status: "ok", value } as Outcome);
  }
  fail(error: KafkaErrorName): Done {
    return this.finish({ status: "failed", error });
  }
  unknown(): Done {
    return this.finish({ status: "unknown" });
  }
  private finish(outcome: Outcome): Done {
    const c = this.script.history.complete(this.event, outcome, this.script.tick());
    return { invoke: this.event.index, complete: c.index };
  }
}

/** "0=a 1=b" -> records at offsets 0 and 1 with values a and b. */
export function records(spec: string): FetchedRecord[] {
  return spec
    .split(/\s+/)
    .filter((s) => s.length > 0)
    .map((s) => {
      const [o, v] = s.split("=");
      return { offset: Number(o), key: null, value: v };
    });
}

export class Script {
  readonly history = new History();
  private time = 0;

  tick(): number {
    return ++this.time;
  }

  start(process: string, op: Operation): Pending {
    return new Pending(this, this.history.invoke(process, op, this.tick()));
  }

  /** Invoke and complete ok at once (a sequential operation). */
  done(process: string, op: ClientOp, value: unknown): Done {
    return this.start(process, op).ok(value);
  }

  fault(f: Fault): Done {
    return this.start("nemesis", f).ok({});
  }

  topic(
    topic: string,
    opts: { partitions?: number; rf?: number; minIsr?: number; unclean?: boolean } = {},
  ): Done {
    const partitions = opts.partitions ?? 1;
    const config: { minInsyncReplicas?: number; uncleanLeaderElection?: boolean } = {};
    if (opts.minIsr !== undefined) config.minInsyncReplicas = opts.minIsr;
    if (opts.unclean !== undefined) config.uncleanLeaderElection = opts.unclean;
    return this.done(
      "admin",
      { kind: "createTopic", topic, partitions, replicationFactor: opts.rf ?? 3, config },
      { partitions },
    );
  }

  produceOp(producer: string, topic: string, partition: number, value: string, acks: Acks = -1): ClientOp {
    return {
      kind: "produce",
      producer,
      topic,
      key: null,
      value,
      partitioner: { kind: "explicit", partition },
      acks,
      idempotent: false,
    };
  }

  /** A send acknowledged at `offset`. */
  sent(
    producer: string,
    topic: string,
    partition: number,
    value: string,
    offset: number,
    acks: Acks = -1,
  ): Done {
    return this.done(producer, this.produceOp(producer, topic, partition, value, acks), {
      partition,
      offset,
    });
  }

  fetchOp(consumer: string, topic: string, partition: number, offset: number, maxRecords = 100): ClientOp {
    return { kind: "fetch", consumer, topic, partition, offset, maxRecords };
  }

  fetchValue(recs: string, opts: { hw?: number; lso?: number } = {}): OkValues["fetch"] {
    const rs = records(recs);
    const hw = opts.hw ?? (rs.length > 0 ? rs[rs.length - 1].offset + 1 : 0);
    return { records: rs, highWatermark: hw, logStartOffset: opts.lso ?? 0 };
  }

  /** A fetch from `offset` that returned `recs` ("0=a 1=b"); the high watermark defaults to just past them. */
  polled(
    consumer: string,
    topic: string,
    partition: number,
    offset: number,
    recs: string,
    opts: { hw?: number; lso?: number } = {},
  ): Done {
    return this.done(consumer, this.fetchOp(consumer, topic, partition, offset), this.fetchValue(recs, opts));
  }

  latest(topic: string, partition: number, offset: number): Done {
    return this.done("admin", { kind: "listOffsets", topic, partition, at: "latest" }, { offset });
  }

  commitOp(group: string, member: string, generation: number, offsets: Record<string, number>): ClientOp {
    return {
      kind: "commitOffsets",
      groupId: group,
      member,
      generation,
      offsets: Object.entries(offsets).map(([tp, offset]) => ({ ...parseTp(tp), offset })),
    };
  }

  committed(group: string, member: string, offsets: Record<string, number>): Done {
    return this.done(member, this.commitOp(group, member, 1, offsets), {});
  }

  fetchOffsetsOp(group: string, tps: string[]): ClientOp {
    return { kind: "fetchOffsets", groupId: group, partitions: tps.map(parseTp) };
  }

  /** fetchOffsets of one group returning `offsets` ("t-0": 5). */
  readOffsets(group: string, offsets: Record<string, number>): Done {
    return this.done("admin", this.fetchOffsetsOp(group, Object.keys(offsets)), {
      offsets: Object.entries(offsets).map(([tp, offset]) => ({ ...parseTp(tp), offset })),
    });
  }

  joined(
    member: string,
    group: string,
    generation: number,
    opts: { memberId?: string; leader: string; topics?: string[]; members?: Array<[string, string[]]> },
  ): Done {
    const topics = opts.topics ?? ["t"];
    return this.done(
      member,
      {
        kind: "joinGroup",
        groupId: group,
        member,
        topics,
        assignor: "range",
        sessionTimeoutMs: 10000,
        rebalanceTimeoutMs: 10000,
      },
      {
        groupId: group,
        memberId: opts.memberId ?? member,
        generation,
        leader: opts.leader,
        protocol: "range",
        members: (opts.members ?? []).map(([memberId, ts]) => ({ memberId, topics: ts })),
      },
    );
  }

  /** The leader's syncGroup carrying the plan (member id -> partitions); it receives `assignment`. */
  syncedAsLeader(
    member: string,
    group: string,
    generation: number,
    plan: Record<string, string[]>,
    assignment: string[],
  ): Done {
    const assignments = Object.fromEntries(Object.entries(plan).map(([m, tps]) => [m, tps.map(parseTp)]));
    return this.done(
      member,
      { kind: "syncGroup", groupId: group, member, generation, assignments },
      {
        assignment: assignment.map(parseTp),
      },
    );
  }

  synced(member: string, group: string, generation: number, assignment: string[]): Done {
    return this.done(
      member,
      { kind: "syncGroup", groupId: group, member, generation },
      {
        assignment: assignment.map(parseTp),
      },
    );
  }
}

export function parseTp(tp: string): { topic: string; partition: number } {
  const i = tp.lastIndexOf("-");
  return { topic: tp.slice(0, i), partition: Number(tp.slice(i + 1)) };
}
