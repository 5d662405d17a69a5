/**
 * Records the log already holds, written as new batches. Two cases need it: a log whose records are not
 * bytes yet (the in-memory replica log, the node's answer to a consumer when no stored batches are at
 * hand), and a stored batch that must be cut at an offset inside it (a follower truncating by leader epoch
 * keeps the records below the cut; a leader's batch straddling a follower's log end). Everything else is
 * kept byte for byte, as Kafka's followers keep their leader's batches.
 */
import {
  baseOffsetOf,
  compressionOf,
  encodeBatch,
  isControl,
  isTransactional,
  iterateRecords,
  readBatchHeader,
  timestampTypeOf,
} from "./batch.ts";
import { ENCODABLE_COMPRESSION } from "./compression.ts";
import type { RecordInput } from "./types.ts";

/** A record at its offset in a partition, written by the leader of `leaderEpoch`. */
export interface PlacedRecord extends RecordInput {
  offset: number;
  leaderEpoch: number;
}

/**
 * One uncompressed batch per run of consecutive offsets in one leader epoch, each with its base offset
 * and partition leader epoch set, as a follower or a consumer expects them. A record without a timestamp
 * takes its run's first timestamp, else `fallbackTimestamp`.
 */
export function encodeRuns(records: readonly PlacedRecord[], fallbackTimestamp = 0): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < records.length) {
    let j = i + 1;
    while (
      j < records.length &&
      records[j].leaderEpoch === records[i].leaderEpoch &&
      records[j].offset === records[j - 1].offset + 1
    )
      j++;
    const ts = records[i].timestamp ?? fallbackTimestamp;
    const run: RecordInput[] = [];
    for (let k = i; k < j; k++) {
      const r = records[k];
      run.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp ?? ts });
    }
    out.push(
      encodeBatch(run, {
        baseOffset: records[i].offset,
        partitionLeaderEpoch: records[i].leaderEpoch,
        baseTimestamp: ts,
      }),
    );
    i = j;
  }
  return out;
}

/** Kafka's sequence numbers wrap to 0 after Int32.MAX_VALUE. */
function sequenceAt(baseSequence: number, delta: number): number {
  if (baseSequence < 0) return baseSequence;
  return (baseSequence + delta) % 0x80000000;
}

/**
 * The records of the batch at `pos` whose offsets lie in [fromOffset, toOffset), as one batch with the
 * same header fields (partition leader epoch, producer id, epoch and the sequence of its first record,
 * timestamp type, transactional and control flags) and the same compression when this build can encode
 * it (zstd is written uncompressed). Null when no record of the batch is in the range.
 */
export function sliceBatch(buf: Buffer, pos: number, fromOffset: number, toOffset: number): Buffer | null {
  const h = readBatchHeader(buf, pos);
  const kept: RecordInput[] = [];
  let first = -1;
  for (const r of iterateRecords(buf, pos)) {
    if (r.offset < fromOffset || r.offset >= toOffset) continue;
    if (first < 0) first = r.offset;
    kept.push({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp });
  }
  if (kept.length === 0) return null;
  const compression = compressionOf(h.attributes);
  return encodeBatch(kept, {
    baseOffset: first,
    partitionLeaderEpoch: h.partitionLeaderEpoch,
    compression: ENCODABLE_COMPRESSION.includes(compression) ? compression : "none",
    timestampType: timestampTypeOf(h.attributes),
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: sequenceAt(h.baseSequence, first - baseOffsetOf(buf, pos)),
    isTransactional: isTransactional(h.attributes),
    isControl: isControl(h.attributes),
  });
}
