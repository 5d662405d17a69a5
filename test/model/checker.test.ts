/**
 * The model in checking mode: each forbidden outcome is rejected with a reason that names it; the allowed
 * alternatives are accepted.
 */
import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import { murmur2Partition } from "../../model/partitioners.ts";
import type { Observation } from "../../spec/adapter.ts";
import type { ClientOp, Fault, Outcome, Produce } from "../../spec/operations.ts";

const OK = { ok: true };
const ok = (value: unknown): Outcome => ({ status: "ok", value }) as Outcome;
const done: Outcome = { status: "ok", value: {} };

function checker(brokers = 3, config: Record<string, number> = {}) {
  const c = new ClusterModel();
  c.begin({ brokers, seed: 1, config });
  return c;
}

const create = (topic: string, partitions: number, rf: number, minIsr = 1): ClientOp => ({
  kind: "createTopic",
  topic,
  partitions,
  replicationFactor: rf,
  config: { minInsyncReplicas: minIsr },
});

const produce = (value: string, over: Partial<Produce> = {}): Produce => ({
  kind: "produce",
  producer: "p1",
  topic: "t",
  key: null,
  value,
  partitioner: { kind: "explicit", partition: 0 },
  acks: -1,
  idempotent: false,
  ...over,
});

const rejects = (v: { ok: boolean; reason?: string }, ...words: string[]) => {
  expect(v.ok).toBe(false);
  for (const w of words) expect((v as { reason: string }).reason).toContain(w);
};

describe("checker: topics", () => {
  it("rejects createTopic ok for a topic that exists, accepts TOPIC_ALREADY_EXISTS", () => {
    const c = checker();
    expect(c.check(create("t", 1, 1), ok({ partitions: 1 }))).toEqual(OK);
    rejects(c.check(create("t", 1, 1), ok({ partitions: 1 })), "already exists");
    expect(c.check(create("t", 1, 1), { status: "failed", error: "TOPIC_ALREADY_EXISTS" })).toEqual(OK);
  });

  it("rejects a replication factor above the registered brokers; crashed brokers count until their session can have expired", () => {
    const c = checker(3, { "zookeeper.session.timeout.ms": 6000 });
    rejects(
      c.check(create("a", 1, 4), ok({ partitions: 1 })),
      "replication factor 4",
      "INVALID_REPLICATION_FACTOR",
    );
    expect(c.check({ kind: "crash", broker: 3 }, done)).toEqual(OK);
    expect(c.check(create("b", 1, 3), ok({ partitions: 1 }))).toEqual(OK); // its registration may linger
    expect(c.check({ kind: "advanceTime", ms: 6000 }, done)).toEqual(OK);
    rejects(c.check(create("c", 1, 3), ok({ partitions: 1 })), "2 registered brokers");
    expect(c.check(create("c", 1, 3), { status: "failed", error: "INVALID_REPLICATION_FACTOR" })).toEqual(OK);
  });
});

