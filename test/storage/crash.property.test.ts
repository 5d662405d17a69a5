import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeBatch, validPrefix } from "../../impl/records/batch.ts";
import type { CompressionType } from "../../impl/records/types.ts";
import { PartitionLog } from "../../impl/storage/partition-log.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";
import { batchOf, config, mulberry32 } from "./helpers.ts";

/**
 * Random leader and follower appends, flushes, truncations, retention, DeleteRecords, crashes (with
 * torn tails) and reopens on the simulated disk, checked against a plain model after every step: a flushed record is never lost, a
 * surviving record is never changed or moved, every read returns whole valid batches, and the leader
 * epoch cache agrees with the epochs stamped in the batches.
 */
type Op =
  | { kind: "append"; values: number; compression: CompressionType; bumpEpoch: boolean }
  | { kind: "follow"; values: number; bumpEpoch: boolean }
  | { kind: "retention" }
  | { kind: "flush" }
  | { kind: "truncate"; back: number }
  | { kind: "deleteRecords"; upTo: number }
  | { kind: "crash"; tornSeed: number | null }
  | { kind: "reopen" }
  | { kind: "shutdown" }
  | { kind: "read"; from: number; maxBytes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constant("append" as const),
      values: fc.integer({ min: 1, max: 4 }),
      compression: fc.constantFrom<CompressionType>("none", "gzip", "snappy", "lz4"),
      bumpEpoch: fc.boolean(),
    }),
    weight: 8,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("follow" as const),
      values: fc.integer({ min: 1, max: 4 }),
      bumpEpoch: fc.boolean(),
    }),
    weight: 3,
  },
  { arbitrary: fc.constant({ kind: "retention" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "flush" as const }), weight: 2 },
  {
    arbitrary: fc.record({ kind: fc.constant("truncate" as const), back: fc.integer({ min: 0, max: 6 }) }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constant("deleteRecords" as const), upTo: fc.nat(40) }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("crash" as const),
      tornSeed: fc.option(fc.nat(), { nil: null }),
    }),
    weight: 2,
  },
  { arbitrary: fc.constant({ kind: "reopen" as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: "shutdown" as const }), weight: 1 },
  {
    arbitrary: fc.record({
      kind: fc.constant("read" as const),
      from: fc.nat(60),
      maxBytes: fc.integer({ min: 1, max: 600 }),
    }),
    weight: 2,
  },
);

interface ModelRecord {
  value: string;
  epoch: number;
}

