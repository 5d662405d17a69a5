import { it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import { Prng } from "../../model/prng.ts";
it("bench", async () => {
  const m = new ClusterModel();
  await m.start({ brokers: 3, seed: 1, config: {} });
  await m.execute({
    kind: "createTopic",
    topic: "t",
    partitions: 6,
    replicationFactor: 3,
    config: { minInsyncReplicas: 2 },
  });
  const rng = new Prng(5);
  const t0 = performance.now();
  const N = 20000;
  for (let i = 0; i < N; i++) {
    const r = rng.int(10);
    if (r < 6)
      await m.execute({
        kind: "produce",
        producer: "p",
        topic: "t",
        key: `k${rng.int(100)}`,
        value: `v${i}`,
        partitioner: { kind: "murmur2" },
        acks: -1,
        idempotent: false,
      });
    else if (r < 9)
      await m.execute({
        kind: "fetch",
        consumer: "c",
        topic: "t",
        partition: rng.int(6),
        offset: rng.int(100),
        maxRecords: 10,
      });
    else await m.inject({ kind: "advanceTime", ms: 100 });
  }
  const s = (performance.now() - t0) / 1000;
  console.log(`BENCH ${N} ops in ${s.toFixed(2)}s = ${Math.round(N / s)} ops/s`);
});
