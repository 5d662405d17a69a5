import type { KafkaErrorName } from "../../spec/errors.ts";

/**
 * A storage failure carrying the Kafka error a broker answers with: OFFSET_OUT_OF_RANGE for a read
 * outside the log, CORRUPT_MESSAGE / INVALID_RECORD / MESSAGE_TOO_LARGE for a rejected append,
 * UNKNOWN_SERVER_ERROR for a follower append that does not continue the log.
 */
export class StorageError extends Error {
  readonly error: KafkaErrorName;
  constructor(error: KafkaErrorName, message: string) {
    super(`${error}: ${message}`);
    this.name = "StorageError";
    this.error = error;
  }
}