function runScenario(ops: Op[], segmentBytes: number, flushMessages: number, retentionBytes: number): void {
  const fs = new SimFileSystem();
  const cfg = config({
    "segment.bytes": segmentBytes,
    "flush.messages": flushMessages,
    "index.interval.bytes": 100,
    "retention.bytes": retentionBytes,
  });
  const dir = "/data/p-0";
  let log = PartitionLog.open(fs, dir, cfg);
  // Model: records by offset (holes below logStart are never read), the durable end, the log start.
  let records: ModelRecord[] = [];
  let durableEnd = 0;
  let logStart = 0;
  let epoch = 0;
  let counter = 0;

  const checkAgainstModel = (where: string) => {
    expect(log.logEndOffset, where).toBe(records.length);
    expect(log.logStartOffset, where).toBe(logStart);
    const got = log.readRecords(logStart, 1_000_000);
    expect(
      got.map((r) => [r.offset, r.value!.toString(), r.leaderEpoch]),
      where,
    ).toEqual(records.slice(logStart).map((r, i) => [logStart + i, r.value, r.epoch]));
    for (const r of got) expect(log.epochCache.epochForOffset(r.offset), where).toBe(r.leaderEpoch);
  };

  const recover = (where: string) => {
    log = PartitionLog.open(fs, dir, cfg);
    const end = log.logEndOffset;
    // Nothing flushed is lost; nothing that was never written appears.
    expect(end, where).toBeGreaterThanOrEqual(Math.max(durableEnd, logStart));
    expect(end, where).toBeLessThanOrEqual(Math.max(records.length, logStart));
    records = records.slice(0, end);
    while (records.length < end) records.push({ value: "<deleted>", epoch: -1 }); // below logStart only
    durableEnd = end;
    checkAgainstModel(where);
  };

  ops.forEach((o, step) => {
    const where = `step ${step}: ${JSON.stringify(o)}`;
    switch (o.kind) {
      case "append": {
        if (o.bumpEpoch) epoch++;
        const values = Array.from({ length: o.values }, () => `v${counter++}`);
        const r = log.appendAsLeader(batchOf(values, 1000 + counter, o.compression), epoch, step);
        expect(r.baseOffset, where).toBe(records.length);
        for (const value of values) records.push({ value, epoch });
        if (log.unflushedMessageCount === 0) durableEnd = records.length;
        break;
      }
      case "follow": {
        // A follower's append: the leader already set offsets and its epoch in the batch.
        if (o.bumpEpoch) epoch++;
        const values = Array.from({ length: o.values }, () => `f${counter++}`);
        const batch = encodeBatch(
          values.map((v) => ({ value: Buffer.from(v), timestamp: 1000 + counter })),
          { baseOffset: records.length, partitionLeaderEpoch: epoch },
        );
        expect(log.appendAsFollower(batch, step), where).toEqual({
          firstOffset: records.length,
          lastOffset: records.length + values.length - 1,
        });
        for (const value of values) records.push({ value, epoch });
        if (log.unflushedMessageCount === 0) durableEnd = records.length;
        break;
      }
      case "retention": {
        const before = log.size;
        const deleted = log.enforceRetention(step);
        if (retentionBytes < 0) expect(deleted, where).toBe(0);
        else if (deleted > 0)
          expect(log.size, where).toBeGreaterThanOrEqual(Math.min(before, retentionBytes));
        expect(log.logStartOffset, where).toBeGreaterThanOrEqual(logStart);
        expect(log.logStartOffset, where).toBeLessThanOrEqual(records.length);
        logStart = log.logStartOffset;
        break;
      }
      case "flush":
        log.flush(step);
        durableEnd = records.length;
        break;
      case "truncate": {
        const target = Math.max(logStart, records.length - o.back);
        log.truncateTo(target);
        // a batch straddling the target goes whole: the log says where it ended up
        expect(log.logEndOffset, where).toBeLessThanOrEqual(target);
        expect(log.logEndOffset, where).toBeGreaterThanOrEqual(
          Math.min(target, Math.max(logStart, target - 4)),
        );
        records = records.slice(0, log.logEndOffset);
        durableEnd = Math.min(durableEnd, records.length);
        break;
      }
      case "deleteRecords":
        logStart = log.deleteRecordsBefore(o.upTo);
        expect(logStart, where).toBe(Math.max(logStart, Math.min(o.upTo, records.length)));
        break;
      case "crash":
        fs.crash(o.tornSeed === null ? undefined : mulberry32(o.tornSeed));
        recover(where);
        break;
      case "reopen":
        log.close();
        recover(where);
        break;
      case "shutdown":
        log.shutdown(step);
        durableEnd = records.length;
        recover(where);
        break;
      case "read": {
        const from = logStart + (o.from % (records.length - logStart + 1));
        const buf = log.read(from, o.maxBytes);
        // whole, valid batches only, starting with the one that holds `from`
        expect(validPrefix(buf).bytes, where).toBe(buf.length);
        if (from < records.length) expect(buf.length, where).toBeGreaterThan(0);
        break;
      }
    }
    expect(log.logEndOffset, where).toBe(records.length);
  });
  checkAgainstModel("end");
}

describe("PartitionLog under random crashes (simulated disk)", () => {
  it("never loses a flushed record and never returns a corrupt one", () => {
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 1, maxLength: 60 }),
        fc.constantFrom(300, 700, 1 << 20),
        fc.constantFrom(1, 3, Number.MAX_SAFE_INTEGER),
        fc.constantFrom(-1, 900),
        (ops, segmentBytes, flushMessages, retentionBytes) =>
          runScenario(ops, segmentBytes, flushMessages, retentionBytes),
      ),
      { numRuns: 150 },
    );
  });
});
