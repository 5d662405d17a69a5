import { spawn } from "node:child_process";
import * as nodefs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiskFileSystem } from "../../impl/storage/disk-fs.ts";
import type { FileSystem } from "../../impl/storage/fs.ts";
import { readWholeFile } from "../../impl/storage/fs.ts";
import { PartitionLog, type RecoveryEvent } from "../../impl/storage/partition-log.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";
import { batchOf, config, mulberry32 } from "./helpers.ts";

const tmp = nodefs.mkdtempSync(join(tmpdir(), "kafkaspec-recovery-"));
afterAll(() => nodefs.rmSync(tmp, { recursive: true, force: true }));

const CFG = config({ "segment.bytes": 600, "index.interval.bytes": 64 });
const stem = (base: number) => String(base).padStart(20, "0");

/** Writes a whole file's bytes through the FileSystem (to stage a damaged disk; no crash follows). */
function putFile(fs: FileSystem, path: string, bytes: Buffer): void {
  const h = fs.open(path, { create: true });
  h.truncate(0);
  h.append(bytes);
  h.close();
}

function values(log: PartitionLog): string[] {
  return log.readRecords(log.logStartOffset, 1_000_000).map((r) => r.value!.toString());
}

/** A log of several segments, flushed and closed; returns what was written. */
function buildLog(fs: FileSystem, dir: string): { written: string[]; lastBatchBase: number } {
  const log = PartitionLog.open(fs, dir, CFG);
  const written: string[] = [];
  let lastBatchBase = 0;
  for (let i = 0; i < 14; i++) {
    const vs = Array.from({ length: 1 + (i % 3) }, (_, j) => `b${i}r${j}`);
    lastBatchBase = log.appendAsLeader(
      batchOf(vs, 1000 + i, i % 2 ? "gzip" : "none"),
      1 + (i >> 2),
      0,
    ).baseOffset;
    written.push(...vs);
  }
  log.flush();
  log.close();
  return { written, lastBatchBase };
}

