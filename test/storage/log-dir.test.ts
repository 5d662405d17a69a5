import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiskLogStore } from "../../impl/broker/disk-log.ts";
import { REPLICATION_OFFSET_CHECKPOINT } from "../../impl/storage/log-dir-checkpoint.ts";
import { LOG_DIR_CLEAN_SHUTDOWN_MARKER } from "../../impl/storage/partition-log.ts";

/**
 * The broker's log store on the real disk with many partitions: what creating, checkpointing and
 * shutting them down costs in fsyncs (per log dir, not per partition), and both start paths after it:
 * with the clean-shutdown marker (no scan) and without (every last segment recovered).
 */
const tmp = mkdtempSync(join(tmpdir(), "kafkaspec-logdir-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const tick = () => new Promise((r) => setImmediate(r));

function store(dir: string, lines: string[] = []): DiskLogStore {
  return new DiskLogStore(dir, undefined, Date.now, {}, (l) => lines.push(l));
}

function record(value: string) {
  return { key: null, value: Buffer.from(value) };
}

describe("DiskLogStore with many partitions", () => {
  it("creates 300 leader partitions with no file fsync and one log-dir sync per event-loop turn", async () => {
    const dir = join(mkdtempSync(join(tmp, "create-")), "logs");
    const s = store(dir);
    const before = { ...s.fs.stats };
    for (let p = 0; p < 300; p++) {
      const log = s.open("t", p);
      log.assignEpoch(3, log.logEndOffset);
    }
    await tick();
    expect(s.fs.stats.fsyncs - before.fsyncs).toBe(0);
    expect(s.fs.stats.dirSyncs - before.dirSyncs).toBe(1);
    // The partitions are there and listed after a crash: their directories are durable.
    expect(readdirSync(dir).filter((n) => n.startsWith("t-")).length).toBe(300);
    expect(s.existing().length).toBe(300);
    // Nothing is written for an epoch no record carries yet.
    expect(existsSync(join(dir, "t-0", "leader-epoch-checkpoint"))).toBe(false);
    const report = await s.shutdown();
    expect(report.logs).toBe(300);
    // The high watermark file (nothing changed: none) and the marker, for the whole log dir.
    expect(report.fsyncs).toBeLessThanOrEqual(2);
    expect(report.dirSyncs).toBeLessThanOrEqual(2);
    expect(existsSync(join(dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER))).toBe(true);
    expect(readdirSync(join(dir, "t-0")).sort()).toEqual(["00000000000000000000.log"]);
    // No log may change behind the marker.
    expect(() => s.open("t", 0)).toThrow(expect.objectContaining({ code: "ESHUTDOWN" }));
  });

  it("keeps records, epochs and high watermarks across a clean shutdown, with one checkpoint file per log dir", async () => {
    const dir = join(mkdtempSync(join(tmp, "data-")), "logs");
    let s = store(dir);
    for (let p = 0; p < 50; p++) {
      const log = s.open("t", p);
      log.assignEpoch(2, 0);
      log.appendAsLeader([record(`a${p}`), record(`b${p}`)], 2, Date.now());
      if (p % 2 === 0) log.checkpointHighWatermark(2);
    }
    const report = await s.shutdown();
    // Each partition with records: its epoch checkpoint (a write, and a rename that syncs its new
    // directory) and its segment; then the log dir, the high watermark file and the marker, once.
    expect(report.fsyncs).toBeGreaterThanOrEqual(100);
    expect(report.fsyncs + report.dirSyncs).toBeLessThanOrEqual(50 * 3 + 5);
    const hwFile = readFileSync(join(dir, REPLICATION_OFFSET_CHECKPOINT), "utf8");
    expect(hwFile.split("\n").slice(0, 2)).toEqual(["0", "25"]);
    expect(existsSync(join(dir, "t-0", "high-watermark-checkpoint"))).toBe(false);

    s = store(dir);
    expect(s.startedClean).toBe(true);
    expect(existsSync(join(dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER))).toBe(false);
    for (let p = 0; p < 50; p++) {
      const log = s.open("t", p);
      expect(log.read(0, 10).map((e) => e.value?.toString())).toEqual([`a${p}`, `b${p}`]);
      expect(log.epochEntries()).toEqual([[2, 0]]);
      expect(log.checkpointedHighWatermark).toBe(p % 2 === 0 ? 2 : 0);
    }
    const again = await s.shutdown();
    // Nothing changed since the start: nothing to flush but the marker.
    expect(again.fsyncs).toBeLessThanOrEqual(1);
  });

  it("after a clean shutdown loads logs without the tail scan; without the marker recovers every one", async () => {
    const dir = join(mkdtempSync(join(tmp, "paths-")), "logs");
    let s = store(dir);
    for (let p = 0; p < 3; p++) {
      const log = s.open("t", p);
      log.assignEpoch(1, 0);
      for (let i = 0; i < 5; i++) log.appendAsLeader([record(`v${i}`)], 1, Date.now());
    }
    await s.shutdown();
    // A byte of the last batch flipped behind the broker's back: only a CRC scan notices.
    const seg = join(dir, "t-1", "00000000000000000000.log");
    const bytes = readFileSync(seg);
    bytes[bytes.length - 1] ^= 0x40;
    writeFileSync(seg, bytes);

    let lines: string[] = [];
    s = store(dir, lines);
    expect(s.open("t", 1).logEndOffset).toBe(5);
    expect(lines.filter((l) => l.includes("recovery"))).toEqual([]);
    await s.shutdown();

    unlinkSync(join(dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER));
    lines = [];
    s = store(dir, lines);
    expect(s.startedClean).toBe(false);
    // The broker's start: every log on disk opened at once, the recovery's fsyncs done together.
    const synced = s.fs.stats.fsyncs;
    expect(await s.openExisting()).toBe(3);
    expect(s.fs.stats.fsyncs).toBeGreaterThan(synced);
    expect(s.open("t", 0).logEndOffset).toBe(5);
    expect(s.open("t", 1).logEndOffset).toBe(4);
    expect(lines).toEqual([
      expect.stringMatching(/^\[log\] t-1: recovery cut \d+ bytes of segment 0 \(tail\)$/),
    ]);
    await s.shutdown();
  });

  it("a log an unclean start never opened is named in the marker and recovered by the next start", async () => {
    const dir = join(mkdtempSync(join(tmp, "unopened-")), "logs");
    let s = store(dir);
    for (let p = 0; p < 2; p++) {
      const log = s.open("t", p);
      for (let i = 0; i < 3; i++) log.appendAsLeader([record(`v${i}`)], 0, Date.now());
    }
    await s.shutdown();
    unlinkSync(join(dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER)); // as after kill -9
    const seg = join(dir, "t-1", "00000000000000000000.log");
    const bytes = readFileSync(seg);
    bytes[bytes.length - 1] ^= 0x40;
    writeFileSync(seg, bytes);

    s = store(dir);
    s.open("t", 0); // t-1 is never opened by this process
    await s.shutdown();
    expect(readFileSync(join(dir, LOG_DIR_CLEAN_SHUTDOWN_MARKER), "utf8")).toBe("t-1\n");

    const lines: string[] = [];
    s = store(dir, lines);
    expect(s.startedClean).toBe(true);
    expect(s.open("t", 1).logEndOffset).toBe(2);
    expect(lines.some((l) => l.startsWith("[log] t-1: recovery cut"))).toBe(true);
    await s.shutdown();
  });

  it("deleting a partition drops its high watermark from the log dir's file", async () => {
    const dir = join(mkdtempSync(join(tmp, "delete-")), "logs");
    const s = store(dir);
    for (let p = 0; p < 2; p++) {
      const log = s.open("t", p);
      log.appendAsLeader([record("x")], 0, Date.now());
      log.checkpointHighWatermark(1);
    }
    s.flushHighWatermarks();
    s.delete("t", 0);
    await s.shutdown();
    const lines = readFileSync(join(dir, REPLICATION_OFFSET_CHECKPOINT), "utf8").trim().split("\n");
    expect(lines).toEqual(["0", "1", "t 1 1"]);
  });
});
