/** inconsistent-offsets, duplicate, lost-write, aborted-read, fetch-within-log: one caught, one passing each. */
import { describe, expect, it } from "vitest";
import { abortedRead } from "../../spec/invariants/history/aborted-read.ts";
import { duplicate } from "../../spec/invariants/history/duplicate.ts";
import { fetchWithinLog } from "../../spec/invariants/history/fetch-within-log.ts";
import { inconsistentOffsets } from "../../spec/invariants/history/inconsistent-offsets.ts";
import { lostWrite } from "../../spec/invariants/history/lost-write.ts";
import { Script } from "./script.ts";

describe("inconsistent-offsets", () => {
  it("catches an offset acknowledged for one value and read with another", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const a = s.sent("p1", "t", 0, "a", 0);
    const f = s.polled("c1", "t", 0, 0, "0=b");
    const v = inconsistentOffsets.check(s.history);
    expect(v).toEqual([
      {
        invariant: "inconsistent-offsets",
        message: expect.stringContaining("t-0 offset 0 holds 2 values"),
        events: [a.complete, f.complete],
      },
    ]);
  });

  it("catches two fetches disagreeing about an offset", () => {
    const s = new Script();
    s.topic("t");
    const f1 = s.polled("c1", "t", 0, 0, "0=a 1=b");
    const f2 = s.polled("c2", "t", 0, 1, "1=c");
    expect(inconsistentOffsets.check(s.history).map((x) => x.events)).toEqual([[f1.complete, f2.complete]]);
  });

  it("passes when acknowledgements and fetches agree", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 0);
    s.sent("p1", "t", 0, "b", 1);
    s.polled("c1", "t", 0, 0, "0=a 1=b");
    s.polled("c2", "t", 0, 1, "1=b");
    expect(inconsistentOffsets.check(s.history)).toEqual([]);
  });

  it("lets an acks=1 offset be reused after a crash (Kafka may truncate it)", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 0, 1);
    s.fault({ kind: "crash", broker: 1 });
    s.polled("c1", "t", 0, 0, "0=b");
    expect(inconsistentOffsets.check(s.history)).toEqual([]);
  });

  it("but not an acks=all offset on a min.insync.replicas=2 topic", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 0, -1);
    s.fault({ kind: "crash", broker: 1 });
    s.polled("c1", "t", 0, 0, "0=b");
    expect(inconsistentOffsets.check(s.history)).toHaveLength(1);
  });
});

describe("duplicate", () => {
  it("catches one value at two offsets", () => {
    const s = new Script();
    s.topic("t");
    const a = s.sent("p1", "t", 0, "a", 0);
    const f = s.polled("c1", "t", 0, 0, "0=a 1=a");
    const v = duplicate.check(s.history);
    expect(v).toEqual([
      {
        invariant: "duplicate",
        message: expect.stringContaining("value a is at 2 positions"),
        events: [a.complete, f.complete],
      },
    ]);
    expect(v[0].message).toContain("t-0@1");
  });

  it("catches one value in two partitions", () => {
    const s = new Script();
    s.topic("t", { partitions: 2 });
    const a = s.sent("p1", "t", 0, "a", 0);
    const f = s.polled("c1", "t", 1, 0, "0=a");
    expect(duplicate.check(s.history).map((x) => x.events)).toEqual([[a.complete, f.complete]]);
  });

  it("passes when each value is read where it was acknowledged, however often", () => {
    const s = new Script();
    s.topic("t", { partitions: 2 });
    s.sent("p1", "t", 0, "a", 0);
    s.sent("p1", "t", 1, "b", 0);
    s.polled("c1", "t", 0, 0, "0=a");
    s.polled("c2", "t", 0, 0, "0=a");
    s.polled("c1", "t", 1, 0, "0=b");
    expect(duplicate.check(s.history)).toEqual([]);
  });
});

