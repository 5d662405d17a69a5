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
