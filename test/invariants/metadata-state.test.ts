/**
 * The metadata state invariants over hand-made sequences of metadata observations, as the cluster and
 * kafka targets read them from ZooKeeper: what each catches (the seeded faults' footprints) and what it
 * must let pass (Kafka's own legitimate moves).
 */
import { describe, expect, it } from "vitest";
import type { Observation, PartitionObservation } from "../../spec/adapter.ts";
import { checkState, STATE_INVARIANTS } from "../../spec/invariants/index.ts";
import { cleanElection } from "../../spec/invariants/state/clean-election.ts";
import { leaderEpochMonotonic, partitionControllerEpoch } from "../../spec/invariants/state/epochs.ts";
import { controllerRegistered, leaderRegistered } from "../../spec/invariants/state/registrations.ts";

interface PartSpec {
  leader: number | null;
  epoch: number;
  isr: number[];
  /** The state znode's data version; its czxid is 100 unless `czxid` says otherwise. */
  version: number;
  czxid?: number;
  /** The controller epoch that wrote the state; default the observation's. */
  cepoch?: number;
  unclean?: boolean;
}

function meta(o: {
  time?: number;
  controller?: [number | null, number];
  registered?: number[];
  parts: PartSpec[];
  consistent?: boolean;
  boundMs?: number;
}): Observation {
  const [broker, epoch] = o.controller ?? [1, 1];
  const registered = new Set(o.registered ?? [1, 2, 3]);
  const partitions: PartitionObservation[] = o.parts.map((p, i) => ({
    topic: "t",
    partition: i,
    leader: p.leader,
    leaderEpoch: p.epoch,
    isr: p.isr,
    replicas: [1, 2, 3],
    leaderIsr: [],
    highWatermark: 0,
    minInsyncReplicas: 2,
    uncleanLeaderElection: p.unclean ?? false,
    replicaStates: [],
    controllerEpoch: p.cepoch ?? epoch,
    stateZnode: { czxid: p.czxid ?? 100, mzxid: 100 + p.version, version: p.version },
  }));
  return {
    time: o.time ?? 0,
    controller: { broker, epoch },
    brokers: [1, 2, 3].map((id) => ({
      id,
      state: registered.has(id) ? ("running" as const) : ("offline" as const),
      registered: registered.has(id),
    })),
    partitions,
    groups: [],
    scope: "metadata",
    metadataRead: {
      fromZxid: 500,
      toZxid: o.consistent === false ? 501 : 500,
      consistent: o.consistent !== false,
      reactionBoundMs: o.boundMs ?? 20_000,
    },
  };
}

/** Every metadata invariant over a sequence, step by step as the runner calls them. */
function run(sequence: Observation[]): string[] {
  const metadataOnly = STATE_INVARIANTS.filter((i) => i.needs === "metadata");
  const out: string[] = [];
  let previous: Observation | undefined;
  for (const now of sequence) {
    for (const inv of metadataOnly)
      for (const v of inv.check(now, previous)) out.push(`${v.invariant}: ${v.message}`);
    previous = now;
  }
  return out;
}

describe("which invariants need only metadata", () => {
  it("marks the metadata ones and leaves those over logs, high watermarks and groups to whole observations", () => {
    expect(
      STATE_INVARIANTS.filter((i) => i.needs === "metadata")
        .map((i) => i.name)
        .sort(),
    ).toEqual([
      "clean-election",
      "controller-epoch-monotonic",
      "controller-registered",
      "leader-epoch-monotonic",
      "leader-in-isr",
      "leader-registered",
      "partition-controller-epoch",
    ]);
  });

  it("a metadata observation of a healthy cluster passes every state invariant, whole-state ones included", () => {
    const a = meta({ parts: [{ leader: 1, epoch: 0, isr: [1, 2, 3], version: 0 }] });
    const b = meta({ time: 100, parts: [{ leader: 1, epoch: 0, isr: [1, 2], version: 1 }] });
    expect(checkState(a)).toEqual([]);
    expect(checkState(b, a)).toEqual([]);
  });
});

