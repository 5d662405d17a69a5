import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiskFileSystem } from "../../impl/storage/disk-fs.ts";
import { type FileSystem, readWholeFile, writeFileAtomic } from "../../impl/storage/fs.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";
import { mulberry32 } from "./helpers.ts";

const tmp = mkdtempSync(join(tmpdir(), "kafkaspec-fs-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const impls: [string, () => { fs: FileSystem; root: string }][] = [
  ["disk", () => ({ fs: new DiskFileSystem(), root: mkdtempSync(join(tmp, "c-")) })],
  ["sim", () => ({ fs: new SimFileSystem(), root: "/root" })],
];

describe.each(impls)("FileSystem contract (%s)", (_name, make) => {
  it("appends, reads at positions, truncates, lists sorted, renames and removes", () => {
    const { fs, root } = make();
    fs.mkdir(`${root}/a/b`);
    const h = fs.open(`${root}/a/b/f`, { create: true });
    expect(h.append(Buffer.from("hello "))).toBe(0);
    expect(h.append(Buffer.from("world"))).toBe(6);
    expect(h.size()).toBe(11);
    expect(h.read(6, 100).toString()).toBe("world");
    expect(h.read(20, 5).length).toBe(0);
    h.truncate(5);
    expect(h.size()).toBe(5);
    expect(h.append(Buffer.from("!"))).toBe(5);
    h.fsync();
    h.close();
    expect(readWholeFile(fs, `${root}/a/b/f`).toString()).toBe("hello!");
    fs.open(`${root}/a/b/e`, { create: true }).close();
    expect(fs.list(`${root}/a/b`)).toEqual(["e", "f"]);
    fs.rename(`${root}/a/b/e`, `${root}/a/b/g`);
    expect(fs.list(`${root}/a/b`)).toEqual(["f", "g"]);
    fs.remove(`${root}/a/b/g`);
    expect(fs.exists(`${root}/a/b/g`)).toBe(false);
    expect(() => fs.open(`${root}/a/b/missing`)).toThrow(/ENOENT/);
  });

  it("writeFileAtomic replaces contents and leaves no temporary file", () => {
    const { fs, root } = make();
    fs.mkdir(root);
    writeFileAtomic(fs, `${root}/cp`, Buffer.from("one"));
    writeFileAtomic(fs, `${root}/cp`, Buffer.from("two"));
    expect(readWholeFile(fs, `${root}/cp`).toString()).toBe("two");
    expect(fs.list(root)).toEqual(["cp"]);
  });

  it("createFiles creates the missing files empty and leaves existing ones as they are", () => {
    const { fs, root } = make();
    fs.mkdir(`${root}/seg`);
    const kept = fs.open(`${root}/seg/a.log`, { create: true });
    kept.append(Buffer.from("data"));
    kept.fsync();
    kept.close();
    fs.createFiles([`${root}/seg/a.log`, `${root}/seg/a.index`, `${root}/seg/a.timeindex`]);
    expect(fs.list(`${root}/seg`)).toEqual(["a.index", "a.log", "a.timeindex"]);
    expect(readWholeFile(fs, `${root}/seg/a.log`).toString()).toBe("data");
    expect(readWholeFile(fs, `${root}/seg/a.index`).length).toBe(0);
  });
});

describe("SimFileSystem crashes", () => {
  it("drop every byte not fsynced", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/d");
    const h = fs.open("/d/f", { create: true });
    h.append(Buffer.from("durable"));
    h.fsync();
    h.append(Buffer.from("-lost"));
    expect(fs.unflushedBytes("/d/f")).toBe(5);
    fs.crash();
    expect(() => h.size()).toThrow(/stale handle/);
    expect(readWholeFile(fs, "/d/f").toString()).toBe("durable");
    expect(fs.unflushedBytes("/d/f")).toBe(0);
  });

  it("undo an unsynced truncate, and keep a synced one", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/d");
    let h = fs.open("/d/f", { create: true });
    h.append(Buffer.from("abcdef"));
    h.fsync();
    h.truncate(2);
    h.append(Buffer.from("XY"));
    fs.crash();
    expect(readWholeFile(fs, "/d/f").toString()).toBe("abcdef");
    h = fs.open("/d/f");
    h.truncate(3);
    h.fsync();
    fs.crash();
    expect(readWholeFile(fs, "/d/f").toString()).toBe("abc");
  });

  it("with a PRNG, keep a random prefix of the unflushed tail, torn anywhere, reproducibly", () => {
    const seen = new Set<number>();
    for (let seed = 1; seed <= 60; seed++) {
      const run = () => {
        const fs = new SimFileSystem();
        fs.mkdir("/d");
        const h = fs.open("/d/f", { create: true });
        h.append(Buffer.from("0123"));
        h.fsync();
        h.append(Buffer.from("456"));
        h.append(Buffer.from("789"));
        fs.crash(mulberry32(seed));
        return readWholeFile(fs, "/d/f").toString();
      };
      const a = run();
      expect(run()).toBe(a);
      expect("0123456789".startsWith(a)).toBe(true);
      expect(a.length).toBeGreaterThanOrEqual(4);
      seen.add(a.length);
    }
    expect(seen.size).toBeGreaterThan(4); // the cut lands at many different bytes, mid-write included
  });
});

