import { describe, expect, it } from "vitest";
import { epochEndOffset } from "../../impl/replication/replica-log.ts";
import { Partition } from "./harness.ts";

const state = (
  leader: number,
  leaderEpoch: number,
  isr: number[],
  replicas = [1, 2, 3],
  partitionEpoch = 0,
) => ({
  leader,
  leaderEpoch,
  isr,
  replicas,
  partitionEpoch,
});

describe("leader and followers", () => {
  it("acks=all waits until every ISR member has the record, then completes with its offset", () => {
    const p = new Partition([1, 2, 3]);
    p.leaderAndIsr(state(1, 0, [1, 2, 3]));
    p.deliver();
    p.down.add(3);
    const { token, error } = p.produce(1, "a");
    expect(error).toBeNull();
    p.deliver();
    // Follower 3 is down and still in the ISR: the HW cannot pass the record.
    expect(p.completed.has(token)).toBe(false);
    expect(p.get(1).highWatermark).toBe(0);
    p.down.delete(3);
    p.get(3).onTimer(p.now + 10_000); // its unanswered fetch is sent again
    p.deliver();
    expect(p.completed.get(token)).toEqual({ error: null, baseOffset: 0 });
    expect(p.get(1).highWatermark).toBe(1);
  });

  it("HW is the minimum log end offset over the ISR, and never moves back", () => {
    const p = new Partition([1, 2, 3], [], { minInsyncReplicas: 1 });
    p.leaderAndIsr(state(1, 0, [1, 2, 3]));
    p.deliver();
    p.down.add(3);
    p.produce(1, "a", 1);
    p.produce(1, "b", 1);
    p.deliver();
    expect(p.get(1).logEndOffset).toBe(2);
    expect(p.get(2).logEndOffset).toBe(2);
    expect(p.get(1).highWatermark).toBe(0); // 3 is in the ISR with LEO 0
    p.get(1).onIsrChanged(0, 1, [1, 2]);
    expect(p.get(1).highWatermark).toBe(2);
  });

  it("NOT_ENOUGH_REPLICAS before appending when the ISR is below min.insync.replicas", () => {
    const p = new Partition([1, 2]);
    p.leaderAndIsr(state(1, 0, [1], [1, 2]));
    expect(p.produce(1, "a").error).toBe("NOT_ENOUGH_REPLICAS");
    expect(p.get(1).logEndOffset).toBe(0);
    expect(p.produce(1, "b", 1).error).toBeNull();
  });

  it("shrinks the ISR after replica.lag.time.max.ms without catching up, and expands it on catch-up", () => {
    const p = new Partition([1, 2, 3]);
    p.leaderAndIsr(state(1, 0, [1, 2, 3]));
    p.deliver();
    p.down.add(3);
    p.produce(1, "a");
    p.deliver();
    p.advance(5_000);
    p.deliver();
    expect(p.isrProposals).toEqual([]);
    p.advance(6_000);
    expect(p.isrProposals.at(-1)).toEqual({ leader: 1, isr: [1, 2], leaderEpoch: 0, partitionEpoch: 0 });
    p.get(1).onIsrChanged(0, 1, [1, 2]);
    p.down.delete(3);
    p.get(3).onTimer(p.now + 10_000);
    p.deliver();
    expect(p.isrProposals.at(-1)).toEqual({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0, partitionEpoch: 1 });
  });

  it("a late answer to a re-sent AlterPartition does not drop the pending ISR change (the HW still waits for the member being added)", () => {
    const p = new Partition([1, 2, 3]);
    p.leaderAndIsr(state(1, 0, [1, 2, 3]));
    p.deliver();
    p.down.add(3);
    p.produce(1, "a");
    p.deliver();
    p.advance(11_000); // 3 lags: shrink to [1, 2]
    p.advance(1_000); // unanswered for replica.fetch.backoff.ms: the same request is sent again
    expect(p.isrProposals.map((x) => x.isr)).toEqual([
      [1, 2],
      [1, 2],
    ]);
    // The controller writes the first request; the re-sent one is answered later with that state.
    p.get(1).onIsrChanged(0, 1, [1, 2]);
    p.down.delete(3);
    p.get(3).onTimer(p.now + 10_000);
    p.deliver();
    expect(p.isrProposals.at(-1)).toEqual({ leader: 1, isr: [1, 2, 3], leaderEpoch: 0, partitionEpoch: 1 });
    // 3 is cut off again; 2 takes "b", which waits for 3 (a member of the maximal ISR).
    p.down.add(3);
    const b = p.produce(1, "b");
    p.deliver();
    expect(p.get(2).logEndOffset).toBe(2);
    expect(p.completed.has(b.token)).toBe(false);
    // The re-sent shrink's answer arrives while the expansion is pending: it is not the expansion's answer.
    // The controller may write [1, 2, 3] at any moment and later elect 3: "b" is not committed without it.
    p.get(1).onIsrChanged(0, 1, [1, 2]);
    expect(p.completed.has(b.token)).toBe(false);
    // Nor does an error for an earlier epoch's request, answered with the controller's (our) epoch.
    p.get(1).onIsrChanged(0, 1, null);
    expect(p.completed.has(b.token)).toBe(false);
    expect(p.get(1).highWatermark).toBe(1);
    // Still pending: sent again after replica.fetch.backoff.ms.
    const sent = p.isrProposals.length;
    p.advance(1_000);
    expect(p.isrProposals.slice(sent)).toEqual([
      { leader: 1, isr: [1, 2, 3], leaderEpoch: 0, partitionEpoch: 1 },
    ]);
    p.get(1).onIsrChanged(0, 2, [1, 2, 3]);
    expect(p.completed.has(b.token)).toBe(false);
    p.down.delete(3);
    p.get(3).onTimer(p.now + 20_000);
    p.deliver();
    expect(p.completed.get(b.token)).toEqual({ error: null, baseOffset: 1 });
  });

  it("fences fetches from an older leader epoch", () => {
    const p = new Partition([1, 2]);
    p.leaderAndIsr(state(1, 3, [1, 2], [1, 2]));
    const r = p.get(1).handleFetch(
      2,
      {
        type: "replicaFetch",
        requestId: 1,
        replicaId: 2,
        topic: "t",
        partition: 0,
        fetchOffset: 0,
        currentLeaderEpoch: 2,
        maxRecords: 10,
        maxBytes: 1 << 20,
      },
      0,
    );
    expect(r?.error).toBe("FENCED_LEADER_EPOCH");
  });
});

