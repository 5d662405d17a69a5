/** The Kafka protocol codec: schemas as data, one codec, framing, and the versions we advertise. */
export * from "./codec.ts";
export * from "./framing.ts";
export { EncodeError } from "./message-codec.ts";
export * from "./messages/index.ts";
export * from "./types.ts";
export * from "./versions.ts";
