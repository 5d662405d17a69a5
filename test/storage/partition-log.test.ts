import { describe, expect, it } from "vitest";
import { decodeRecords, readBatchHeader } from "../../impl/records/batch.ts";
import { encodeLegacyMessageSet } from "../../impl/records/legacy.ts";
import { StorageError } from "../../impl/storage/errors.ts";
import { readWholeFile } from "../../impl/storage/fs.ts";
import { PartitionLog, partitionDirName } from "../../impl/storage/partition-log.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";
import { batchOf, config } from "./helpers.ts";

const DIR = "/data/orders-0";

function freshLog(overrides = {}) {
  const fs = new SimFileSystem();
  const log = PartitionLog.open(fs, DIR, config(overrides));
  return { fs, log };
}

function values(log: PartitionLog, from = log.logStartOffset, max = 1_000_000): string[] {
  return log.readRecords(from, max).map((r) => r.value!.toString());
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof StorageError) return e.error;
    throw e;
  }
  return "NONE";
}

describe("PartitionLog appends and reads", () => {
  it("assigns offsets in place from the log end and stamps the leader epoch", () => {
    const { log } = freshLog();
    const b = batchOf(["a", "b", "c"]);
    expect(log.appendAsLeader(b, 5, 10)).toEqual({
      baseOffset: 0,
      lastOffset: 2,
      logAppendTime: -1,
      recordCount: 3,
    });
    expect(readBatchHeader(b)).toMatchObject({ baseOffset: 0, partitionLeaderEpoch: 5 });
    expect(log.appendAsLeader(batchOf(["d"]), 5, 10).baseOffset).toBe(3);
    expect(log.logEndOffset).toBe(4);
    expect(log.readRecords(0, 10).map((r) => [r.offset, r.value!.toString(), r.leaderEpoch])).toEqual([
      [0, "a", 5],
      [1, "b", 5],
      [2, "c", 5],
      [3, "d", 5],
    ]);
    expect(log.epochCache.entries()).toEqual([{ epoch: 5, startOffset: 0 }]);
    expect(partitionDirName("orders", 0)).toBe("orders-0");
  });

  it("appends several batches in one call and stores them byte for byte as received", () => {
    const { fs, log } = freshLog();
    const two = Buffer.concat([batchOf(["a", "b"], 1, "gzip"), batchOf(["c"], 1, "lz4")]);
    expect(log.appendAsLeader(two, 0, 0)).toMatchObject({ baseOffset: 0, lastOffset: 2, recordCount: 3 });
    log.flush();
    expect(readWholeFile(fs, `${DIR}/00000000000000000000.log`).equals(two)).toBe(true);
    expect(values(log)).toEqual(["a", "b", "c"]);
  });

  it("reads whole batches from the one holding the offset, within maxBytes and below maxOffset", () => {
    const { log } = freshLog();
    for (let i = 0; i < 10; i++) log.appendAsLeader(batchOf([`${i}a`, `${i}b`]), 0, 0);
    const one = log.read(0, 1).length; // one batch at least, even past maxBytes
    expect(decodeRecords(log.read(0, 1)).map((r) => r.offset)).toEqual([0, 1]);
    expect(decodeRecords(log.read(5, 1)).map((r) => r.offset)).toEqual([4, 5]);
    const three = log.read(5, one * 3 + 1);
    expect(three.length).toBe(one * 3);
    expect(log.read(4, 1 << 20, 9).length).toBe(one * 2); // batches 4-5 and 6-7; 8-9 reaches the high watermark
    expect(log.read(8, 1 << 20, 9).length).toBe(0);
    expect(log.read(0, one - 1, undefined, false).length).toBe(0); // KIP-74: not the first partition
    expect(log.read(0, one, undefined, false).length).toBe(one);
    expect(log.read(20, 100).length).toBe(0);
    expect(errorOf(() => log.read(21, 100))).toBe("OFFSET_OUT_OF_RANGE");
    expect(errorOf(() => log.read(-1, 100))).toBe("OFFSET_OUT_OF_RANGE");
  });

  it("rejects invalid produce data without writing anything", () => {
    const { log } = freshLog({ "max.message.bytes": 200 });
    log.appendAsLeader(batchOf(["ok"]), 0, 0);
    const corrupt = batchOf(["x"]);
    corrupt[corrupt.length - 1] ^= 1;
    expect(errorOf(() => log.appendAsLeader(Buffer.concat([batchOf(["fine"]), corrupt]), 0, 0))).toBe(
      "CORRUPT_MESSAGE",
    );
    expect(errorOf(() => log.appendAsLeader(batchOf(["x".repeat(300)]), 0, 0))).toBe("MESSAGE_TOO_LARGE");
    expect(errorOf(() => log.appendAsLeader(batchOf(["cut"]).subarray(0, 40), 0, 0))).toBe("CORRUPT_MESSAGE");
    expect(log.logEndOffset).toBe(1);
    expect(values(log)).toEqual(["ok"]);
  });

  it("refuses a leader append in an epoch older than one already in the log", () => {
    const { log } = freshLog();
    log.appendAsLeader(batchOf(["a"]), 3, 0);
    expect(errorOf(() => log.appendAsLeader(batchOf(["b"]), 2, 0))).toBe("FENCED_LEADER_EPOCH");
  });

  it("stamps LogAppendTime when the topic asks for it", () => {
    const { log } = freshLog({ "message.timestamp.type": "LogAppendTime" });
    expect(log.appendAsLeader(batchOf(["a", "b"], 5), 0, 4242).logAppendTime).toBe(4242);
    expect(log.readRecords(0, 2).map((r) => r.timestamp)).toEqual([4242, 4242]);
  });

  it("converts an old client's magic 0/1 message set to a v2 batch", () => {
    const { log } = freshLog();
    log.appendAsLeader(batchOf(["new"]), 1, 0);
    const legacy = encodeLegacyMessageSet(
      [
        { key: null, value: Buffer.from("old1"), timestamp: 7 },
        { key: Buffer.from("k"), value: Buffer.from("old2"), timestamp: 8 },
      ],
      1,
    );
    expect(log.appendAsLeader(legacy, 1, 0)).toMatchObject({ baseOffset: 1, lastOffset: 2 });
    expect(values(log)).toEqual(["new", "old1", "old2"]);
  });

  it("appends a follower's batches as they are, only if they continue the log", () => {
    const leader = freshLog().log;
    const follower = PartitionLog.open(new SimFileSystem(), DIR, config());
    leader.appendAsLeader(batchOf(["a", "b"]), 1, 0);
    leader.appendAsLeader(batchOf(["c"]), 2, 0);
    const fetched = leader.read(0, 1 << 20);
    // a fetch response may end in a cut batch: it is ignored
    expect(follower.appendAsFollower(Buffer.concat([fetched, batchOf(["partial"]).subarray(0, 30)]))).toEqual(
      {
        firstOffset: 0,
        lastOffset: 2,
      },
    );
    expect(follower.read(0, 1 << 20).equals(fetched)).toBe(true);
    expect(follower.epochCache.entries()).toEqual(leader.epochCache.entries());
    expect(errorOf(() => follower.appendAsFollower(fetched))).toBe("UNKNOWN_SERVER_ERROR");
    expect(follower.logEndOffset).toBe(3);
  });
});