describe.each([
  ["simulated disk", () => ({ fs: new SimFileSystem() as FileSystem, dir: "/data/t-0" })],
  ["real disk", () => ({ fs: new DiskFileSystem() as FileSystem, dir: nodefs.mkdtempSync(join(tmp, "t-")) })],
])("recovery on the %s", (_name, make) => {
  it("a last segment cut at EVERY byte of its last batch recovers to the last whole batch", () => {
    const { fs, dir } = make();
    const { written, lastBatchBase } = buildLog(fs, dir);
    const log = PartitionLog.open(fs, dir, CFG);
    const lastSeg = log.segmentBaseOffsets().at(-1)!;
    log.close();
    const segPath = `${dir}/${stem(lastSeg)}.log`;
    const full = readWholeFile(fs, segPath);
    const index = readWholeFile(fs, `${dir}/${stem(lastSeg)}.index`);
    const lastBatchStart = (() => {
      let pos = 0;
      let last = 0;
      while (pos < full.length) {
        last = pos;
        pos += full.readInt32BE(pos + 8) + 12;
      }
      return last;
    })();
    const before = written.slice(0, lastBatchBase);
    const events: RecoveryEvent[] = [];
    for (let cut = lastBatchStart; cut < full.length; cut++) {
      putFile(fs, segPath, full.subarray(0, cut));
      putFile(fs, `${dir}/${stem(lastSeg)}.index`, index); // a stale index pointing past the cut
      const r = PartitionLog.open(fs, dir, CFG, { onRecovery: (e) => events.push(e) });
      expect(r.logEndOffset).toBe(lastBatchBase);
      expect(values(r)).toEqual(before);
      expect(r.epochCache.entries().every((e) => e.startOffset < lastBatchBase)).toBe(true);
      r.close();
    }
    expect(events.filter((e) => e.truncatedBytes > 0).length).toBe(full.length - lastBatchStart - 1);
    // and the log continues where it was cut
    const r = PartitionLog.open(fs, dir, CFG);
    expect(r.appendAsLeader(batchOf(["again"]), 9, 0).baseOffset).toBe(lastBatchBase);
    r.flush();
    r.close();
    expect(values(PartitionLog.open(fs, dir, CFG))).toEqual([...before, "again"]);
  });

  it("a corrupt batch in the last segment cuts the log there", () => {
    const { fs, dir } = make();
    const { written } = buildLog(fs, dir);
    const log = PartitionLog.open(fs, dir, CFG);
    const lastSeg = log.segmentBaseOffsets().at(-1)!;
    log.close();
    const segPath = `${dir}/${stem(lastSeg)}.log`;
    const bytes = readWholeFile(fs, segPath);
    bytes[bytes.length - 1] ^= 0x40; // inside the CRC of the last batch
    putFile(fs, segPath, bytes);
    const events: RecoveryEvent[] = [];
    const r = PartitionLog.open(fs, dir, CFG, { onRecovery: (e) => events.push(e) });
    expect(events).toEqual([expect.objectContaining({ segmentBaseOffset: lastSeg, reason: "tail" })]);
    expect(values(r)).toEqual(written.slice(0, r.logEndOffset));
    expect(r.logEndOffset).toBeLessThan(written.length);
  });

  it("rebuilds a rolled segment's missing or garbage indexes", () => {
    const { fs, dir } = make();
    const { written } = buildLog(fs, dir);
    const first = PartitionLog.open(fs, dir, CFG);
    const bases = first.segmentBaseOffsets();
    first.close();
    expect(bases.length).toBeGreaterThan(2);
    fs.remove(`${dir}/${stem(bases[0])}.index`);
    fs.remove(`${dir}/${stem(bases[0])}.timeindex`);
    putFile(fs, `${dir}/${stem(bases[1])}.index`, Buffer.from([0, 0, 0, 1, 0x7f, 0, 0, 0])); // points past the end
    putFile(fs, `${dir}/${stem(bases[1])}.timeindex`, Buffer.alloc(5));
    const events: RecoveryEvent[] = [];
    const r = PartitionLog.open(fs, dir, CFG, { onRecovery: (e) => events.push(e) });
    expect(events.filter((e) => e.reason === "index").map((e) => e.segmentBaseOffset)).toEqual([
      bases[0],
      bases[1],
    ]);
    expect(values(r)).toEqual(written);
    expect(readWholeFile(fs, `${dir}/${stem(bases[0])}.timeindex`).length % 12).toBe(0);
    expect(r.offsetForTimestamp(1003)).toMatchObject({ timestamp: 1003 });
  });

  it("rebuilds a broken leader-epoch-checkpoint from the batches and cleans leftovers", () => {
    const { fs, dir } = make();
    buildLog(fs, dir);
    const good = PartitionLog.open(fs, dir, CFG).epochCache.entries();
    putFile(fs, `${dir}/leader-epoch-checkpoint`, Buffer.from("0\n5\ngarbage"));
    putFile(fs, `${dir}/leader-epoch-checkpoint.tmp`, Buffer.from("half"));
    putFile(fs, `${dir}/${stem(99999)}.index`, Buffer.alloc(8));
    const r = PartitionLog.open(fs, dir, CFG);
    expect(r.epochCache.entries()).toEqual(good);
    expect(fs.list(dir).some((n) => n.endsWith(".tmp") || n.startsWith(stem(99999)))).toBe(false);
  });
});

