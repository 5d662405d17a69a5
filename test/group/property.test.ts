/**
 * Random join / sync / heartbeat / leave / commit / time / append-delay / failover sequences from a
 * few consumers against one coordinator. After every step:
 *   P1 no request is answered twice (the driver throws), and at the end every request is answered;
 *   P2 in a Stable generation every partition is owned by at most one member: in the coordinator's
 *      state and among the clients that synced in that generation, who must all be members;
 *   P3 a successful SyncGroup is for the group's current generation and from a current member;
 *   P4 a successful OffsetCommit was valid when made (current member and generation, or a simple
 *      commit to an Empty group);
 *   P5 the state is well formed (Stable/CompletingRebalance have members and a leader among them...).
 * With the seeded faults off these hold; each group fault breaks one of them, and the same property
 * finds it (the last tests), which is what makes the property worth having.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JoinGroupResponseMember, RequestId } from "../../impl/group/api.ts";
import { assignedTopicPartitions, decodeAssignment } from "../../impl/group/consumer-protocol.ts";
import { Driver, roundRobin } from "./driver.ts";

const G = "prop-group";
const CLIENTS = 4;
const PARTITIONS = 6;

type Cmd =
  | { k: "join"; c: number; requireKnown: boolean }
  | { k: "sync"; c: number }
  | { k: "heartbeat"; c: number }
  | { k: "leave"; c: number }
  | { k: "commit"; c: number; partition: number; offset: number; simple: boolean }
  | { k: "time"; ms: number }
  | { k: "hold" }
  | { k: "flush"; fail: boolean }
  | { k: "failover" }
  /** Every client joins with its member id, or every client syncs: a cooperative round. */
  | { k: "joinAll" }
  | { k: "syncAll" }
  /** The client does what a well-behaved consumer does next: join, sync or heartbeat. */
  | { k: "step"; c: number };

const client = fc.integer({ min: 0, max: CLIENTS - 1 });
const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ k: fc.constant("join" as const), c: client, requireKnown: fc.boolean() }),
  },
  { weight: 4, arbitrary: fc.record({ k: fc.constant("sync" as const), c: client }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("heartbeat" as const), c: client }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("leave" as const), c: client }) },
  {
    weight: 2,
    arbitrary: fc.record({
      k: fc.constant("commit" as const),
      c: client,
      partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
      offset: fc.nat({ max: 1000 }),
      simple: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant("time" as const),
      ms: fc.constantFrom(0, 500, 1000, 3000, 3000, 3000, 6000, 11_000, 31_000),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ k: "hold" as const }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant("flush" as const), fail: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ k: "failover" as const }) },
  { weight: 2, arbitrary: fc.constant({ k: "joinAll" as const }) },
  { weight: 2, arbitrary: fc.constant({ k: "syncAll" as const }) },
  { weight: 12, arbitrary: fc.record({ k: fc.constant("step" as const), c: client }) },
);

interface Client {
  memberId: string;
  generation: number;
  /** The members list when this client's last JoinGroup made it the leader. */
  leaderMembers: JoinGroupResponseMember[] | null;
  /** What the last successful SyncGroup gave it, and for which generation. */
  owned: { generation: number; incarnation: number; memberId: string; partitions: number[] } | null;
  /** The coordinator said to rejoin (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION). */
  mustRejoin: boolean;
  /** A JoinGroup or SyncGroup of this client is waiting for its response. */
  waiting: boolean;
}

type Outstanding =
  | { kind: "join"; c: number }
  | { kind: "sync"; c: number; generation: number }
  | { kind: "heartbeat"; c: number }
  | { kind: "leave"; c: number }
  | { kind: "commit"; c: number; validWhenMade: boolean };

function violation(message: string): never {
  throw new Error(message);
}

interface Coverage {
  /** The group reached Stable with at least two members at some step. */
  stableWithTwo: boolean;
  /** A client synced successfully in a generation, then the group moved on to a later Stable one. */
  rebalancedAfterStable: boolean;
}