describe("PartitionLog segments and indexes", () => {
  it("rolls by segment.bytes and reads across segments", () => {
    const { fs, log } = freshLog({ "segment.bytes": 300 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(batchOf([`v${i}`]), 0, 0);
    const bases = log.segmentBaseOffsets();
    expect(bases.length).toBeGreaterThan(3);
    expect(bases[0]).toBe(0);
    expect(fs.list(DIR)).toContain(`${String(bases[1]).padStart(20, "0")}.log`);
    expect(fs.list(DIR)).toContain(`${String(bases[1]).padStart(20, "0")}.timeindex`);
    expect(values(log)).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`));
    for (let o = 0; o < 20; o++) expect(decodeRecords(log.read(o, 1))[0].offset).toBe(o);
    // a rolled segment was flushed when it rolled: only the active one holds unflushed bytes
    const rolled = `${DIR}/${String(bases[0]).padStart(20, "0")}.log`;
    expect(fs.unflushedBytes(rolled)).toBe(0);
  });

  it("rolls by segment.ms, measured from the first batch's timestamp", () => {
    const { log } = freshLog({ "segment.ms": 1000 });
    log.appendAsLeader(batchOf(["a"], 10_000), 0, 10_000);
    log.appendAsLeader(batchOf(["b"], 10_500), 0, 10_900);
    expect(log.segmentBaseOffsets()).toEqual([0]);
    log.appendAsLeader(batchOf(["c"], 11_100), 0, 11_100);
    expect(log.segmentBaseOffsets()).toEqual([0, 2]);
  });

  it("rolls when the offset index is full", () => {
    const { log } = freshLog({ "index.interval.bytes": 0, "segment.index.bytes": 8 * 3 });
    for (let i = 0; i < 12; i++) log.appendAsLeader(batchOf([`v${i}`]), 0, 0);
    expect(log.segmentBaseOffsets()).toEqual([0, 4, 8]);
  });

  it("keeps a sparse index that finds every offset, and writes Kafka's 8- and 12-byte entries", () => {
    const { fs, log } = freshLog({ "index.interval.bytes": 200 });
    for (let i = 0; i < 40; i++) log.appendAsLeader(batchOf([`v${i}`, `w${i}`], 1000 + i), 0, 0);
    // Written at flush, in one go (the file itself is created then: a segment's indexes are created lazily).
    expect(fs.exists(`${DIR}/00000000000000000000.index`)).toBe(false);
    log.flush();
    const index = readWholeFile(fs, `${DIR}/00000000000000000000.index`);
    const timeIndex = readWholeFile(fs, `${DIR}/00000000000000000000.timeindex`);
    expect(index.length % 8).toBe(0);
    expect(index.length / 8).toBeGreaterThan(5);
    expect(index.length / 8).toBeLessThan(40);
    expect(timeIndex.length % 12).toBe(0);
    for (let e = 0; e < index.length; e += 8) {
      const rel = index.readInt32BE(e);
      const pos = index.readInt32BE(e + 4);
      const log0 = readWholeFile(fs, `${DIR}/00000000000000000000.log`);
      const h = readBatchHeader(log0, pos);
      expect(h.baseOffset <= rel && rel <= h.baseOffset + h.lastOffsetDelta).toBe(true);
    }
    for (let o = 0; o < 80; o++) expect(decodeRecords(log.read(o, 1)).some((r) => r.offset === o)).toBe(true);
  });

  it("finds the first record at or after a timestamp (ListOffsets by time)", () => {
    const { log } = freshLog({ "segment.bytes": 400, "index.interval.bytes": 100 });
    for (let i = 0; i < 30; i++) log.appendAsLeader(batchOf([`v${i}`], 1000 + 10 * i), 0, 0);
    expect(log.offsetForTimestamp(0)).toMatchObject({ offset: 0, timestamp: 1000 });
    expect(log.offsetForTimestamp(1055)).toMatchObject({ offset: 6, timestamp: 1060 });
    expect(log.offsetForTimestamp(1290)).toMatchObject({ offset: 29, timestamp: 1290 });
    expect(log.offsetForTimestamp(1291)).toBeNull();
  });
});

describe("PartitionLog truncation, retention, DeleteRecords", () => {
  it("truncateTo drops whole batches at and after the offset, across segments, and the epochs with them", () => {
    const { log } = freshLog({ "segment.bytes": 300 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(batchOf([`v${i}`, `w${i}`]), i < 10 ? 1 : 2, 0);
    log.truncateTo(15); // inside batch 14-15: that batch goes whole
    expect(log.logEndOffset).toBe(14);
    expect(log.epochCache.entries()).toEqual([{ epoch: 1, startOffset: 0 }]);
    expect(log.segmentBaseOffsets().at(-1)!).toBeLessThanOrEqual(14);
    log.appendAsLeader(batchOf(["next"]), 3, 0);
    expect(log.readRecords(14, 1)[0]).toMatchObject({ offset: 14, leaderEpoch: 3 });
    log.truncateTo(100); // past the end: nothing
    expect(log.logEndOffset).toBe(15);
  });

  it("deletes segments past retention.ms by their largest timestamp, never beyond the high watermark", () => {
    const { log } = freshLog({ "segment.bytes": 300, "retention.ms": 1000 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(batchOf([`v${i}`], 100 * i), 0, 100 * i);
    const before = log.segmentBaseOffsets();
    expect(log.enforceRetention(1500, 0)).toBe(0); // high watermark 0: nothing is deletable
    const deleted = log.enforceRetention(1500);
    expect(deleted).toBeGreaterThan(0);
    expect(log.segmentBaseOffsets()).toEqual(before.slice(deleted));
    expect(log.logStartOffset).toBe(before[deleted]);
    expect(values(log, log.logStartOffset)[0]).toBe(`v${before[deleted]}`);
    expect(errorOf(() => log.read(0, 10))).toBe("OFFSET_OUT_OF_RANGE");
    // everything expired: the active segment goes too, after a roll, and the log end stays
    expect(log.enforceRetention(100_000)).toBeGreaterThan(0);
    expect(log.logStartOffset).toBe(20);
    expect(log.logEndOffset).toBe(20);
    expect(log.appendAsLeader(batchOf(["after"]), 0, 100_000).baseOffset).toBe(20);
  });

  it("deletes oldest segments while the rest still holds retention.bytes (Kafka's rule)", () => {
    const { log } = freshLog({ "segment.bytes": 300, "retention.bytes": 700 });
    for (let i = 0; i < 40; i++) log.appendAsLeader(batchOf([`v${i}`]), 0, 0);
    const size = log.size;
    expect(log.enforceRetention(0)).toBeGreaterThan(0);
    expect(log.size).toBeLessThan(size);
    expect(log.size).toBeGreaterThanOrEqual(700);
    expect(log.size).toBeLessThan(700 + 300); // one more segment gone would drop below the limit
    expect(values(log).at(-1)).toBe("v39");
  });

  it("DeleteRecords moves the log start, drops wholly deleted segments and survives reopening", () => {
    const { fs, log } = freshLog({ "segment.bytes": 300 });
    for (let i = 0; i < 20; i++) log.appendAsLeader(batchOf([`v${i}`]), i, 0);
    expect(log.deleteRecordsBefore(9)).toBe(9);
    expect(log.segmentBaseOffsets()[0]).toBeLessThanOrEqual(9);
    expect(log.segmentBaseOffsets()[1]).toBeGreaterThan(9);
    expect(values(log)[0]).toBe("v9");
    expect(log.epochCache.earliestEntry).toEqual({ epoch: 9, startOffset: 9 });
    log.close();
    const again = PartitionLog.open(fs, DIR, config({ "segment.bytes": 300 }));
    expect(again.logStartOffset).toBe(9);
    expect(errorOf(() => again.read(8, 10))).toBe("OFFSET_OUT_OF_RANGE");
  });
});

describe("PartitionLog edges", () => {
  it("readRecords stops below maxOffset and skips records before the log start", () => {
    const { log } = freshLog();
    for (let i = 0; i < 5; i++) log.appendAsLeader(batchOf([`a${i}`, `b${i}`]), 0, 0);
    expect(log.readRecords(0, 100, 6).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(log.readRecords(3, 2).map((r) => r.offset)).toEqual([3, 4]);
    log.deleteRecordsBefore(5); // inside batch 4-5
    expect(log.readRecords(0, 100)[0].offset).toBe(5);
    expect(log.offsetForTimestamp(0)).toMatchObject({ offset: 5 });
  });

  it("truncateFullyAndStartAt empties the log and restarts offsets and epochs there", () => {
    const { fs, log } = freshLog({ "segment.bytes": 300 });
    for (let i = 0; i < 12; i++) log.appendAsLeader(batchOf([`v${i}`]), 1, 0);
    log.truncateFullyAndStartAt(500);
    expect([log.logStartOffset, log.logEndOffset, log.segmentBaseOffsets()]).toEqual([500, 500, [500]]);
    expect(log.epochCache.entries()).toEqual([]);
    expect(fs.list(DIR).filter((n) => n.endsWith(".log"))).toEqual(["00000000000000000500.log"]);
    expect(log.appendAsLeader(batchOf(["x"]), 2, 0).baseOffset).toBe(500);
    fs.crash();
    const again = PartitionLog.open(fs, DIR, config({ "segment.bytes": 300 }));
    expect([again.logStartOffset, again.logEndOffset]).toEqual([500, 500]); // the append was never flushed
  });

  it("a clean shutdown keeps everything across a crash", () => {
    const { fs, log } = freshLog();
    log.appendAsLeader(batchOf(["a", "b"]), 0, 0);
    log.shutdown();
    fs.crash();
    expect(values(PartitionLog.open(fs, DIR, config()))).toEqual(["a", "b"]);
  });
});

describe("PartitionLog flush policy", () => {
  it("flush.messages=N fsyncs after every N messages", () => {
    const { fs, log } = freshLog({ "flush.messages": 3 });
    const file = `${DIR}/00000000000000000000.log`;
    log.appendAsLeader(batchOf(["a"]), 0, 0);
    log.appendAsLeader(batchOf(["b"]), 0, 0);
    expect(fs.unflushedBytes(file)).toBeGreaterThan(0);
    expect(log.unflushedMessageCount).toBe(2);
    log.appendAsLeader(batchOf(["c"]), 0, 0);
    expect(fs.unflushedBytes(file)).toBe(0);
    expect(log.unflushedMessageCount).toBe(0);
  });

  it("flush.ms flushes on the scheduler tick once enough time passed; defaults never flush", () => {
    const { fs, log } = freshLog({ "flush.ms": 1000 });
    const file = `${DIR}/00000000000000000000.log`;
    log.appendAsLeader(batchOf(["a"]), 0, 100);
    log.maybeFlush(999);
    expect(fs.unflushedBytes(file)).toBeGreaterThan(0);
    log.maybeFlush(1000);
    expect(fs.unflushedBytes(file)).toBe(0);
    const d = freshLog();
    d.log.appendAsLeader(batchOf(["a"]), 0, 0);
    d.log.maybeFlush(1e12);
    expect(d.fs.unflushedBytes(`${DIR}/00000000000000000000.log`)).toBeGreaterThan(0);
  });
});