describe("new entries are durable with their directory's next sync", () => {
  it("SimFileSystem: a crash loses entries no sync covered, with everything beneath a lost directory", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/logs");
    fs.syncDirectory("/logs");
    fs.mkdir("/logs/a-0");
    fs.createFiles(["/logs/a-0/0.log"]);
    fs.mkdir("/logs/b-0");
    fs.createFiles(["/logs/b-0/0.log"]);
    expect(fs.isPending("/logs/a-0")).toBe(true);
    fs.crash();
    expect(fs.exists("/logs")).toBe(true);
    expect(fs.list("/logs")).toEqual([]);
    expect(fs.exists("/logs/a-0/0.log")).toBe(false);
  });

  it("SimFileSystem: fsync of data syncs the directories above the file; an fsync with nothing to flush does not", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/logs/a-0");
    fs.mkdir("/logs/b-0");
    fs.createFiles(["/logs/a-0/0.log", "/logs/a-0/0.index", "/logs/b-0/0.log"]);
    const idle = fs.open("/logs/b-0/0.log");
    idle.fsync();
    expect(fs.isPending("/logs/b-0/0.log")).toBe(true);
    const h = fs.open("/logs/a-0/0.log");
    h.append(Buffer.from("x"));
    h.fsync();
    fs.crash();
    // Syncing a-0 and its parents made every pending entry of those directories durable, b-0's too.
    expect(readWholeFile(fs, "/logs/a-0/0.log").toString()).toBe("x");
    expect(fs.exists("/logs/a-0/0.index")).toBe(true);
    expect(fs.exists("/logs/b-0")).toBe(true);
    expect(fs.exists("/logs/b-0/0.log")).toBe(false);
  });

  it("SimFileSystem: rename and syncDirectory make entries durable; a transient file is never pending", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/d/e");
    writeFileAtomic(fs, "/d/e/ckpt", Buffer.from("1"));
    fs.mkdir("/d/f");
    fs.syncDirectory("/d/f");
    fs.open("/d/t", { create: true, transient: true }).append(Buffer.from("tmp"));
    expect(fs.isPending("/d/t")).toBe(false);
    fs.crash();
    expect(readWholeFile(fs, "/d/e/ckpt").toString()).toBe("1");
    expect(fs.exists("/d/f")).toBe(true);
  });

  it("DiskFileSystem: creating files and directories syncs nothing until data is flushed, then each pending directory once", () => {
    const fs = new DiskFileSystem();
    const root = mkdtempSync(join(tmp, "lazy-"));
    for (let i = 0; i < 20; i++) {
      fs.mkdir(`${root}/p-${i}`);
      fs.createFiles([`${root}/p-${i}/0.log`, `${root}/p-${i}/0.index`]);
    }
    // New, never-written files need no fsync, and their directories no sync yet.
    fs.open(`${root}/p-0/0.log`).fsync();
    expect(fs.stats).toEqual({ fsyncs: 0, dirSyncs: 0 });
    const h = fs.open(`${root}/p-3/0.index`);
    h.append(Buffer.from("data"));
    h.fsync();
    // The file, p-3 (its new entries) and root (the new p-* entries); the tmp dir above was not pending.
    expect(fs.stats).toEqual({ fsyncs: 1, dirSyncs: 2 });
    fs.syncDirectory(`${root}/p-7`);
    expect(fs.stats.dirSyncs).toBe(3);
    fs.syncDirectory(`${root}/p-7`);
    expect(fs.stats.dirSyncs).toBe(3);
    // A file this process did not create may hold an earlier process's unflushed writes: fsynced once.
    const fs2 = new DiskFileSystem();
    const again = fs2.open(`${root}/p-3/0.index`);
    again.fsync();
    again.fsync();
    expect(fs2.stats).toEqual({ fsyncs: 1, dirSyncs: 0 });
  });
});

describe("DiskFileSystem.syncInParallel", () => {
  it("notes the syncs asked for inside, does each once on the thread pool, and counts them", async () => {
    const fs = new DiskFileSystem();
    const root = mkdtempSync(join(tmp, "batch-"));
    fs.mkdir(`${root}/a`);
    fs.syncDirectory(`${root}/a`);
    const before = { ...fs.stats };
    const handles = Array.from({ length: 30 }, (_, i) => fs.open(`${root}/a/f${i}`, { create: true }));
    const result = await fs.syncInParallel(() => {
      for (const h of handles) {
        h.append(Buffer.from("data"));
        h.fsync();
        h.fsync(); // clean again: nothing more to do
        h.close();
      }
      writeFileAtomic(fs, `${root}/a/ckpt`, Buffer.from("1"));
      const gone = fs.open(`${root}/a/gone`, { create: true });
      gone.append(Buffer.from("x"));
      gone.fsync();
      gone.close();
      fs.remove(`${root}/a/gone`);
      // Nothing was synced yet.
      expect(fs.stats).toEqual(before);
      return "done";
    });
    expect(result).toBe("done");
    // 30 files and the checkpoint (its data, written under the temporary name); directory a once.
    expect(fs.stats.fsyncs - before.fsyncs).toBe(31);
    expect(fs.stats.dirSyncs - before.dirSyncs).toBe(1);
    expect(readWholeFile(fs, `${root}/a/ckpt`).toString()).toBe("1");
    // Outside, syncs happen at once again.
    const h = fs.open(`${root}/a/f0`);
    h.append(Buffer.from("more"));
    h.fsync();
    expect(fs.stats.fsyncs - before.fsyncs).toBe(32);
  });
});
