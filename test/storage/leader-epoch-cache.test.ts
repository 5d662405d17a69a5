import { describe, expect, it } from "vitest";
import {
  CheckpointError,
  formatCheckpoint,
  OffsetCheckpointFile,
  parseCheckpoint,
} from "../../impl/storage/checkpoint.ts";
import { readWholeFile } from "../../impl/storage/fs.ts";
import { LeaderEpochCache } from "../../impl/storage/leader-epoch-cache.ts";
import { SimFileSystem } from "../../impl/storage/sim-fs.ts";

function cacheWith(...entries: [number, number][]): LeaderEpochCache {
  return LeaderEpochCache.inMemory(entries.map(([epoch, startOffset]) => ({ epoch, startOffset })));
}

describe("LeaderEpochCache.endOffsetFor (Kafka's LeaderEpochFileCache rules)", () => {
  const c = cacheWith([1, 0], [3, 10], [6, 25]);
  it("the latest epoch ends at the log end", () => {
    expect(c.endOffsetFor(6, 40)).toEqual({ epoch: 6, endOffset: 40 });
  });
  it("an older epoch ends where the next one starts", () => {
    expect(c.endOffsetFor(1, 40)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(3, 40)).toEqual({ epoch: 3, endOffset: 25 });
  });
  it("an epoch this replica never had answers with the largest epoch below it (KIP-279)", () => {
    expect(c.endOffsetFor(2, 40)).toEqual({ epoch: 1, endOffset: 10 });
    expect(c.endOffsetFor(5, 40)).toEqual({ epoch: 3, endOffset: 25 });
  });
  it("an epoch below the first answers the first epoch's start", () => {
    expect(cacheWith([4, 7]).endOffsetFor(2, 40)).toEqual({ epoch: 2, endOffset: 7 });
  });
  it("an epoch above every cached one, UNDEFINED_EPOCH, or an empty cache answer (-1, -1)", () => {
    expect(c.endOffsetFor(7, 40)).toEqual({ epoch: -1, endOffset: -1 });
    expect(c.endOffsetFor(-1, 40)).toEqual({ epoch: -1, endOffset: -1 });
    expect(cacheWith().endOffsetFor(0, 40)).toEqual({ epoch: -1, endOffset: -1 });
  });
});

describe("LeaderEpochCache updates", () => {
  it("assign keeps epochs and offsets increasing, dropping entries a new one contradicts", () => {
    const c = cacheWith([1, 0], [2, 5]);
    expect(c.assign(2, 9)).toBe(false); // same epoch, later offset: nothing new
    expect(c.assign(4, 12)).toBe(true);
    expect(c.latestEpoch).toBe(4);
    expect(c.assign(3, 8)).toBe(true); // an older epoch at an earlier offset replaces the contradicting tail
    expect(c.entries()).toEqual([
      { epoch: 1, startOffset: 0 },
      { epoch: 2, startOffset: 5 },
      { epoch: 3, startOffset: 8 },
    ]);
    expect(c.assign(3, 6)).toBe(true); // the latest epoch moved earlier
    expect(c.entries().at(-1)).toEqual({ epoch: 3, startOffset: 6 });
    expect(() => c.assign(-1, 0)).toThrow(RangeError);
  });

  it("truncateFromEnd drops epochs starting at or after the new log end", () => {
    const c = cacheWith([1, 0], [3, 10], [6, 25]);
    c.truncateFromEnd(25);
    expect(c.entries().map((e) => e.epoch)).toEqual([1, 3]);
    c.truncateFromEnd(11);
    expect(c.entries().map((e) => e.epoch)).toEqual([1, 3]);
  });

  it("truncateFromStart keeps the epoch covering the new start, moved up to it", () => {
    const c = cacheWith([1, 0], [3, 10], [6, 25]);
    c.truncateFromStart(12);
    expect(c.entries()).toEqual([
      { epoch: 3, startOffset: 12 },
      { epoch: 6, startOffset: 25 },
    ]);
    c.truncateFromStart(5);
    expect(c.entries()[0]).toEqual({ epoch: 3, startOffset: 12 });
  });

  it("epochForOffset names the epoch that wrote an offset", () => {
    const c = cacheWith([1, 0], [3, 10]);
    expect([0, 9, 10, 99].map((o) => c.epochForOffset(o))).toEqual([1, 1, 3, 3]);
    expect(cacheWith([2, 5]).epochForOffset(4)).toBe(-1);
  });

  it("persists every change to leader-epoch-checkpoint in Kafka's format and reloads it", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/p");
    const c = LeaderEpochCache.load(fs, "/p/leader-epoch-checkpoint");
    c.assign(0, 0);
    c.assign(2, 17);
    expect(readWholeFile(fs, "/p/leader-epoch-checkpoint").toString()).toBe("0\n2\n0 0\n2 17\n");
    fs.crash(); // durable on return: the checkpoint survives
    expect(LeaderEpochCache.load(fs, "/p/leader-epoch-checkpoint").entries()).toEqual(c.entries());
  });

  it("refuses a malformed or out-of-order checkpoint", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/p");
    for (const text of ["0\n2\n1 0\n", "0\n2\n3 10\n2 20\n", "1\n0\n", "0\n1\nx 3\n"]) {
      const h = fs.open("/p/c", { create: true });
      h.truncate(0);
      h.append(Buffer.from(text));
      h.close();
      expect(() => LeaderEpochCache.load(fs, "/p/c")).toThrow(CheckpointError);
    }
  });
});

describe("checkpoint files", () => {
  it("format and parse round-trip", () => {
    const entries = [
      ["a", "1"],
      ["b", "2"],
    ];
    expect(parseCheckpoint(formatCheckpoint(entries))).toEqual(entries);
    expect(formatCheckpoint([])).toBe("0\n0\n");
    expect(parseCheckpoint("0\n0\n")).toEqual([]);
  });

  it("the high-watermark checkpoint stores topic, partition and offset, topics with dashes included", () => {
    const fs = new SimFileSystem();
    fs.mkdir("/data");
    const f = new OffsetCheckpointFile(fs, "/data/replication-offset-checkpoint");
    expect(f.read().size).toBe(0);
    f.write(
      new Map([
        ["orders-eu-3", 120],
        ["__consumer_offsets-0", 7],
      ]),
    );
    expect(readWholeFile(fs, "/data/replication-offset-checkpoint").toString()).toBe(
      "0\n2\n__consumer_offsets 0 7\norders-eu 3 120\n",
    );
    expect(f.read()).toEqual(
      new Map([
        ["__consumer_offsets-0", 7],
        ["orders-eu-3", 120],
      ]),
    );
  });
});
