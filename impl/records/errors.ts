import type { KafkaErrorName } from "../../spec/errors.ts";

/**
 * A record-format failure carrying the Kafka error a broker answers with, so a produce handler can
 * map it straight to a response code (CORRUPT_MESSAGE, UNSUPPORTED_COMPRESSION_TYPE, INVALID_RECORD...).
 */
export class RecordFormatError extends Error {
  readonly error: KafkaErrorName;
  constructor(error: KafkaErrorName, message: string) {
    super(`${error}: ${message}`);
    this.name = "RecordFormatError";
    this.error = error;
  }
}
