// Single broker, 2 partitions: with no key, kafkajs spreads messages over the partitions.
// PARTITION=0 sends every message to partition 0 only; KEYED=1 sends keys (murmur2, as Kafka's Java client).
import { COUNT, emit, fakeUser, kafka, TOPIC } from "./common.mjs";

const producer = kafka("tutorial-producer").producer();
await producer.connect();
for (let seq = 0; seq < COUNT; seq++) {
  const message = { value: JSON.stringify(fakeUser(seq)) };
  if (process.env.PARTITION !== undefined) message.partition = Number(process.env.PARTITION);
  if (process.env.KEYED) message.key = `user-${seq}`;
  const [meta] = await producer.send({
    topic: TOPIC,
    acks: Number(process.env.ACKS ?? "-1"),
    messages: [message],
  });
  emit("sent", {
    topic: meta.topicName,
    partition: meta.partition,
    offset: Number(meta.baseOffset),
    seq,
    key: message.key,
  });
}
await producer.disconnect();
