/**
 * Produce (key 0). v0-2 message sets (up-converted), v3+ RecordBatch v2; v3 adds transactionalId (we
 * do not run transactions: the id is ignored), v5 logStartOffset, v8 per-record errors, v9 flexible.
 * acks=0 gets no response at all. Each batch is CRC-checked (CORRUPT_MESSAGE) and held to
 * message.max.bytes (MESSAGE_TOO_LARGE). A batch from an idempotent producer that repeats one of the
 * last five (producer id, epoch, base sequence) is answered with the original offset, not appended.
 * The leader stores the producer's batches as they are (offsets and leader epoch stamped), as Kafka does
 * with compression.type=producer; followers then copy those bytes.
 */
import type { KafkaErrorName } from "../../../spec/errors.ts";
import type { ProduceRequest, ProduceResponseInput } from "../../protocol/index.ts";
import { decodeProduceBatches, type TimedRecord } from "../record-codec.ts";
import { clampTimerMs } from "../timer-limit.ts";
import { code, type Handler, type RequestContext } from "./types.ts";

type Outcome = { error: KafkaErrorName | null; baseOffset: number };

function appendOne(
  ctx: RequestContext,
  topic: string,
  partition: number,
  records: Buffer | null,
  acks: 0 | 1 | -1,
  timeoutMs: number,
): Promise<Outcome> {
  const rt = ctx.runtime;
  if (records === null || records.length === 0)
    return Promise.resolve({ error: "CORRUPT_MESSAGE", baseOffset: -1 });
  const decoded = decodeProduceBatches(records);
  if (!decoded.ok) return Promise.resolve({ error: decoded.error, baseOffset: -1 });
  const max = rt.config.messageMaxBytes;
  if (decoded.batches.some((b) => b.size > max))
    return Promise.resolve({ error: "MESSAGE_TOO_LARGE", baseOffset: -1 });
  const all: TimedRecord[] = [];
  for (const b of decoded.batches) for (const r of b.records) all.push(r);
  const first = decoded.batches[0].header;
  const idempotent = first.producerId >= 0 && first.baseSequence >= 0;
  if (idempotent) {
    const seen = ctx.state.check(
      topic,
      partition,
      first.producerId,
      first.producerEpoch,
      first.baseSequence,
      all.length,
    );
    if (seen.kind === "duplicate") return seen.result as Promise<Outcome>;
    if (seen.kind === "fenced") return Promise.resolve({ error: "INVALID_PRODUCER_EPOCH", baseOffset: -1 });
    if (seen.kind === "out-of-order")
      return Promise.resolve({ error: "OUT_OF_ORDER_SEQUENCE_NUMBER", baseOffset: -1 });
  }
  // acks=0 still needs an acknowledged append inside the node; the client just hears nothing.
  const result = rt
    .call(
      {
        api: "produce",
        topic,
        partition,
        acks: acks === 0 ? 1 : acks,
        timeoutMs,
        records: all,
        // The producer's batches themselves: the leader keeps them (compression, producer id, sequence).
        batches: decoded.bytes,
      },
      clampTimerMs(timeoutMs + 5_000),
    )
    .then((r): Outcome => {
      if (r.api === "produce") return { error: r.error, baseOffset: r.baseOffset };
      return { error: r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR", baseOffset: -1 };
    });
  if (idempotent) {
    ctx.state.record(
      topic,
      partition,
      first.producerId,
      first.producerEpoch,
      first.baseSequence,
      all.length,
      result,
    );
  }
  return result;
}

/**
 * appendOne that never rejects: an acks=0 append is never awaited and the others are awaited one at a
 * time, so a rejection would go unhandled (and end the process). It becomes UNKNOWN_SERVER_ERROR and
 * one log line.
 */
function settledAppend(
  ctx: RequestContext,
  topic: string,
  partition: number,
  records: Buffer | null,
  acks: 0 | 1 | -1,
  timeoutMs: number,
): Promise<Outcome> {
  const failed = (e: unknown): Outcome => {
    ctx.runtime.log(
      `[broker ${ctx.runtime.brokerId}] produce to ${topic}-${partition} failed: ${e instanceof Error ? e.message : String(e)}`,
    );
    return { error: "UNKNOWN_SERVER_ERROR", baseOffset: -1 };
  };
  try {
    return appendOne(ctx, topic, partition, records, acks, timeoutMs).catch(failed);
  } catch (e) {
    return Promise.resolve(failed(e));
  }
}

export const produce: Handler<0> = async (ctx, body: ProduceRequest) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const acks = body.acks;
  const valid = acks === 0 || acks === 1 || acks === -1;
  // Every append is issued before the first await, so pipelined produces append in request order.
  const pending = body.topicData.map((t) => ({
    name: t.name,
    partitions: t.partitionData.map((p) => ({
      index: p.index,
      outcome: valid
        ? settledAppend(ctx, t.name, p.index, p.records, acks as 0 | 1 | -1, body.timeoutMs)
        : Promise.resolve<Outcome>({ error: "INVALID_REQUIRED_ACKS", baseOffset: -1 }),
    })),
  }));
  if (acks === 0) return null;
  const responses: ProduceResponseInput["responses"][number][] = [];
  for (const t of pending) {
    const partitionResponses = [];
    for (const p of t.partitions) {
      const o = await p.outcome;
      const replica = rt.node.replicas.get(`${t.name}\u0000${p.index}`);
      partitionResponses.push({
        index: p.index,
        errorCode: code(o.error),
        baseOffset: BigInt(o.error === null ? o.baseOffset : -1),
        logAppendTimeMs: -1n,
        logStartOffset: BigInt(replica?.log.logStartOffset ?? -1),
        recordErrors: [],
        errorMessage: null,
      });
    }
    responses.push({ name: t.name, partitionResponses });
  }
  return { responses, throttleTimeMs: 0 };
};