describe("follower truncation by leader epoch (KIP-101, KIP-279)", () => {
  it("the epoch cache answers OffsetsForLeaderEpoch as Kafka's LeaderEpochFileCache", () => {
    const cache: Array<[number, number]> = [
      [0, 0],
      [2, 5],
      [4, 9],
    ];
    expect(epochEndOffset(cache, 4, 12)).toEqual({ epoch: 4, endOffset: 12 });
    expect(epochEndOffset(cache, 2, 12)).toEqual({ epoch: 2, endOffset: 9 });
    expect(epochEndOffset(cache, 3, 12)).toEqual({ epoch: 2, endOffset: 9 });
    expect(epochEndOffset(cache, 1, 12)).toEqual({ epoch: 0, endOffset: 5 });
    expect(epochEndOffset(cache, 7, 12)).toEqual({ epoch: -1, endOffset: -1 });
  });

  /**
   * Two quick failovers leave replica 2 with a record of epoch 1 that the final leader never had:
   * 1 leads epoch 0 (a committed, then b written alone), 2 leads epoch 1 and writes c alone at offset 1,
   * 1 leads epoch 2 and writes d. Asked for epoch 1, the leader answers epoch 0 ending at 2; 2's own
   * epoch 0 ends at 1, so KIP-279 truncates to 1 and 2 ends with 1's log. Without KIP-279's second
   * look it keeps c at offset 1, where the leader has b.
   */
  function divergence(faults: string[] = []) {
    const p = new Partition([1, 2], faults, { minInsyncReplicas: 1 });
    p.leaderAndIsr(state(1, 0, [1, 2], [1, 2]));
    p.deliver();
    p.produce(1, "a");
    p.deliver();
    p.down.add(2);
    p.produce(1, "b", 1);
    p.down.add(1);
    p.down.delete(2);
    p.leaderAndIsr(state(2, 1, [2], [1, 2]));
    p.produce(2, "c", 1);
    p.down.add(2);
    p.down.delete(1);
    p.leaderAndIsr(state(1, 2, [1], [1, 2]));
    p.produce(1, "d", 1);
    p.down.delete(2);
    p.inbox.length = 0;
    p.get(2).becomeFollower(state(1, 2, [1], [1, 2]), p.now);
    p.deliver();
    return p;
  }

  it("drops the suffix the leader never had, and converges on the leader's log", () => {
    const p = divergence();
    expect(p.values(1)).toEqual(["0:0:a", "1:0:b", "2:2:d"]);
    expect(p.values(2)).toEqual(p.values(1));
  });

  it("with kip-279-divergence seeded, the follower keeps c at an offset where the leader has b", () => {
    const p = divergence(["kip-279-divergence"]);
    expect(p.values(2)[1]).toBe("1:1:c");
    expect(p.values(1)[1]).toBe("1:0:b");
  });

  it("with truncate-to-hw seeded, a restarted replica drops committed records above its HW checkpoint", () => {
    const p = new Partition([1, 2], ["truncate-to-hw"], { minInsyncReplicas: 1 });
    p.leaderAndIsr(state(1, 0, [1, 2], [1, 2]));
    p.deliver();
    p.produce(1, "a");
    p.deliver();
    p.down.add(2);
    p.restart(2, ["truncate-to-hw"]);
    p.get(2).truncateToCheckpointedHighWatermark();
    expect(p.values(2)).toEqual([]);
    expect(p.values(1)).toEqual(["0:0:a"]);
  });
});
