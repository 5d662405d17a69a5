/**
 * A follower keeps its leader's batches byte for byte (Kafka's Log.appendAsFollower): what a fetch answer
 * may hold (corrupt, cut, overlapping, gapped batches) and what the follower then writes; the segments of
 * a leader and its follower are the same bytes; a corrupt answer writes nothing and is fetched again
 * after the backoff.
 */
import { describe, expect, it } from "vitest";
import { SeededFaults } from "../../impl/faults/catalog.ts";
import { compressionOf, encodeBatch, iterateRecords, readBatchHeader } from "../../impl/records/batch.ts";
import type { RecordInput } from "../../impl/records/types.ts";
import type { ReplicationMessage } from "../../impl/replication/messages.ts";
import { PartitionReplica } from "../../impl/replication/replica.ts";
import { MemoryReplicaLog, planFollowerAppend } from "../../impl/replication/replica-log.ts";
import { StorageReplicaLog } from "../../impl/replication/storage-log.ts";
import { DEFAULT_LOG_CONFIG } from "../../impl/storage/config.ts";
import { readWholeFile } from "../../impl/storage/fs.ts";
import { PartitionLog } from "../../impl/storage/partition-log.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";
import { CONFIG, Partition } from "./harness.ts";

const recs = (prefix: string, n: number): RecordInput[] =>
  Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${prefix}${i}`), timestamp: 500 + i }));

/** A batch as a leader stores it: offsets and leader epoch set. */
const stored = (base: number, n: number, epoch: number, compression: "none" | "gzip" | "lz4" = "none") =>
  encodeBatch(recs(`o${base}-`, n), { baseOffset: base, partitionLeaderEpoch: epoch, compression });

describe("planFollowerAppend", () => {
  it("appends whole valid batches that continue the log as they are", () => {
    const buf = Buffer.concat([stored(10, 3, 1), stored(13, 2, 2)]);
    const plan = planFollowerAppend(buf, 10);
    expect(plan.ok && plan.chunks.length === 1 && plan.chunks[0].equals(buf)).toBe(true);
    expect(plan).toMatchObject({ ok: true, firstOffset: 10, lastOffset: 14, records: 5 });
  });

  it("refuses a batch failing its CRC and a gap; leaves a cut tail for the next fetch", () => {
    const good = stored(0, 3, 0);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0xff;
    expect(planFollowerAppend(bad, 0)).toMatchObject({ ok: false });
    expect(planFollowerAppend(stored(5, 1, 0), 4)).toMatchObject({ ok: false });
    const cut = Buffer.concat([good, stored(3, 4, 0).subarray(0, 40)]);
    const plan = planFollowerAppend(cut, 0);
    expect(plan).toMatchObject({ ok: true, lastOffset: 2, records: 3 });
    expect(plan.ok && Buffer.concat(plan.chunks).equals(good)).toBe(true);
  });

  it("skips batches below the log end and cuts one straddling it to its records from the log end", () => {
    const buf = Buffer.concat([stored(0, 2, 0), stored(2, 4, 1, "gzip"), stored(6, 1, 1)]);
    const plan = planFollowerAppend(buf, 4);
    expect(plan).toMatchObject({ ok: true, firstOffset: 4, lastOffset: 6, records: 3 });
    if (!plan.ok) return;
    const head = readBatchHeader(plan.chunks[0]);
    expect([head.baseOffset, head.recordCount, head.partitionLeaderEpoch]).toEqual([4, 2, 1]);
    expect(compressionOf(head.attributes)).toBe("gzip");
    expect(plan.chunks[1].equals(stored(6, 1, 1))).toBe(true);
  });
});

function storageLog(fs: SimFileSystem, dir: string): StorageReplicaLog {
  fs.mkdir("/logs");
  return new StorageReplicaLog(PartitionLog.open(fs, dir, DEFAULT_LOG_CONFIG, { nowMs: 0 }), fs, () => 0, {
    decodedCache: true,
  });
}

describe("StorageReplicaLog as leader and follower", () => {
  it("the follower's segment is the leader's, byte for byte, producer batches included", () => {
    const lfs = new SimFileSystem();
    const ffs = new SimFileSystem();
    const leader = storageLog(lfs, "/logs/t-0");
    const follower = storageLog(ffs, "/logs/t-0");
    // Producer batches: lz4 from an idempotent producer, gzip, and a plain one; appended in two epochs.
    const produced = [
      encodeBatch(recs("a", 5), { compression: "lz4", producerId: 9, producerEpoch: 0, baseSequence: 0 }),
      encodeBatch(recs("b", 3), { compression: "gzip", producerId: 9, producerEpoch: 0, baseSequence: 5 }),
      encodeBatch(recs("c", 2)),
    ];
    // The records the produce handler decodes from those very batches.
    const asRecords = (b: Buffer) =>
      [...iterateRecords(b)].map((r) => ({ key: r.key, value: r.value, timestamp: r.timestamp }));
    leader.appendAsLeader(asRecords(produced[0]), 1, 0, produced[0]);
    leader.appendAsLeader(asRecords(produced[1]), 1, 0, produced[1]);
    leader.appendAsLeader(asRecords(produced[2]), 2, 0, produced[2]);
    // Fetches of at most 6 records: the first answer is one whole batch of 5, never a part of one.
    const first = leader.readBatches(0, 6, 1 << 20);
    expect(readBatchHeader(first).recordCount).toBe(5);
    expect(follower.appendAsFollower(first)).toEqual({ ok: true, firstOffset: 0, lastOffset: 4 });
    while (follower.logEndOffset < leader.logEndOffset) {
      const r = follower.appendAsFollower(leader.readBatches(follower.logEndOffset, 6, 1 << 20));
      expect(r.ok).toBe(true);
    }
    const segment = "/logs/t-0/00000000000000000000.log";
    expect(readWholeFile(ffs, segment).equals(readWholeFile(lfs, segment))).toBe(true);
    const h = readBatchHeader(readWholeFile(ffs, segment));
    expect([compressionOf(h.attributes), h.producerId, h.partitionLeaderEpoch]).toEqual(["lz4", 9, 1]);
    expect(follower.epochEntries()).toEqual(leader.epochEntries());
    expect(follower.epochEntries()).toEqual([
      [1, 0],
      [2, 8],
    ]);
    expect(follower.read(0, 100).map((e) => e.value?.toString())).toEqual(
      leader.read(0, 100).map((e) => e.value?.toString()),
    );
    // maxBytes bounds an answer too, but never below one whole batch.
    expect(leader.readBatches(0, 100, 1).equals(first)).toBe(true);
  });

  it("a corrupt answer writes nothing", () => {
    const log = storageLog(new SimFileSystem(), "/logs/t-0");
    const bad = Buffer.from(stored(0, 2, 0));
    bad[bad.length - 2] ^= 1;
    expect(log.appendAsFollower(bad).ok).toBe(false);
    expect(log.logEndOffset).toBe(0);
    expect(log.read(0, 10)).toEqual([]);
  });
});

describe("the replication core with verbatim batches", () => {
  it("followers of the in-memory log hold the leader's batch bytes after replication", () => {
    const p = new Partition([1, 2, 3]);
    p.leaderAndIsr({ leader: 1, leaderEpoch: 1, isr: [1, 2, 3], replicas: [1, 2, 3], partitionEpoch: 0 });
    p.deliver();
    for (const v of ["a", "b", "c"]) p.produce(1, v);
    p.deliver();
    const bytes = (id: number) => p.logs.get(id)!.readBatches(0, 1_000, 1 << 20);
    expect(bytes(1).length).toBeGreaterThan(0);
    expect(bytes(2).equals(bytes(1))).toBe(true);
    expect(bytes(3).equals(bytes(1))).toBe(true);
    expect(p.values(3)).toEqual(["0:1:a", "1:1:b", "2:1:c"]);
  });

  it("a corrupt fetch answer is fetched again after the backoff, not at once", () => {
    const sent: ReplicationMessage[] = [];
    const timers: number[] = [];
    let id = 1;
    const log = new MemoryReplicaLog();
    const f = new PartitionReplica("t", 0, log, CONFIG, {
      brokerId: 2,
      faults: new SeededFaults([]),
      send: (_to, m) => sent.push(m),
      produceCompleted: () => {},
      alterIsr: () => {},
      setTimer: (at) => timers.push(at),
      nextRequestId: () => id++,
      highWatermarkAdvanced: () => {},
    });
    f.becomeFollower({ leader: 1, leaderEpoch: 0, isr: [1, 2], replicas: [1, 2], partitionEpoch: 0 }, 0);
    const fetch = sent.at(-1)!;
    expect(fetch.type).toBe("replicaFetch");
    const bad = Buffer.from(stored(0, 2, 0));
    bad[bad.length - 1] ^= 1;
    f.onFetchResponse(
      {
        type: "replicaFetchResponse",
        requestId: fetch.requestId,
        topic: "t",
        partition: 0,
        error: null,
        highWatermark: 2,
        logStartOffset: 0,
        leaderLogEndOffset: 2,
        records: bad,
      },
      10,
    );
    expect(log.logEndOffset).toBe(0);
    expect(sent.filter((m) => m.type === "replicaFetch")).toHaveLength(1);
    expect(Math.max(...timers)).toBe(10 + CONFIG.replicaRetryMs);
    f.onTimer(10 + CONFIG.replicaRetryMs);
    expect(sent.filter((m) => m.type === "replicaFetch")).toHaveLength(2);
  });

  it("a follower whose log ends below the leader's log start starts again at it (OFFSET_OUT_OF_RANGE)", () => {
    const inbox: Array<{ to: number; m: ReplicationMessage }> = [];
    let id = 1;
    const host = (brokerId: number) => ({
      brokerId,
      faults: new SeededFaults([]),
      send: (to: number, m: ReplicationMessage) => inbox.push({ to, m }),
      produceCompleted: () => {},
      alterIsr: () => {},
      setTimer: () => {},
      nextRequestId: () => id++,
      highWatermarkAdvanced: () => {},
    });
    const leaderLog = storageLog(new SimFileSystem(), "/logs/t-0");
    const followerLog = storageLog(new SimFileSystem(), "/logs/t-0");
    const leader = new PartitionReplica("t", 0, leaderLog, CONFIG, host(1));
    const follower = new PartitionReplica("t", 0, followerLog, CONFIG, host(2));
    const state = { leader: 1, leaderEpoch: 1, isr: [1], replicas: [1, 2], partitionEpoch: 0 };
    leader.becomeLeader(state, 0);
    const value = (i: number) => ({ key: null, value: Buffer.from(`v${i}`) });
    leader.appendAsLeader([0, 1, 2, 3, 4].map(value), 1, 1_000, 1, 0);
    leader.appendAsLeader([5, 6, 7, 8, 9].map(value), 1, 1_000, 2, 0);
    // Retention (or DeleteRecords) moved the leader's log start into its second batch.
    leaderLog.log.deleteRecordsBefore(7);
    expect(leaderLog.logStartOffset).toBe(7);
    follower.becomeFollower(state, 0);
    const errors: Array<string | null> = [];
    for (let steps = 0; inbox.length > 0 && steps < 20; steps++) {
      const { to, m } = inbox.shift()!;
      if (to === 1 && m.type === "replicaFetch") {
        const r = leader.handleFetch(2, m, 0);
        if (r !== null) inbox.push({ to: 2, m: r });
      } else if (to === 2 && m.type === "replicaFetchResponse") {
        errors.push(m.error);
        follower.onFetchResponse(m, 0);
      }
    }
    expect(errors.slice(0, 2)).toEqual(["OFFSET_OUT_OF_RANGE", null]);
    expect([followerLog.logStartOffset, followerLog.logEndOffset]).toEqual([7, 10]);
    expect(followerLog.read(0, 100).map((e) => e.value?.toString())).toEqual(["v7", "v8", "v9"]);
    expect(follower.highWatermark).toBeGreaterThanOrEqual(7);
  });
});