describe("checker: produce", () => {
  it("rejects a keyed record outside its murmur2 partition, under every partition count the topic has had", () => {
    const c = checker();
    c.check(create("t", 3, 1), ok({ partitions: 3 }));
    const key = "foobar";
    const right = murmur2Partition(key, 3);
    const wrong = (right + 1) % 3;
    const op = produce("v1", { key, partitioner: { kind: "murmur2" }, acks: 1 });
    rejects(c.check(op, ok({ partition: wrong, offset: 0 })), `partition ${wrong}`, "murmur2");
    expect(c.check({ ...op, value: "v2" }, ok({ partition: right, offset: 0 }))).toEqual(OK);
    c.check({ kind: "addPartitions", topic: "t", totalCount: 10 }, ok({ partitions: 10 }));
    // A producer whose metadata still says 3 partitions, and one that knows 10: both allowed.
    expect(c.check({ ...op, value: "v3" }, ok({ partition: right, offset: 1 }))).toEqual(OK);
    expect(c.check({ ...op, value: "v4" }, ok({ partition: murmur2Partition(key, 10), offset: 0 }))).toEqual(
      OK,
    );
    rejects(
      c.check(
        { ...op, value: "v5", partitioner: { kind: "explicit", partition: 4 } },
        ok({ partition: 5, offset: 0 }),
      ),
      "allows only 4",
    );
    rejects(
      c.check(
        { ...op, value: "v6", partitioner: { kind: "custom", name: "partitionZero" } },
        ok({ partition: 2, offset: 0 }),
      ),
      "custom",
    );
  });

  it("rejects acks=all ok while fewer than min.insync.replicas replicas are alive; acks=1 stays allowed", () => {
    const c = checker();
    c.check(create("t", 1, 3, 2), ok({ partitions: 1 }));
    expect(c.check(produce("v0"), ok({ partition: 0, offset: 0 }))).toEqual(OK);
    c.check({ kind: "crash", broker: 1 }, done);
    c.check({ kind: "crash", broker: 2 }, done);
    // p1's previous produce may have been in flight across the crashes; the next one was sent after them.
    expect(c.check(produce("v1"), ok({ partition: 0, offset: 1 }))).toEqual(OK);
    expect(c.check(produce("v2"), { status: "failed", error: "NOT_ENOUGH_REPLICAS" })).toEqual(OK);
    rejects(
      c.check(produce("v5"), ok({ partition: 0, offset: 2 })),
      "min.insync.replicas=2",
      "NOT_ENOUGH_REPLICAS",
    );
    expect(c.check(produce("v3", { acks: 1 }), ok({ partition: 0, offset: 2 }))).toEqual(OK);
    c.check({ kind: "restart", broker: 1 }, done);
    expect(c.check(produce("v4"), ok({ partition: 0, offset: 3 }))).toEqual(OK);
  });

  it("uses the replica placement a white-box target showed", () => {
    const c = checker(4);
    c.check(create("t", 1, 2, 2), ok({ partitions: 1 }));
    const obs: Observation = {
      time: 0,
      controller: { broker: 1, epoch: 1 },
      brokers: [1, 2, 3, 4].map((id) => ({ id, state: "running" as const })),
      partitions: [
        {
          topic: "t",
          partition: 0,
          leader: 3,
          leaderEpoch: 0,
          isr: [3, 4],
          replicas: [3, 4],
          leaderIsr: [3, 4],
          highWatermark: 0,
          minInsyncReplicas: 2,
          uncleanLeaderElection: false,
          replicaStates: [],
        },
      ],
      groups: [],
    };
    expect(c.adopt(obs)).toEqual(OK);
    c.check({ kind: "crash", broker: 4 }, done);
    c.check(produce("w"), { status: "failed", error: "NOT_ENOUGH_REPLICAS" });
    // Two other brokers are alive, but not this partition's replicas.
    rejects(c.check(produce("v"), ok({ partition: 0, offset: 0 })), "only 1 replica(s)");
  });

  it("rejects an acknowledged write at an offset that holds a committed record (acks=all, min.isr 2)", () => {
    const c = checker();
    c.check(create("t", 1, 3, 2), ok({ partitions: 1 }));
    c.check(produce("a"), ok({ partition: 0, offset: 0 }));
    rejects(c.check(produce("b", { acks: 1 }), ok({ partition: 0, offset: 0 })), "inconsistent-offsets");
    expect(c.check(produce("c", { acks: 1 }), ok({ partition: 0, offset: 1 }))).toEqual(OK);
  });

  it("lets a committed record go once min.insync.replicas replicas have crashed since it was acknowledged", () => {
    const c = checker();
    c.check(create("t", 1, 3, 2), ok({ partitions: 1 }));
    c.check(produce("a"), ok({ partition: 0, offset: 0 }));
    c.check({ kind: "crash", broker: 1 }, done);
    rejects(c.check(produce("b", { acks: 1 }), ok({ partition: 0, offset: 0 })), "inconsistent-offsets");
    c.check({ kind: "restart", broker: 1 }, done);
    c.check({ kind: "crash", broker: 2 }, done);
    // Two of the (at least two) replicas that had it have failed since: losing it is no longer forbidden.
    expect(c.check(produce("c", { acks: 1 }), ok({ partition: 0, offset: 0 }))).toEqual(OK);
  });

  it("rejects acks=0 completing ok", () => {
    const c = checker();
    c.check(create("t", 1, 1), ok({ partitions: 1 }));
    rejects(c.check(produce("a", { acks: 0 }), ok({ partition: 0, offset: 0 })), "acks=0");
    expect(c.check(produce("b", { acks: 0 }), { status: "unknown", partition: 0 })).toEqual(OK);
  });
});

