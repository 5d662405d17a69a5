// Creates the tutorial's topic: PARTITIONS (default 2) and REPLICATION (default 1).
import { emit, kafka, TOPIC } from "./common.mjs";

const admin = kafka("tutorial-admin").admin();
await admin.connect();
const partitions = Number(process.env.PARTITIONS ?? "2");
const replicationFactor = Number(process.env.REPLICATION ?? "1");
const created = await admin.createTopics({
  topics: [{ topic: TOPIC, numPartitions: partitions, replicationFactor }],
});
emit(created ? "created" : "exists", { topic: TOPIC, partitions, replication: replicationFactor });
await admin.disconnect();
