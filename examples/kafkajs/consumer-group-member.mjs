// One member of a consumer group; run several to watch them share a topic's partitions and rebalance.
// Runs for RUN_MS, printing its assignment on every rebalance and every record it reads.
import { emit, kafka, TOPIC } from "./common.mjs";

const member = process.env.MEMBER ?? "c1";
const consumer = kafka(`tutorial-${member}`).consumer({
  groupId: process.env.GROUP_ID ?? "registered_user_group",
  sessionTimeout: 10_000,
  heartbeatInterval: 500,
});
consumer.on(consumer.events.GROUP_JOIN, (e) => {
  const partitions = (e.payload.memberAssignment[TOPIC] ?? []).slice().sort((a, b) => a - b);
  emit("assigned", { member, generation: e.payload.generationId ?? null, partitions });
});
await consumer.connect();
await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    emit("received", {
      member,
      partition,
      offset: Number(message.offset),
      seq: JSON.parse(message.value.toString()).seq,
    });
  },
});
const stop = async () => {
  await consumer.disconnect();
  process.exit(0);
};
process.on("SIGTERM", stop);
setTimeout(stop, Number(process.env.RUN_MS ?? "20000"));
