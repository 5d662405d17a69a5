/**
 * StorageReplicaLog keeps ReplicaLog's truncation contract over a log that cuts whole batches: every
 * entry below the truncation offset stays. A follower now keeps its leader's batches, so the offsets it
 * truncates to fall between batches; but a log whose batches differ from its new leader's (written before
 * followers kept their leader's bytes, when a follower wrote each fetched run as one batch) can see its
 * new leader's epoch end fall inside one, and dropping the whole batch would take records the old leader
 * acknowledged with this follower in the ISR (and it stays in the new leader's ISR).
 */
import { describe, expect, it } from "vitest";
import { SeededFaults } from "../../impl/faults/catalog.ts";
import { encodeRuns } from "../../impl/records/reencode.ts";
import type { ReplicationMessage } from "../../impl/replication/messages.ts";
import { PartitionReplica } from "../../impl/replication/replica.ts";
import { StorageReplicaLog } from "../../impl/replication/storage-log.ts";
import { DEFAULT_LOG_CONFIG } from "../../impl/storage/config.ts";
import { PartitionLog } from "../../impl/storage/partition-log.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";
import { CONFIG } from "./harness.ts";

function openLog(fs = new SimFileSystem()): { fs: SimFileSystem; log: StorageReplicaLog } {
  fs.mkdir("/logs");
  const plog = PartitionLog.open(fs, "/logs/t-0", DEFAULT_LOG_CONFIG, { nowMs: 0 });
  return { fs, log: new StorageReplicaLog(plog, fs, () => 0) };
}

/** What a leader would send: one batch of offsets [from, to) in `epoch`. */
const batch = (from: number, to: number, epoch: number): Buffer =>
  Buffer.concat(
    encodeRuns(
      Array.from({ length: to - from }, (_, i) => ({
        offset: from + i,
        leaderEpoch: epoch,
        key: null,
        value: Buffer.from(`v${from + i}`),
        timestamp: 0,
      })),
    ),
  );

const values = (log: StorageReplicaLog) => log.read(0, 1_000).map((e) => `${e.epoch}:${e.value}`);

describe("StorageReplicaLog.truncateTo", () => {
  it("keeps the entries below the offset of a follower run it cuts, with their epochs", () => {
    const { log } = openLog();
    log.appendAsFollower(Buffer.concat([batch(0, 4, 0), batch(4, 10, 1)]));
    log.truncateTo(6);
    expect(log.logEndOffset).toBe(6);
    expect(values(log)).toEqual(["0:v0", "0:v1", "0:v2", "0:v3", "1:v4", "1:v5"]);
    expect(log.epochEntries()).toEqual([
      [0, 0],
      [1, 4],
    ]);
    // Appends continue at the new end, and a reopened log (a restart) reads the same.
    log.appendAsFollower(batch(6, 7, 2));
    expect(log.logEndOffset).toBe(7);
  });

  it("keeps them through a restart, and cuts a leader's own batch exactly too", () => {
    const { fs, log } = openLog();
    log.appendAsLeader(
      Array.from({ length: 8 }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })),
      3,
      0,
    );
    log.truncateTo(5);
    log.flush();
    expect(log.logEndOffset).toBe(5);
    const reopened = new StorageReplicaLog(
      PartitionLog.open(fs, "/logs/t-0", DEFAULT_LOG_CONFIG, { nowMs: 0 }),
      fs,
      () => 0,
    );
    expect(values(reopened)).toEqual(["3:v0", "3:v1", "3:v2", "3:v3", "3:v4"]);
  });

  it("a follower in the ISR keeps what the old leader acknowledged when it truncates to the new leader's epoch end", () => {
    // Broker 3 fetched offsets 0..9 of epoch 0 in one response (one run); broker 2 only 0..5. The old
    // leader's HW was 6 (the ISR minimum), so offsets 0..5 are acknowledged. Broker 2 leads epoch 1
    // with ISR {2, 3}; broker 3 asks where epoch 0 ends there (6) and truncates to it.
    const { log } = openLog();
    log.appendAsFollower(batch(0, 10, 0));
    const sent: ReplicationMessage[] = [];
    const follower = new PartitionReplica("t", 0, log, CONFIG, {
      brokerId: 3,
      faults: new SeededFaults([]),
      send: (_to, m) => sent.push(m),
      produceCompleted: () => {},
      alterIsr: () => {},
      setTimer: () => {},
      nextRequestId: (() => {
        let n = 1;
        return () => n++;
      })(),
      highWatermarkAdvanced: () => {},
    });
    follower.becomeFollower(
      { leader: 2, leaderEpoch: 1, isr: [2, 3], replicas: [1, 2, 3], partitionEpoch: 1 },
      0,
    );
    const query = sent.find((m) => m.type === "offsetsForLeaderEpoch");
    expect(query).toBeDefined();
    follower.onOffsetsForLeaderEpochResponse(
      {
        type: "offsetsForLeaderEpochResponse",
        requestId: query!.requestId,
        topic: "t",
        partition: 0,
        error: null,
        leaderEpoch: 0,
        endOffset: 6,
      },
      0,
    );
    expect(follower.logEndOffset).toBe(6);
    const fetch = sent.find((m) => m.type === "replicaFetch");
    expect(fetch?.type === "replicaFetch" ? fetch.fetchOffset : -1).toBe(6);
  });
});
