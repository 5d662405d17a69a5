/**
 * The vocabulary of Kafka's record formats: a RecordBatch (magic 2) and its records, as the storage,
 * protocol and simulator layers all name them.
 */

/** Compression codecs by Kafka's `compression.type` names; the code is attributes bits 0-2. */
export type CompressionType = "none" | "gzip" | "snappy" | "lz4" | "zstd";

export const COMPRESSION_CODES: Readonly<Record<CompressionType, number>> = {
  none: 0,
  gzip: 1,
  snappy: 2,
  lz4: 3,
  zstd: 4,
};

export const COMPRESSION_BY_CODE: readonly CompressionType[] = ["none", "gzip", "snappy", "lz4", "zstd"];

/** CreateTime is the producer's clock; LogAppendTime is the broker's clock at append (attributes bit 3). */
export type TimestampType = "CreateTime" | "LogAppendTime";

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** A decoded record with its absolute offset and timestamp. */
export interface KafkaRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** What a producer supplies per record; offsets and deltas are assigned by the encoder. */
export interface RecordInput {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Milliseconds since the epoch; defaults to the batch's base timestamp. */
  timestamp?: number;
}

/** The fixed 61-byte header of a RecordBatch v2, decoded. */
export interface BatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field; the whole batch is batchLength + 12 bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

/** Options for encoding a batch; every field has Kafka's "no value" default. */
export interface BatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  compression?: CompressionType;
  timestampType?: TimestampType;
  /** Defaults to the first record's timestamp, else 0. */
  baseTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  isTransactional?: boolean;
  isControl?: boolean;
}
