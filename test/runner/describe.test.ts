import { describe, expect, it } from "vitest";
import { describeOperation, type Operation } from "../../spec/operations.ts";

const produce = (partitioner: Extract<Operation, { kind: "produce" }>["partitioner"]): Operation => ({
  kind: "produce",
  producer: "p1",
  topic: "t0",
  key: "k1",
  value: "v1",
  partitioner,
  acks: -1,
  idempotent: false,
});

describe("describeOperation", () => {
  it.each([
    [
      produce({ kind: "custom", name: "byKeyLength" }),
      "produce p1 t0 key=k1 value=v1 custom:byKeyLength acks=all",
    ],
    [produce({ kind: "explicit", partition: 2 }), "produce p1 t0 key=k1 value=v1 p2 acks=all"],
    [produce({ kind: "murmur2" }), "produce p1 t0 key=k1 value=v1 murmur2 acks=all"],
    [
      {
        kind: "commitOffsets",
        groupId: "g0",
        member: "",
        generation: -1,
        offsets: [{ topic: "t0", partition: 0, offset: 3 }],
      } satisfies Operation,
      "commitOffsets (simple) group=g0 gen=-1 t0-0@3",
    ],
    [
      {
        kind: "commitOffsets",
        groupId: "g0",
        member: "c1",
        generation: 2,
        offsets: [{ topic: "t0", partition: 1, offset: 5 }],
      } satisfies Operation,
      "commitOffsets c1 group=g0 gen=2 t0-1@5",
    ],
  ])("%#: %s", (op, line) => {
    expect(describeOperation(op)).toBe(line);
    expect(line).not.toMatch(/ {2}/);
  });
});
