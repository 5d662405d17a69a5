/**
 * A controller paused while every broker lost the store, resumed with no newer controller elected: its write is
 * refused and it must send no LeaderAndIsr (found by kafkaspec check --target model --faults ...,pause,... seed 7).
 */
import { expect, it } from "vitest";
import { ClusterModel } from "../../model/cluster.ts";
import { leaderInIsr } from "../../spec/invariants/state/leader-in-isr.ts";

it("a resumed controller whose write was refused leaves the leader in its own ISR", async () => {
  const m = new ClusterModel();
  // This seed places t0-0 on [3,2] with broker 2 as controller.
  await m.start({ brokers: 3, seed: 2147483643, config: {} });
  await m.inject({ kind: "pause", broker: 1 });
  await m.inject({ kind: "pause", broker: 2 });
  await m.execute({
    kind: "createTopic",
    topic: "t0",
    partitions: 1,
    replicationFactor: 2,
    config: { minInsyncReplicas: 1, uncleanLeaderElection: true },
  });
  expect((await m.observe()).partitions[0].replicas).toEqual([3, 2]);
  await m.inject({ kind: "pause", broker: 3 });
  await m.inject({ kind: "advanceTime", ms: 35000 });
  await m.inject({ kind: "resume", broker: 2 });
  const now = await m.observe();
  expect(now.partitions[0].leader).toBe(2); // elected unclean, the ISR reset to it
  expect(leaderInIsr.check(now)).toEqual([]);
});