describe("checker: fetch", () => {
  const fetch: ClientOp = {
    kind: "fetch",
    consumer: "c",
    topic: "t",
    partition: 0,
    offset: 0,
    maxRecords: 10,
  };
  const recs = (...xs: Array<[number, string]>) =>
    xs.map(([offset, value]) => ({ offset, key: null, value }));

  function withRecords() {
    const c = checker();
    c.check(create("t", 1, 3, 2), ok({ partitions: 1 }));
    c.check(produce("a"), ok({ partition: 0, offset: 0 }));
    c.check(produce("b"), ok({ partition: 0, offset: 1 }));
    c.check(produce("c", { acks: 1 }), ok({ partition: 0, offset: 2 }));
    return c;
  }

  it("accepts records in order, below the high watermark, matching what was committed", () => {
    const c = withRecords();
    expect(
      c.check(
        fetch,
        ok({ records: recs([0, "a"], [1, "b"], [2, "c"]), highWatermark: 3, logStartOffset: 0 }),
      ),
    ).toEqual(OK);
  });

  it("rejects records out of order or with gaps", () => {
    rejects(
      withRecords().check(
        fetch,
        ok({ records: recs([1, "b"], [0, "a"]), highWatermark: 3, logStartOffset: 0 }),
      ),
      "out of order",
    );
    rejects(
      withRecords().check(
        fetch,
        ok({ records: recs([0, "a"], [2, "c"]), highWatermark: 3, logStartOffset: 0 }),
      ),
      "non-contiguous",
    );
  });

  it("rejects a committed offset holding another value, and offsets beyond what could have been written", () => {
    rejects(
      withRecords().check(fetch, ok({ records: recs([0, "x"]), highWatermark: 3, logStartOffset: 0 })),
      "lost-write",
      "committed record a",
    );
    rejects(withRecords().check(fetch, ok({ records: [], highWatermark: 40, logStartOffset: 0 })), "at most");
    rejects(
      withRecords().check(
        fetch,
        ok({ records: recs([0, "a"], [1, "b"], [2, "c"]), highWatermark: 2, logStartOffset: 0 }),
      ),
      "above the high watermark",
    );
  });

  it("counts reported in-flight produces as possible records", () => {
    const c = withRecords();
    for (let i = 0; i < 5; i++) c.invoke(produce(`f${i}`, { producer: `q${i}` }));
    expect(c.check(fetch, ok({ records: [], highWatermark: 8, logStartOffset: 0 }))).toEqual(OK);
    rejects(c.check(fetch, ok({ records: [], highWatermark: 9, logStartOffset: 0 })), "at most 8");
  });
});