describe("lost-write", () => {
  it("catches an acknowledged record missing from a later fetch across its offset", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const a = s.sent("p1", "t", 0, "a", 0);
    const b = s.sent("p1", "t", 0, "b", 1);
    s.fault({ kind: "crash", broker: 1 });
    const f = s.polled("c1", "t", 0, 0, "0=a 2=c");
    const v = lostWrite.check(s.history);
    expect(v).toEqual([
      {
        invariant: "lost-write",
        message: expect.stringContaining("b acknowledged at t-0@1"),
        events: [b.complete, f.complete],
      },
    ]);
    expect(v[0].message).toContain("the offset is missing");
    expect(a.complete).toBeLessThan(b.complete);
  });

  it("catches an acknowledged record replaced at its offset", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const a = s.sent("p1", "t", 0, "a", 0);
    const f = s.polled("c1", "t", 0, 0, "0=x");
    const v = lostWrite.check(s.history);
    expect(v.map((x) => x.events)).toEqual([[a.complete, f.complete]]);
    expect(v[0].message).toContain("it read x there");
  });

  it("ignores a fetch that returned before the send was acknowledged", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const send = s.start("p1", s.produceOp("p1", "t", 0, "b"));
    s.polled("c1", "t", 0, 0, "0=a 2=c");
    send.ok({ partition: 0, offset: 1 });
    expect(lostWrite.check(s.history)).toEqual([]);
  });

  it("ignores a fetch overlapping the send in time", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const fetch = s.start("c1", s.fetchOp("c1", "t", 0, 0));
    s.sent("p1", "t", 0, "b", 1);
    fetch.ok(s.fetchValue("0=a 2=c"));
    expect(lostWrite.check(s.history)).toEqual([]);
  });

  it("ignores a fetch that started above the offset", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "b", 1);
    s.polled("c1", "t", 0, 2, "2=c 3=d");
    expect(lostWrite.check(s.history)).toEqual([]);
  });

  it("ignores an acks=1 record lost in a crash, which Kafka allows", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 0);
    s.sent("p1", "t", 0, "b", 1, 1);
    s.fault({ kind: "crash", broker: 1 });
    s.polled("c1", "t", 0, 0, "0=a 1=c");
    expect(lostWrite.check(s.history)).toEqual([]);
  });

  it("passes when the later fetch returns the record", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 0);
    s.sent("p1", "t", 0, "b", 1);
    s.fault({ kind: "crash", broker: 1 });
    s.polled("c1", "t", 0, 0, "0=a 1=b 2=c");
    expect(lostWrite.check(s.history)).toEqual([]);
  });
});

describe("aborted-read", () => {
  it("catches a read of a value whose send definitely failed", () => {
    const s = new Script();
    s.topic("t");
    const send = s.start("p1", s.produceOp("p1", "t", 0, "a")).fail("NOT_ENOUGH_REPLICAS");
    const f = s.polled("c1", "t", 0, 0, "0=a");
    expect(abortedRead.check(s.history)).toEqual([
      {
        invariant: "aborted-read",
        message: expect.stringContaining("failed with NOT_ENOUGH_REPLICAS"),
        events: [send.complete, f.complete],
      },
    ]);
  });

  it("passes a read of a value whose failure was indefinite (appended, then too few replicas)", () => {
    const s = new Script();
    s.topic("t");
    s.start("p1", s.produceOp("p1", "t", 0, "a")).fail("NOT_ENOUGH_REPLICAS_AFTER_APPEND");
    s.start("p1", s.produceOp("p1", "t", 0, "b")).unknown();
    s.start("p1", s.produceOp("p1", "t", 0, "c")).fail("NOT_LEADER_OR_FOLLOWER");
    s.polled("c1", "t", 0, 0, "0=a 1=b 2=c");
    expect(abortedRead.check(s.history)).toEqual([]);
  });
});

describe("fetch-within-log", () => {
  it("catches a record at the high watermark", () => {
    const s = new Script();
    s.topic("t");
    const f = s.polled("c1", "t", 0, 0, "0=a 1=b", { hw: 1 });
    expect(fetchWithinLog.check(s.history)).toEqual([
      {
        invariant: "fetch-within-log",
        message: expect.stringContaining("offsets 1 outside"),
        events: [f.complete],
      },
    ]);
  });

  it("catches a record below the log start offset", () => {
    const s = new Script();
    s.topic("t");
    const f = s.polled("c1", "t", 0, 0, "0=a 1=b", { lso: 1, hw: 5 });
    expect(fetchWithinLog.check(s.history).map((x) => x.events)).toEqual([[f.complete]]);
  });

  it("passes records within [logStartOffset, highWatermark)", () => {
    const s = new Script();
    s.topic("t");
    s.polled("c1", "t", 0, 1, "1=b 2=c", { lso: 1, hw: 3 });
    expect(fetchWithinLog.check(s.history)).toEqual([]);
  });
});
