// Shared settings for the kafkajs versions of the tutorial's flows. Each script prints one JSON line
// per record it sends or reads, so test/interop can check where every message went.
import { Kafka, logLevel } from "kafkajs";

export const BOOTSTRAP = (process.env.KAFKA_BOOTSTRAP ?? "localhost:9092").split(",");
export const COUNT = Number(process.env.COUNT ?? "10");
export const TOPIC = process.env.TOPIC ?? "registered_user";

export function kafka(clientId) {
  return new Kafka({ clientId, brokers: BOOTSTRAP, logLevel: logLevel.ERROR, retry: { retries: 8 } });
}

export function emit(event, fields) {
  console.log(JSON.stringify({ event, ...fields }));
}

// The tutorial's producer sends Faker data; this stand-in keeps kafkajs examples dependency-free.
export function fakeUser(seq) {
  const names = ["Ada", "Grace", "Edsger", "Barbara", "Leslie", "Tony"];
  return { seq, name: `${names[seq % names.length]} ${seq}`, created_at: 2000 + (seq % 25) };
}