describe("clean shutdown", () => {
  function history(fs: SimFileSystem): void {
    const log = PartitionLog.open(fs, "/d/t-0", CFG);
    for (let i = 0; i < 30; i++)
      log.appendAsLeader(batchOf([`v${i}`, `w${i}`], 5000 - i * 7), 1 + (i >> 3), i);
    log.shutdown(30);
  }
  const files = (fs: SimFileSystem) =>
    fs.list("/d/t-0").map((n) => [n, readWholeFile(fs, `/d/t-0/${n}`).toString("hex")]);

  it("skips the scan, and leaves exactly the state a full recovery would", () => {
    const clean = new SimFileSystem();
    const scanned = new SimFileSystem();
    history(clean);
    history(scanned);
    expect(clean.exists("/d/t-0/clean-shutdown")).toBe(true);
    scanned.remove("/d/t-0/clean-shutdown");
    const events: RecoveryEvent[] = [];
    const a = PartitionLog.open(clean, "/d/t-0", CFG, { onRecovery: (e) => events.push(e) });
    const b = PartitionLog.open(scanned, "/d/t-0", CFG);
    expect(events).toEqual([]);
    expect(clean.exists("/d/t-0/clean-shutdown")).toBe(false); // the next open scans again
    expect([a.logEndOffset, a.segmentBaseOffsets()]).toEqual([b.logEndOffset, b.segmentBaseOffsets()]);
    for (const ts of [0, 4800, 4900, 4999, 5001])
      expect(a.offsetForTimestamp(ts)).toEqual(b.offsetForTimestamp(ts));
    for (const log of [a, b]) {
      for (let i = 0; i < 12; i++) log.appendAsLeader(batchOf([`x${i}`]), 9, 100 + i);
      log.flush();
    }
    expect(files(clean)).toEqual(files(scanned)); // same bytes, indexes included
  });

  it("does not trust the marker over a segment that does not end in a whole batch", () => {
    const fs = new SimFileSystem();
    history(fs);
    const log = PartitionLog.open(fs, "/d/t-0", CFG);
    const end = log.logEndOffset;
    const last = `/d/t-0/${stem(log.segmentBaseOffsets().at(-1)!)}.log`;
    log.shutdown();
    const bytes = readWholeFile(fs, last);
    putFile(fs, last, bytes.subarray(0, bytes.length - 5));
    const events: RecoveryEvent[] = [];
    const r = PartitionLog.open(fs, "/d/t-0", CFG, { onRecovery: (e) => events.push(e) });
    expect(events.map((e) => e.reason)).toEqual(["tail"]);
    expect(r.logEndOffset).toBe(end - 2);
  });
});

describe("nothing acknowledged and flushed is lost", () => {
  it("on the simulated disk, across crashes that tear unflushed writes", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const rand = mulberry32(seed);
      const fs = new SimFileSystem();
      const cfg = config({ "segment.bytes": 500, "flush.messages": 1 + (seed % 3) });
      let log = PartitionLog.open(fs, "/d/t-0", cfg);
      const acked: string[] = [];
      let flushedEnd = 0;
      for (let step = 0; step < 60; step++) {
        const v = `s${seed}-${step}`;
        const r = log.appendAsLeader(batchOf([v]), 0, step);
        acked[r.baseOffset] = v;
        acked.length = r.baseOffset + 1;
        if (log.unflushedMessageCount === 0) flushedEnd = log.logEndOffset;
        if (rand() < 0.15) {
          fs.crash(rand);
          log = PartitionLog.open(fs, "/d/t-0", cfg);
          expect(log.logEndOffset, `seed ${seed} step ${step}`).toBeGreaterThanOrEqual(flushedEnd);
          expect(values(log), `seed ${seed} step ${step}`).toEqual(acked.slice(0, log.logEndOffset));
          acked.length = log.logEndOffset;
          flushedEnd = log.logEndOffset;
        }
      }
    }
  });

  it("on the real disk, when the appending process is killed with SIGKILL", async () => {
    const dir = nodefs.mkdtempSync(join(tmp, "kill-"));
    const child = spawn(process.execPath, ["bin/run-ts.mjs", "test/storage/fixtures/appender.ts", dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const acks = new Map<number, string>();
    let buffered = "";
    await new Promise<void>((resolve) => {
      child.stdout.on("data", (d: Buffer) => {
        buffered += d.toString();
        const lines = buffered.split("\n");
        buffered = lines.pop()!;
        for (const l of lines) {
          const [, offset, value] = l.split(" ");
          acks.set(Number(offset), value);
        }
        if (acks.size >= 150 && !child.killed) child.kill("SIGKILL");
      });
      child.on("exit", () => resolve());
    });
    expect(acks.size).toBeGreaterThanOrEqual(150);
    const log = PartitionLog.open(new DiskFileSystem(), dir, config({ "segment.bytes": 2048 }));
    expect(log.segmentBaseOffsets().length).toBeGreaterThan(3);
    expect(log.logEndOffset).toBeGreaterThanOrEqual(acks.size);
    const got = log.readRecords(0, acks.size).map((r) => [r.offset, r.value!.toString()]);
    expect(got).toEqual([...acks].sort((a, b) => a[0] - b[0]));
  }, 30_000);
});