function runScenario(cmds: Cmd[], faults: string[], initialDelay: number): Coverage {
  const coverage: Coverage = { stableWithTwo: false, rebalancedAfterStable: false };
  let firstStableGeneration: number | null = null;
  const d = new Driver({
    seededFaults: faults,
    initialRebalanceDelayMs: initialDelay,
    // Short retention, so offset expiry and group deletion happen inside a run.
    offsetsRetentionMs: 60_000,
    offsetsRetentionCheckIntervalMs: 5_000,
  });
  const clients: Client[] = Array.from({ length: CLIENTS }, () => ({
    memberId: "",
    generation: -1,
    leaderMembers: null,
    owned: null,
    mustRejoin: false,
    waiting: false,
  }));
  const outstanding = new Map<RequestId, Outstanding>();
  let pendingIssue: Outstanding | null = null;

  // P3: checked as the response is produced, against the state of the call that produced it.
  d.onResponse = (rid, r) => {
    // A response to the request being sent right now is not in `outstanding` yet.
    const o = outstanding.get(rid) ?? pendingIssue;
    if (o?.kind !== "sync" || r.api !== "SyncGroup" || r.body.error !== "NONE") return;
    const g = d.coord.inspect(G);
    if (!g || g.generationId !== o.generation) {
      violation(`SyncGroup ok for generation ${o.generation} while the group is at ${g?.generationId}`);
    }
    if (!g.members.some((m) => m.memberId === clients[o.c].memberId)) {
      violation(`SyncGroup ok for ${clients[o.c].memberId}, not a member of generation ${g.generationId}`);
    }
  };

  const settleResponses = () => {
    for (const [rid, o] of [...outstanding]) {
      const r = d.responses.get(rid);
      if (r === undefined) continue;
      outstanding.delete(rid);
      const cl = clients[o.c];
      if (o.kind === "join" || o.kind === "sync") cl.waiting = false;
      if (o.kind === "join" && r.api === "JoinGroup") {
        const b = r.body;
        if (b.error === "NONE") {
          cl.mustRejoin = false;
          cl.memberId = b.memberId;
          cl.generation = b.generationId;
          cl.leaderMembers = b.leader === b.memberId ? b.members : null;
        } else if (b.error === "MEMBER_ID_REQUIRED") {
          cl.memberId = b.memberId;
        } else if (b.error === "UNKNOWN_MEMBER_ID") {
          cl.memberId = "";
          cl.generation = -1;
        }
      } else if (o.kind === "sync" && r.api === "SyncGroup") {
        if (r.body.error === "REBALANCE_IN_PROGRESS" || r.body.error === "ILLEGAL_GENERATION")
          cl.mustRejoin = true;
        if (r.body.error === "UNKNOWN_MEMBER_ID") cl.memberId = "";
        if (r.body.error === "NONE") {
          cl.owned = {
            generation: o.generation,
            incarnation: d.groupDeletions.get(G) ?? 0,
            memberId: cl.memberId,
            partitions: assignedTopicPartitions(decodeAssignment(r.body.assignment)).map(
              (tp) => tp.partition,
            ),
          };
        }
      } else if (o.kind === "heartbeat" && r.api === "Heartbeat") {
        if (r.body.error === "REBALANCE_IN_PROGRESS" || r.body.error === "ILLEGAL_GENERATION")
          cl.mustRejoin = true;
        if (r.body.error === "UNKNOWN_MEMBER_ID") {
          cl.memberId = "";
          cl.generation = -1;
        }
      } else if (o.kind === "commit" && r.api === "OffsetCommit") {
        const err = r.body.topics[0].partitions[0].error;
        if (err === "NONE" && !o.validWhenMade)
          violation("an OffsetCommit that was not valid when made succeeded");
      } else if (o.kind !== "leave" || r.api !== "LeaveGroup") {
        violation(`request ${String(rid)} (${o.kind}) got a ${r.api} response`);
      }
    }
  };

  const checkState = () => {
    const g = d.coord.inspect(G);
    if (!g) return;
    const ids = new Set(g.members.map((m) => m.memberId));
    // P5
    if (g.state === "Empty" && ids.size > 0) violation("Empty group with members");
    if (
      (g.state === "Stable" || g.state === "CompletingRebalance") &&
      (ids.size === 0 || !ids.has(g.leaderId ?? ""))
    ) {
      violation(`${g.state} group without members or with a leader outside them`);
    }
    if (g.state === "CompletingRebalance" && g.members.some((m) => m.awaitingJoin)) {
      violation("a member still awaits its JoinGroup after the join phase completed");
    }
    if (g.state !== "Stable") return;
    if (ids.size >= 2) coverage.stableWithTwo = true;
    if (firstStableGeneration === null) firstStableGeneration = g.generationId;
    else if (g.generationId > firstStableGeneration) coverage.rebalancedAfterStable = true;
    // P2, coordinator side.
    const seen = new Map<number, string>();
    for (const m of g.members) {
      for (const tp of assignedTopicPartitions(decodeAssignment(m.assignment))) {
        const other = seen.get(tp.partition);
        if (other !== undefined) violation(`partition ${tp.partition} owned by ${other} and ${m.memberId}`);
        seen.set(tp.partition, m.memberId);
      }
    }
    // P2, client side: those that synced in this generation.
    const owners = new Map<number, number>();
    clients.forEach((cl, i) => {
      if (cl.owned?.generation !== g.generationId) return;
      if (cl.owned.incarnation !== (d.groupDeletions.get(G) ?? 0)) return;
      if (!ids.has(cl.owned.memberId))
        violation(`client ${i} synced in generation ${g.generationId} but is not a member`);
      for (const p of cl.owned.partitions) {
        const other = owners.get(p);
        if (other !== undefined && other !== i) {
          violation(`generation ${g.generationId}: partition ${p} held by clients ${other} and ${i}`);
        }
        owners.set(p, i);
      }
    });
  };

  // The request id is known before sending, so an immediate response finds its bookkeeping.
  // The response to the request being sent may arrive before `issue` records it: see onResponse.
  const issue = (o: Outstanding, send: () => RequestId) => {
    pendingIssue = o;
    const rid = send();
    pendingIssue = null;
    outstanding.set(rid, o);
  };
  const join = (c: number, requireKnown: boolean) => {
    const cl = clients[c];
    cl.waiting = true;
    issue({ kind: "join", c }, () =>
      d.join(G, cl.memberId, {
        clientId: `c${c}`,
        requireKnownMemberId: requireKnown,
        rebalanceTimeoutMs: 20_000,
      }),
    );
  };
  const sync = (c: number) => {
    const cl = clients[c];
    if (cl.memberId === "") return;
    const assignment = cl.leaderMembers ? roundRobin(cl.leaderMembers, "t", PARTITIONS) : new Map();
    cl.waiting = true;
    issue({ kind: "sync", c, generation: cl.generation }, () =>
      d.sync(G, cl.memberId, cl.generation, assignment),
    );
  };

  for (const cmd of cmds) {
    switch (cmd.k) {
      case "join":
        join(cmd.c, cmd.requireKnown);
        break;
      case "sync":
        sync(cmd.c);
        break;
      case "step": {
        const cl = clients[cmd.c];
        if (cl.waiting) break;
        if (cl.memberId === "" || cl.generation < 0 || cl.mustRejoin) join(cmd.c, true);
        else if (cl.owned?.generation !== cl.generation) sync(cmd.c);
        else issue({ kind: "heartbeat", c: cmd.c }, () => d.heartbeat(G, cl.memberId, cl.generation));
        break;
      }
      case "joinAll":
        for (let c = 0; c < CLIENTS; c++) {
          join(c, false);
          settleResponses();
        }
        break;
      case "syncAll":
        for (let c = 0; c < CLIENTS; c++) {
          sync(c);
          settleResponses();
        }
        break;
      case "heartbeat": {
        const cl = clients[cmd.c];
        if (cl.memberId === "") break;
        issue({ kind: "heartbeat", c: cmd.c }, () => d.heartbeat(G, cl.memberId, cl.generation));
        break;
      }
      case "leave": {
        const cl = clients[cmd.c];
        if (cl.memberId === "") break;
        issue({ kind: "leave", c: cmd.c }, () => d.leave(G, [cl.memberId]));
        cl.memberId = "";
        cl.generation = -1;
        cl.owned = null;
        cl.leaderMembers = null;
        break;
      }
      case "commit": {
        const cl = clients[cmd.c];
        // Fire what is due first, so the state we judge by is the one the commit will meet.
        d.advance(0);
        settleResponses();
        const g = d.coord.inspect(G);
        const memberId = cmd.simple ? "" : cl.memberId;
        const generation = cmd.simple ? -1 : cl.generation;
        const validWhenMade =
          (generation < 0 && (g === null || g.state === "Empty")) ||
          (g?.members.some((m) => m.memberId === memberId) === true &&
            g.generationId === generation &&
            (g.state === "Stable" || g.state === "PreparingRebalance"));
        issue({ kind: "commit", c: cmd.c, validWhenMade }, () =>
          d.commit(G, memberId, generation, [{ topic: "t", partition: cmd.partition, offset: cmd.offset }]),
        );
        break;
      }
      case "time":
        d.advanceByDeadlines(cmd.ms);
        break;
      case "hold":
        d.autoAppend = false;
        break;
      case "flush":
        d.autoAppend = true;
        d.completeAppends(cmd.fail ? "NOT_ENOUGH_REPLICAS" : null);
        break;
      case "failover": {
        // Leadership of the group's partition moves away and back: state is rebuilt from the log.
        const p = d.coord.partitionFor(G);
        d.apply(d.coord.unloadPartition(p, d.now));
        d.apply(d.coord.loadPartition(p, d.log.get(p) ?? [], d.now));
        break;
      }
    }
    settleResponses();
    checkState();
  }

  // Liveness: with the log healthy and every client silent, every request is answered and the group
  // drains to Empty.
  d.autoAppend = true;
  d.completeAppends();
  settleResponses();
  d.advanceByDeadlines(10 * 60_000);
  settleResponses();
  const unanswered = [...d.issued].filter((id) => !d.responses.has(id));
  if (unanswered.length > 0) violation(`requests never answered: ${unanswered.join(", ")}`);
  const g = d.coord.inspect(G);
  if (g && g.state !== "Empty") violation(`group is ${g.state} after ten silent minutes`);
  return coverage;
}

