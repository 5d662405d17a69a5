import { describe, expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";

describe("ClusterModel smoke", () => {
  it("creates a topic, produces with acks=all and fetches it back", async () => {
    const m = new ClusterModel();
    await m.start({ brokers: 3, seed: 7, config: {} });
    const created = await m.execute({
      kind: "createTopic",
      topic: "t",
      partitions: 3,
      replicationFactor: 3,
      config: { minInsyncReplicas: 2 },
    });
    expect(created.status).toBe("ok");
    const produced = await m.execute({
      kind: "produce",
      producer: "p1",
      topic: "t",
      key: "k1",
      value: "v1",
      partitioner: { kind: "explicit", partition: 1 },
      acks: -1,
      idempotent: false,
    });
    expect(produced).toEqual({ status: "ok", value: { partition: 1, offset: 0 } });
    const fetched = await m.execute({
      kind: "fetch",
      consumer: "c1",
      topic: "t",
      partition: 1,
      offset: 0,
      maxRecords: 10,
    });
    expect(fetched.status).toBe("ok");
    const obs = await m.observe();
    console.log(JSON.stringify(obs.partitions[1]), obs.controller);
  });
});