describe("checker: groups", () => {
  const join = (member: string): ClientOp => ({
    kind: "joinGroup",
    groupId: "g",
    member,
    topics: ["t"],
    assignor: "range",
    sessionTimeoutMs: 10000,
    rebalanceTimeoutMs: 10000,
  });
  const joined = (member: string, generation: number, leader = "a-1") =>
    ok({ groupId: "g", memberId: `${member}-1`, generation, leader, protocol: "range", members: [] });
  const tp = (partition: number) => ({ topic: "t", partition });

  it("rejects a join generation not greater than the previous generation; members of a round share one", () => {
    const c = checker();
    expect(c.check(join("a"), joined("a", 1))).toEqual(OK);
    expect(c.check(join("a"), joined("a", 2))).toEqual(OK);
    expect(c.check(join("b"), joined("b", 2))).toEqual(OK);
    rejects(c.check(join("c"), joined("c", 1)), "generation 1", "previous generation 1");
  });

  it("rejects a sync assignment that differs from what the leader sent, whichever completes first", () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    c.check(join("b"), joined("b", 1));
    const assignments = { "a-1": [tp(0)], "b-1": [tp(1)] };
    expect(
      c.check(
        { kind: "syncGroup", groupId: "g", member: "a", generation: 1, assignments },
        ok({ assignment: [tp(0)] }),
      ),
    ).toEqual(OK);
    rejects(
      c.check({ kind: "syncGroup", groupId: "g", member: "b", generation: 1 }, ok({ assignment: [tp(0)] })),
      "leader assigned it [t-1]",
    );
    expect(
      c.check({ kind: "syncGroup", groupId: "g", member: "b", generation: 1 }, ok({ assignment: [tp(1)] })),
    ).toEqual(OK);

    const d = checker();
    d.check(join("a"), joined("a", 1));
    d.check(join("b"), joined("b", 1));
    expect(
      d.check(
        { kind: "syncGroup", groupId: "g", member: "b", generation: 1 },
        ok({ assignment: [tp(0), tp(1)] }),
      ),
    ).toEqual(OK);
    rejects(
      d.check(
        { kind: "syncGroup", groupId: "g", member: "a", generation: 1, assignments },
        ok({ assignment: [tp(0)] }),
      ),
      "gave b",
    );
  });

  it("rejects commits and heartbeats accepted under an older generation than one handed out", () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    c.check(join("a"), joined("a", 2));
    const commit: ClientOp = {
      kind: "commitOffsets",
      groupId: "g",
      member: "a",
      generation: 1,
      offsets: [{ ...tp(0), offset: 3 }],
    };
    rejects(c.check(commit, done), "generation 1", "ILLEGAL_GENERATION");
    expect(c.check(commit, { status: "failed", error: "ILLEGAL_GENERATION" })).toEqual(OK);
    rejects(c.check({ kind: "heartbeat", groupId: "g", member: "a", generation: 1 }, done), "heartbeat");
    rejects(
      c.check({ kind: "syncGroup", groupId: "g", member: "a", generation: 1 }, ok({ assignment: [tp(0)] })),
      "syncGroup a ok with generation 1",
    );
    expect(c.check({ kind: "heartbeat", groupId: "g", member: "a", generation: 2 }, done)).toEqual(OK);
  });

  it("takes a commit without generation only when no member can be in the group", () => {
    const c = checker();
    const simple: ClientOp = {
      kind: "commitOffsets",
      groupId: "g",
      member: "",
      generation: -1,
      offsets: [{ ...tp(0), offset: 1 }],
    };
    expect(c.check(simple, done)).toEqual(OK);
    c.check(join("a"), joined("a", 1));
    rejects(c.check(simple, done), "member a", "Empty");
    c.check({ kind: "advanceTime", ms: 10000 }, done); // its session has run out
    expect(c.check(simple, done)).toEqual(OK);
  });

  it("allows a moved coordinator to forget what was not yet stored (members before their sync, later generations)", () => {
    const c = checker();
    const simple: ClientOp = {
      kind: "commitOffsets",
      groupId: "g",
      member: "",
      generation: -1,
      offsets: [{ ...tp(0), offset: 1 }],
    };
    c.check(join("a"), joined("a", 1));
    c.check(
      { kind: "syncGroup", groupId: "g", member: "a", generation: 1, assignments: { "a-1": [] } },
      ok({ assignment: [] }),
    );
    c.check(join("a"), joined("a", 2));
    c.check(join("a"), joined("a", 3));
    rejects(c.check(join("b"), joined("b", 2)), "previous generation 2");
    c.check({ kind: "expireSession", broker: 1 }, done);
    // Generation 1 was stored (its sync succeeded), 2 and 3 were not: the reloaded group may hand out 2 again.
    expect(c.check(join("b"), joined("b", 2))).toEqual(OK);
    rejects(c.check(join("c"), joined("c", 1)), "previous generation 1");

    const d = checker();
    d.check(join("a"), joined("a", 1));
    rejects(d.check(simple, done), "member a");
    d.check({ kind: "crash", broker: 2 }, done);
    // a never synced, so a reloaded group need not know it.
    expect(d.check(simple, done)).toEqual(OK);

    const e = checker();
    e.check(join("a"), joined("a", 1));
    e.check(
      { kind: "syncGroup", groupId: "g", member: "a", generation: 1, assignments: { "a-1": [] } },
      ok({ assignment: [] }),
    );
    e.check({ kind: "crash", broker: 2 }, done);
    rejects(e.check(simple, done), "member a");
  });

  it("rejects fetchOffsets answering an offset never committed", () => {
    const c = checker();
    c.check(join("a"), joined("a", 1));
    c.check(
      { kind: "commitOffsets", groupId: "g", member: "a", generation: 1, offsets: [{ ...tp(0), offset: 7 }] },
      done,
    );
    c.check(
      { kind: "commitOffsets", groupId: "g", member: "a", generation: 1, offsets: [{ ...tp(0), offset: 9 }] },
      { status: "unknown" },
    );
    c.invoke({ kind: "heal" });
    const fetch: ClientOp = { kind: "fetchOffsets", groupId: "g", partitions: [tp(0)] };
    for (const offset of [7, 9, -1])
      expect(c.check(fetch, ok({ offsets: [{ ...tp(0), offset }] }))).toEqual(OK);
    rejects(c.check(fetch, ok({ offsets: [{ ...tp(0), offset: 8 }] })), "offset 8", "never committed");
  });
});

