/**
 * Storage holds no file descriptor per idle partition: a DiskFileSystem opens descriptors on use and keeps
 * at most its cap open (least recently used closed first, idle ones swept), so thousands of partitions do
 * not exhaust the process's descriptors. Counted from /proc/self/fd, the kernel's own list.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiskFileSystem, releaseStorageDescriptors } from "../../impl/storage/disk-fs.ts";
import { PartitionLog } from "../../impl/storage/partition-log.ts";
import { batchOf, config } from "./helpers.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(join(tmpdir(), "kafkaspec-descriptors-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const openFds = () => readdirSync("/proc/self/fd").length;

function values(log: PartitionLog): string[] {
  return log.readRecords(log.logStartOffset, 1_000_000).map((r) => r.value?.toString() ?? "");
}

describe.skipIf(process.platform !== "linux")("DiskFileSystem descriptors", () => {
  it("200 partitions with two segments each hold at most the cap of open descriptors, and lose nothing", () => {
    const CAP = 24;
    const N = 200;
    const root = mkdtempSync(join(tmp, "many-"));
    const before = openFds();
    const fs = new DiskFileSystem({ maxOpenFiles: CAP });
    const cfg = config({ "segment.bytes": 100 });
    const logs: PartitionLog[] = [];
    let peak = 0;
    for (let p = 0; p < N; p++) {
      const log = PartitionLog.open(fs, join(root, `t-${p}`), cfg);
      log.appendAsLeader(batchOf([`p${p}-a`, `p${p}-b`]), 0, 1_000);
      log.appendAsLeader(batchOf([`p${p}-c`]), 1, 2_000);
      logs.push(log);
      peak = Math.max(peak, openFds() - before);
    }
    // Every log rolled at least once: each has several segment files, yet the process holds no more than CAP.
    expect(logs.every((l) => l.segmentBaseOffsets().length >= 2)).toBe(true);
    expect(fs.descriptors.size).toBeLessThanOrEqual(CAP);
    expect(openFds() - before).toBeLessThanOrEqual(CAP);
    // (A transient descriptor for a directory fsync or a checkpoint write comes and goes within a call.)
    expect(peak).toBeLessThanOrEqual(CAP);

    // Reads reopen what was closed; every record is where it was written.
    for (let p = 0; p < N; p++) expect(values(logs[p])).toEqual([`p${p}-a`, `p${p}-b`, `p${p}-c`]);
    expect(openFds() - before).toBeLessThanOrEqual(CAP);

    // Appends after eviction land at the tracked end, and a flush through a new descriptor makes them durable.
    for (let p = 0; p < N; p += 7) {
      logs[p].appendAsLeader(batchOf([`p${p}-d`]), 1, 3_000);
      logs[p].flush(3_000);
    }
    expect(fs.descriptors.closeAll()).toBeGreaterThan(0);
    expect(openFds()).toBeLessThanOrEqual(before);
    for (const l of logs) l.shutdown(4_000);

    // Recovery on open still reads every segment and finds nothing to cut.
    const again = new DiskFileSystem({ maxOpenFiles: CAP });
    const recovered: string[] = [];
    for (let p = 0; p < N; p++) {
      const log = PartitionLog.open(again, join(root, `t-${p}`), cfg, {
        onRecovery: (e) => recovered.push(e.reason),
      });
      expect(values(log)).toEqual([`p${p}-a`, `p${p}-b`, `p${p}-c`, ...(p % 7 === 0 ? [`p${p}-d`] : [])]);
      log.close();
    }
    expect(recovered).toEqual([]);
    expect(again.descriptors.size).toBe(0);
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  it("closes descriptors idle longer than idleCloseMs, and releaseStorageDescriptors closes them all", () => {
    let now = 0;
    const fs = new DiskFileSystem({ maxOpenFiles: 100, idleCloseMs: 1_000, now: () => now });
    const root = mkdtempSync(join(tmp, "idle-"));
    const handles = Array.from({ length: 10 }, (_, i) => fs.open(join(root, `f${i}`), { create: true }));
    for (const h of handles) h.append(Buffer.from("x"));
    expect(fs.descriptors.size).toBe(10);
    now = 600;
    handles[0].append(Buffer.from("y"));
    now = 1_200;
    expect(fs.descriptors.closeIdle()).toBe(9);
    expect(fs.descriptors.size).toBe(1);
    expect(handles[0].read(0, 10).toString()).toBe("xy");
    expect(releaseStorageDescriptors()).toBeGreaterThanOrEqual(1);
    expect(fs.descriptors.size).toBe(0);
    for (const h of handles) h.close();
    expect(() => handles[1].read(0, 1)).toThrow(/closed/);
  });

  it("under a descriptor limit below its cap, storage gives back its own descriptors instead of failing", () => {
    // A child with RLIMIT_NOFILE 64 opens 200 files through a pool capped at 1,000: every open past the
    // limit hits EMFILE, and the pool closes its idle descriptors and retries.
    const script = join(tmp, "limited.mts");
    writeFileSync(
      script,
      `import { join } from "node:path";
import { DiskFileSystem } from ${JSON.stringify(join(ROOT, "impl/storage/disk-fs.ts"))};
const fs = new DiskFileSystem({ maxOpenFiles: 1000 });
const dir = process.argv[2];
const hs = [];
for (let i = 0; i < 200; i++) { const h = fs.open(join(dir, "f" + i), { create: true }); h.append(Buffer.from(String(i))); hs.push(h); }
let ok = 0;
for (let i = 0; i < 200; i++) if (hs[i].read(0, 10).toString() === String(i)) ok++;
console.log("ok " + ok + " open " + fs.descriptors.size);
`,
    );
    const dir = mkdtempSync(join(tmp, "limited-"));
    const r = spawnSync(
      "bash",
      [
        "-c",
        `ulimit -n 64 && exec "${process.execPath}" "${join(ROOT, "bin/run-ts.mjs")}" "${script}" "${dir}"`,
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 30_000 },
    );
    expect(r.stderr).not.toMatch(/EMFILE/);
    const m = /ok (\d+) open (\d+)/.exec(r.stdout);
    expect(m, `${r.stdout}\n${r.stderr}`).not.toBeNull();
    expect(Number(m?.[1])).toBe(200);
    expect(Number(m?.[2])).toBeLessThan(64);
  });
});