describe("clean-election", () => {
  const before = meta({ parts: [{ leader: 1, epoch: 3, isr: [1, 2], version: 5 }], registered: [1, 2, 3] });

  it("catches elect-outside-isr: the next write makes a replica outside the last ISR leader", () => {
    const after = meta({ parts: [{ leader: 3, epoch: 4, isr: [3], version: 6 }], registered: [2, 3] });
    expect(cleanElection.check(after, before).map((v) => v.message)).toEqual([
      "t-0: broker 3 elected at epoch 4 from outside the last ISR (leader 1, epoch 3, ISR [1,2]); unclean election is off",
    ]);
  });

  it("catches an epoch-bumping write that adds to the ISR", () => {
    const after = meta({ parts: [{ leader: 2, epoch: 4, isr: [2, 3], version: 6 }] });
    expect(cleanElection.check(after, before).map((v) => v.message)).toEqual([
      "t-0: the write of leader epoch 4 (leader 2) added [3] to the ISR (leader 1, epoch 3, ISR [1,2])",
    ]);
  });

  it("passes a clean election from the last ISR, and a leaderless partition's last member coming back", () => {
    const elected = meta({ parts: [{ leader: 2, epoch: 4, isr: [2], version: 6 }] });
    expect(cleanElection.check(elected, before)).toEqual([]);
    const offline = meta({ parts: [{ leader: null, epoch: 5, isr: [2], version: 7 }] });
    const back = meta({ parts: [{ leader: 2, epoch: 6, isr: [2], version: 8 }] });
    expect(run([elected, offline, back])).toEqual([]);
  });

  it("passes the leader growing the ISR (no new epoch)", () => {
    const grown = meta({ parts: [{ leader: 1, epoch: 3, isr: [1, 2, 3], version: 6 }] });
    expect(cleanElection.check(grown, before)).toEqual([]);
  });

  it("does not judge across more than one write: the ISR may have grown in between", () => {
    // version 5 -> 7: the leader added 3 (version 6), then 3 was rightly elected (version 7).
    const after = meta({ parts: [{ leader: 3, epoch: 4, isr: [2, 3], version: 7 }] });
    expect(cleanElection.check(after, before)).toEqual([]);
  });

  it("judges the writes the target saw in between (earlierStates) one by one", () => {
    // Two elections between two observations: 1 -> 2 (clean), then 2 -> 3 with 3 outside [2].
    const after: Observation = meta({ parts: [{ leader: 3, epoch: 5, isr: [3], version: 7 }] });
    expect(cleanElection.check(after, before)).toEqual([]);
    const between = meta({ parts: [{ leader: 2, epoch: 4, isr: [2], version: 6 }] }).partitions[0];
    const seen: Observation = {
      ...after,
      partitions: [{ ...after.partitions[0], earlierStates: [between] }],
    };
    expect(cleanElection.check(seen, before).map((v) => v.message)).toEqual([
      "t-0: broker 3 elected at epoch 5 from outside the last ISR (leader 2, epoch 4, ISR [2]); unclean election is off",
    ]);
    // A state older than the previous observation's, or of another znode, is not part of the chain.
    const stale = meta({ parts: [{ leader: 3, epoch: 2, isr: [3], version: 4 }] }).partitions[0];
    const other = meta({ parts: [{ leader: 2, epoch: 4, isr: [2], version: 6, czxid: 5 }] }).partitions[0];
    const noise: Observation = {
      ...after,
      partitions: [{ ...after.partitions[0], earlierStates: [stale, other] }],
    };
    expect(run([before, noise])).toEqual([]);
  });

  it("does not judge unclean topics or a re-created partition state", () => {
    const unclean = meta({ parts: [{ leader: 3, epoch: 4, isr: [3], version: 6, unclean: true }] });
    expect(cleanElection.check(unclean, before)).toEqual([]);
    const recreated = meta({ parts: [{ leader: 3, epoch: 4, isr: [3], version: 6, czxid: 900 }] });
    expect(cleanElection.check(recreated, before)).toEqual([]);
  });
});

