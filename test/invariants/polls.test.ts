/** poll-skip, nonmonotonic-poll, nonmonotonic-send, monotonic-high-watermark: one caught, one passing each. */
import { describe, expect, it } from "vitest";
import { monotonicHighWatermark } from "../../spec/invariants/history/monotonic-high-watermark.ts";
import { nonmonotonicPoll } from "../../spec/invariants/history/nonmonotonic-poll.ts";
import { nonmonotonicSend } from "../../spec/invariants/history/nonmonotonic-send.ts";
import { pollSkip } from "../../spec/invariants/history/poll-skip.ts";
import { Script } from "./script.ts";

/** Topic t with a, b, c acknowledged at offsets 0, 1, 2 of partition 0. */
function abc(): Script {
  const s = new Script();
  s.topic("t");
  s.sent("p1", "t", 0, "a", 0);
  s.sent("p1", "t", 0, "b", 1);
  s.sent("p1", "t", 0, "c", 2);
  return s;
}

describe("poll-skip", () => {
  it("catches a continuing fetch that jumped over an acknowledged record", () => {
    const s = abc();
    const f1 = s.polled("c1", "t", 0, 0, "0=a");
    const f2 = s.polled("c1", "t", 0, 1, "2=c");
    expect(pollSkip.check(s.history)).toEqual([
      {
        invariant: "poll-skip",
        message: expect.stringContaining("skipping offsets 1 that hold records"),
        events: [f1.complete, f2.complete],
      },
    ]);
  });

  it.each<[string, (s: Script) => void]>([
    [
      "the same jump across a rebalance of that consumer",
      (s) => {
        s.polled("c1", "t", 0, 0, "0=a");
        s.joined("c1", "g", 2, { leader: "c1", members: [["c1", ["t"]]] });
        s.polled("c1", "t", 0, 1, "2=c");
      },
    ],
    [
      "a fetch that did not continue from the previous end (the consumer sought)",
      (s) => {
        s.polled("c1", "t", 0, 0, "0=a");
        s.polled("c1", "t", 0, 2, "2=c");
      },
    ],
    [
      "a gap below the log start offset (retention)",
      (s) => {
        s.polled("c1", "t", 0, 0, "0=a");
        s.polled("c1", "t", 0, 1, "2=c", { lso: 2 });
      },
    ],
  ])("passes %s", (_, polls) => {
    const s = abc();
    polls(s);
    expect(pollSkip.check(s.history)).toEqual([]);
  });
});

describe("nonmonotonic-poll", () => {
  it("catches a fetch whose offsets are not contiguous", () => {
    const s = new Script();
    s.topic("t");
    const f = s.polled("c1", "t", 0, 0, "0=a 2=c 1=b");
    expect(nonmonotonicPoll.check(s.history)).toEqual([
      {
        invariant: "nonmonotonic-poll",
        message: expect.stringContaining("offset 2 follows 0"),
        events: [f.complete],
      },
    ]);
  });

  it("catches a continuing fetch that re-read what the previous one read", () => {
    const s = new Script();
    s.topic("t");
    const f1 = s.polled("c1", "t", 0, 0, "0=a 1=b");
    const f2 = s.polled("c1", "t", 0, 2, "1=b 2=c");
    const v = nonmonotonicPoll.check(s.history);
    expect(v.map((x) => x.events)).toEqual([[f1.complete, f2.complete]]);
    expect(v[0].message).toContain("returned offsets 1 again");
  });

  it("catches a lone fetch returning offsets below the one it asked for", () => {
    const s = new Script();
    s.topic("t");
    const f = s.polled("c1", "t", 0, 3, "2=c 3=d");
    expect(nonmonotonicPoll.check(s.history).map((x) => x.events)).toEqual([[f.complete]]);
  });

  it("passes contiguous fetches continuing one another, and a re-read after a rebalance", () => {
    const s = new Script();
    s.topic("t");
    s.polled("c1", "t", 0, 0, "0=a 1=b");
    s.polled("c1", "t", 0, 2, "2=c");
    s.synced("c1", "g", 1, ["t-0"]);
    s.polled("c1", "t", 0, 1, "1=b 2=c");
    expect(nonmonotonicPoll.check(s.history)).toEqual([]);
  });
});

describe("nonmonotonic-send", () => {
  it("catches a later send landing below an earlier acknowledged one", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const a = s.sent("p1", "t", 0, "a", 5);
    const b = s.sent("p1", "t", 0, "b", 3);
    expect(nonmonotonicSend.check(s.history)).toEqual([
      {
        invariant: "nonmonotonic-send",
        message: expect.stringContaining("below its earlier a at offset 5"),
        events: [a.complete, b.complete],
      },
    ]);
  });

  it("passes concurrent sends in either order", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const a = s.start("p1", s.produceOp("p1", "t", 0, "a"));
    const b = s.start("p1", s.produceOp("p1", "t", 0, "b"));
    a.ok({ partition: 0, offset: 5 });
    b.ok({ partition: 0, offset: 3 });
    s.sent("p1", "t", 0, "c", 6);
    expect(nonmonotonicSend.check(s.history)).toEqual([]);
  });

  it("passes different producers interleaving", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.sent("p1", "t", 0, "a", 5);
    s.sent("p2", "t", 0, "b", 3);
    expect(nonmonotonicSend.check(s.history)).toEqual([]);
  });
});

describe("monotonic-high-watermark", () => {
  it("catches listOffsets latest below an earlier fetch's high watermark", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const f = s.polled("c1", "t", 0, 0, "0=a", { hw: 4 });
    const l = s.latest("t", 0, 2);
    expect(monotonicHighWatermark.check(s.history)).toEqual([
      {
        invariant: "monotonic-high-watermark",
        message: expect.stringContaining(
          "listOffsets #4/#5 saw high watermark 2 after fetch #2/#3 had seen 4",
        ),
        events: [f.complete, l.complete],
      },
    ]);
  });

  it("catches listOffsets latest going backwards", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    const l1 = s.latest("t", 0, 5);
    s.polled("c1", "t", 0, 0, "0=a", { hw: 3 });
    const l2 = s.latest("t", 0, 4);
    expect(monotonicHighWatermark.check(s.history).map((x) => x.events)).toEqual([
      [l1.complete, l2.complete],
    ]);
  });

  it("passes a fetch whose high watermark lags after a failover (Kafka returns the new leader's)", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.polled("c1", "t", 0, 0, "0=a", { hw: 4 });
    s.fault({ kind: "crash", broker: 1 });
    s.polled("c2", "t", 0, 0, "0=a", { hw: 3 });
    expect(monotonicHighWatermark.check(s.history)).toEqual([]);
  });

  it("passes overlapping reads that disagree, and a min.insync.replicas=1 topic after a crash", () => {
    const s = new Script();
    s.topic("t", { minIsr: 2 });
    s.topic("weak", { minIsr: 1 });
    const slow = s.start("admin", { kind: "listOffsets", topic: "t", partition: 0, at: "latest" });
    s.polled("c2", "t", 0, 0, "0=a", { hw: 4 });
    slow.ok({ offset: 3 });
    s.latest("weak", 0, 4);
    s.fault({ kind: "crash", broker: 1 });
    s.latest("weak", 0, 2);
    expect(monotonicHighWatermark.check(s.history)).toEqual([]);
  });
});