describe("checker: adopting a white-box target's choices", () => {
  const obs = (
    leader: number | null,
    leaderEpoch: number,
    isr: number[],
    unclean = false,
    epoch = 1,
  ): Observation => ({
    time: 0,
    controller: { broker: 1, epoch },
    brokers: [],
    partitions: [
      {
        topic: "t",
        partition: 0,
        leader,
        leaderEpoch,
        isr,
        replicas: [1, 2, 3],
        leaderIsr: isr,
        highWatermark: 0,
        minInsyncReplicas: 1,
        uncleanLeaderElection: unclean,
        replicaStates: [],
      },
    ],
    groups: [],
  });

  it("accepts a leader from the ISR with a newer epoch; rejects one outside the ISR unless unclean is allowed", () => {
    const c = checker();
    expect(c.adopt(obs(1, 0, [1, 2, 3]))).toEqual(OK);
    expect(c.adopt(obs(2, 1, [2, 3]))).toEqual(OK);
    rejects(c.adopt(obs(1, 2, [2, 3])), "not in its ISR");
    expect(checker().adopt(obs(1, 2, [2, 3], true))).toEqual(OK);
  });

  it("rejects epochs that go back, and a leader change without a new epoch", () => {
    const c = checker();
    c.adopt(obs(1, 3, [1, 2], false, 2));
    rejects(c.adopt(obs(1, 2, [1, 2], false, 2)), "went back");
    rejects(c.adopt(obs(2, 3, [1, 2], false, 2)), "without a new leader epoch");
    rejects(c.adopt(obs(1, 3, [1, 2], false, 1)), "controller epoch went back");
  });
});

describe("checker: faults are always allowed", () => {
  it("accepts every fault outcome", () => {
    const c = checker();
    const faults: Fault[] = [
      { kind: "crash", broker: 1 },
      { kind: "restart", broker: 1 },
      { kind: "pause", broker: 2 },
      { kind: "resume", broker: 2 },
      { kind: "isolate", sides: [[1], [2, 3]] },
      { kind: "heal" },
      { kind: "expireSession", broker: 3 },
      { kind: "addBroker", broker: 4 },
      { kind: "advanceTime", ms: 5 },
    ];
    for (const f of faults) expect(c.check(f, done)).toEqual(OK);
  });
});
