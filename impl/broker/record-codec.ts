/**
 * Between the node's records (LogRecord: key, value, string headers) and Kafka's RecordBatch v2 bytes.
 * BrokerNode speaks records; clients and peers speak batches. Timestamps ride along as an extra
 * `timestamp` field on the record objects (the node passes record objects through untouched), and header
 * values are kept as latin1 strings so any bytes survive the round trip.
 */
import { checkBatch, iterateRecords, magicAt, readBatchHeader } from "../records/batch.ts";
import { legacyToBatchV2 } from "../records/legacy.ts";
import { encodeRuns } from "../records/reencode.ts";
import type { BatchHeader } from "../records/types.ts";
import {
  decodeEntries as decodeLogEntries,
  headersFromBytes,
  headersToBytes,
  type TimedEntry,
  type TimedRecord,
} from "../replication/replica-log.ts";

export type { TimedEntry, TimedRecord };

/** A batch read from the wire: its header (producer id, sequence) and its records. */
export interface DecodedBatch {
  header: BatchHeader;
  size: number;
  records: TimedRecord[];
}

export type BatchDecode =
  /** `bytes`: the batches as RecordBatch v2 (a legacy message set up-converted), what the leader stores. */
  | { ok: true; batches: DecodedBatch[]; bytes: Buffer }
  | {
      ok: false;
      error: "CORRUPT_MESSAGE" | "INVALID_RECORD" | "UNSUPPORTED_COMPRESSION_TYPE";
      reason: string;
    };

/** Checks (length, magic, CRC, inner offsets) and decodes every batch of a produce request's records. */
export function decodeProduceBatches(input: Buffer): BatchDecode {
  let buf = input;
  // Magic 0/1 message sets from old clients become one v2 batch first, as Kafka up-converts them.
  if (buf.length >= 17 && magicAt(buf) < 2) {
    try {
      buf = legacyToBatchV2(buf);
    } catch (e) {
      return { ok: false, error: "CORRUPT_MESSAGE", reason: e instanceof Error ? e.message : String(e) };
    }
  }
  const batches: DecodedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const c = checkBatch(buf, pos);
    if (!c.ok) return { ok: false, error: "CORRUPT_MESSAGE", reason: `batch at byte ${pos}: ${c.reason}` };
    const header = readBatchHeader(buf, pos);
    const records: TimedRecord[] = [];
    // The batch is stored and replicated as sent, so its inner offsets must be what readers compute them
    // to be: deltas 0, 1, 2, ... up to lastOffsetDelta (Kafka's LogValidator refuses others).
    let misnumbered: string | null = null;
    try {
      for (const r of iterateRecords(buf, pos)) {
        if (misnumbered === null && r.offset !== header.baseOffset + records.length)
          misnumbered = `record ${records.length} has offset delta ${r.offset - header.baseOffset}`;
        records.push({
          key: r.key,
          value: r.value,
          headers: headersFromBytes(r.headers, "latin1"),
          timestamp: r.timestamp,
        });
      }
    } catch (e) {
      const code = (e as { error?: string }).error;
      if (code === "UNSUPPORTED_COMPRESSION_TYPE") return { ok: false, error: code, reason: String(e) };
      return { ok: false, error: "CORRUPT_MESSAGE", reason: e instanceof Error ? e.message : String(e) };
    }
    if (records.length === 0) return { ok: false, error: "INVALID_RECORD", reason: "empty batch" };
    if (misnumbered === null && header.lastOffsetDelta !== records.length - 1)
      misnumbered = `lastOffsetDelta ${header.lastOffsetDelta} with ${records.length} records`;
    if (misnumbered !== null)
      return { ok: false, error: "INVALID_RECORD", reason: `batch at byte ${pos}: ${misnumbered}` };
    batches.push({ header, size: c.size, records });
    pos += c.size;
  }
  if (batches.length === 0) return { ok: false, error: "CORRUPT_MESSAGE", reason: "no record batch" };
  return { ok: true, batches, bytes: buf };
}

/**
 * Encodes log entries as RecordBatches (impl/records' encodeRuns): one batch per run of consecutive offsets
 * in one leader epoch, with the batch's base offset and partition leader epoch set, as a consumer expects.
 * Only for records the node answers with as objects; stored batches are served as they are.
 */
export function encodeEntries(entries: readonly TimedEntry[]): Buffer[] {
  return encodeRuns(
    entries.map((e) => ({
      offset: e.offset,
      leaderEpoch: e.epoch,
      key: e.key,
      value: e.value,
      headers: headersToBytes(e.headers, "latin1"),
      timestamp: e.timestamp,
    })),
  );
}

/** Decodes batches a leader sent (offsets and epochs set) into entries; a cut trailing batch is dropped. */
export function decodeEntries(buf: Buffer): TimedEntry[] {
  return decodeLogEntries(buf, "latin1");
}
