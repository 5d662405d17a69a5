/** Kafka record formats: RecordBatch v2 (read and write), legacy message sets v0/v1 (read, convert). */
export * from "./batch.ts";
export * from "./compression.ts";
export * from "./errors.ts";
export * from "./legacy.ts";
export * from "./reencode.ts";
export * from "./types.ts";
export * from "./varint.ts";