describe("leader-epoch-monotonic and partition-controller-epoch", () => {
  it("catch stale-controller-unfenced: an older controller's write lands after a newer one's", () => {
    const newer = meta({ controller: [2, 5], parts: [{ leader: 2, epoch: 7, isr: [2, 3], version: 9 }] });
    // Controller 1 (epoch 4) stalled past its session, then wrote its old view unconditionally.
    const stale = meta({
      controller: [2, 5],
      parts: [{ leader: 1, epoch: 6, isr: [1, 2], version: 10, cepoch: 4 }],
    });
    expect(run([newer, stale])).toEqual([
      "leader-epoch-monotonic: t-0: leader epoch went from 7 back to 6",
      "partition-controller-epoch: t-0: written by controller epoch 5, then by an older controller epoch 4 (leader 1, leader epoch 6)",
    ]);
  });

  it("catch a state written by a controller epoch the cluster has not reached, in a consistent snapshot only", () => {
    const ahead = meta({
      controller: [1, 3],
      parts: [{ leader: 1, epoch: 1, isr: [1], version: 1, cepoch: 4 }],
    });
    expect(partitionControllerEpoch.check(ahead).map((v) => v.message)).toEqual([
      "t-0: written by controller epoch 4, above the cluster's controller epoch 3",
    ]);
    const torn = meta({
      controller: [1, 3],
      consistent: false,
      parts: [{ leader: 1, epoch: 1, isr: [1], version: 1, cepoch: 4 }],
    });
    expect(partitionControllerEpoch.check(torn)).toEqual([]);
  });

  it("start over on a re-created partition state (a topic deleted and made again)", () => {
    const old = meta({ parts: [{ leader: 1, epoch: 9, isr: [1], version: 12, cepoch: 3 }] });
    const fresh = meta({ parts: [{ leader: 2, epoch: 0, isr: [2], version: 0, czxid: 700, cepoch: 1 }] });
    expect(leaderEpochMonotonic.check(fresh, old)).toEqual([]);
    expect(partitionControllerEpoch.check(fresh, old)).toEqual([]);
  });
});

describe("controller-registered", () => {
  it("catches a controller without a registration in a consistent snapshot, and only there", () => {
    const parts: PartSpec[] = [];
    expect(
      controllerRegistered
        .check(meta({ controller: [3, 2], registered: [1, 2], parts }))
        .map((v) => v.message),
    ).toEqual(["broker 3 is the controller (epoch 2) but not registered"]);
    expect(
      controllerRegistered.check(meta({ controller: [3, 2], registered: [1, 2], parts, consistent: false })),
    ).toEqual([]);
    expect(controllerRegistered.check(meta({ controller: [null, 2], registered: [1, 2], parts }))).toEqual(
      [],
    );
  });
});

describe("leader-registered", () => {
  const led = (time: number, registered: number[], controller: [number | null, number] = [2, 1]) =>
    meta({
      time,
      controller,
      registered,
      boundMs: 10_000,
      parts: [{ leader: 1, epoch: 0, isr: [1, 2], version: 0 }],
    });

  it("catches a leader left unregistered past the bound under one live controller", () => {
    const found = run([led(0, [1, 2, 3]), led(1_000, [2, 3]), led(6_000, [2, 3]), led(11_500, [2, 3])]);
    expect(found).toEqual([
      "leader-registered: t-0: leader 1 (epoch 0) has been unregistered for 10500 ms under controller 2 (epoch 1), past the 10000 ms bound",
    ]);
  });

  it("allows the session lag: counts only from when the registration vanished, and restarts on re-registration", () => {
    expect(
      run([led(0, [1, 2, 3]), led(30_000, [1, 2, 3]), led(31_000, [2, 3]), led(40_000, [2, 3])]),
    ).toEqual([]);
    expect(
      run([
        led(0, [2, 3]),
        led(9_000, [2, 3]),
        led(9_500, [1, 2, 3]),
        led(10_000, [2, 3]),
        led(19_000, [2, 3]),
      ]),
    ).toEqual([]);
  });

  it("restarts the clock when the controller changes, and waits while there is none", () => {
    const seq = [
      led(0, [2, 3], [2, 1]),
      led(8_000, [2, 3], [null, 1]),
      led(15_000, [2, 3], [3, 2]),
      led(24_000, [2, 3], [3, 2]),
    ];
    expect(run(seq)).toEqual([]);
    expect(run([...seq, led(25_500, [2, 3], [3, 2])])).toHaveLength(1);
  });

  it("needs registrations and a bound: a whole observation without them is not judged", () => {
    const full: Observation = { ...led(50_000, [2, 3]), metadataRead: undefined };
    expect(leaderRegistered.check(full, led(0, [2, 3]))).toEqual([]);
  });
});
