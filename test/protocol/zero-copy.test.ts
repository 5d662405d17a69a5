/** RecordBatch bytes are never copied by the codec: encoded as their own chunk, decoded as a view. */
import { expect, it } from "vitest";
import { concatFrame, decodeResponse, encodeRequest, encodeResponse } from "../../impl/protocol/index.ts";

const batch = (n: number, fill: number) => Buffer.alloc(n, fill);

it("Fetch v12 response: records are chunks by identity, and decode to views of the frame", () => {
  const a = batch(5000, 1);
  const b = batch(10, 2);
  const partitions = [a, b].map((records, i) => ({
    partitionIndex: i,
    errorCode: 0,
    highWatermark: 1n,
    lastStableOffset: 1n,
    logStartOffset: 0n,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records,
  }));
  const chunks = encodeResponse(1, 12, 1, {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [{ topic: "t", partitions }],
  });
  // Even small batches are referenced, not copied.
  expect(chunks.filter((c) => c === a || c === b)).toHaveLength(2);
  const frame = concatFrame(chunks);
  const d = decodeResponse(1, 12, frame.subarray(4));
  if (!d.ok) throw new Error("decode failed");
  const got = d.value.body.responses[0].partitions.map((p) => p.records);
  for (const r of got) expect(r?.buffer).toBe(frame.buffer);
  expect(got).toEqual([a, b]);
});

it("Produce v9: the frame size counts the referenced records", () => {
  const records = batch(70_000, 3);
  const chunks = encodeRequest(
    { apiKey: 0, apiVersion: 9, correlationId: 1, clientId: null },
    { acks: 1, timeoutMs: 1, topicData: [{ name: "t", partitionData: [{ index: 0, records }] }] },
  );
  expect(chunks).toContain(records);
  const total = chunks.reduce((n, c) => n + c.length, 0);
  expect(chunks[0].readInt32BE(0)).toBe(total - 4);
});