const scenario = fc.tuple(
  fc.array(cmdArb, { minLength: 1, maxLength: 80, size: "max" }),
  fc.constantFrom(0, 3000),
);

describe("group coordinator property", () => {
  it("random join/sync/heartbeat/leave/tick sequences never give a partition two owners (faults off)", () => {
    let runs = 0;
    let stableWithTwo = 0;
    let rebalanced = 0;
    fc.assert(
      fc.property(scenario, ([cmds, delay]) => {
        const c = runScenario(cmds, [], delay);
        runs++;
        if (c.stableWithTwo) stableWithTwo++;
        if (c.rebalancedAfterStable) rebalanced++;
      }),
      { numRuns: Number(process.env.GROUP_PROPERTY_RUNS ?? 1000) },
    );
    // The property means something only if the random runs reach the interesting states often.
    // Printed so a reader can see how much of the state space the runs reach.
    console.log(`coverage stableWithTwo=${stableWithTwo / runs} rebalanced=${rebalanced / runs}`);
    expect(stableWithTwo / runs).toBeGreaterThan(0.05);
    expect(rebalanced / runs).toBeGreaterThan(0.05);
  });

  for (const fault of ["double-assignment", "stale-syncgroup", "commit-old-generation"]) {
    it(`finds the seeded fault ${fault}`, () => {
      const result = fc.check(
        fc.property(scenario, ([cmds, delay]) => {
          runScenario(cmds, [fault], delay);
        }),
        { numRuns: 2000, seed: 42 },
      );
      expect(result.failed).toBe(true);
      expect(String(result.errorInstance)).toMatch(/owned by|held by|SyncGroup ok|OffsetCommit/);
    });
  }
});
