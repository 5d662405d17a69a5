/**
 * Implementation bugs the long conformance sweeps found, replayed against the embedded target. A bug still
 * open is marked `it.fails` (so `npm test` stays green and the test turns red once it is fixed: then make it
 * a plain `it`); a fixed one is a plain `it`.
 *
 * KIP-207 (Kafka 2.2+), fixed: impl/node/broker-node.ts answered ListOffsets "latest" with the leader's high
 * watermark even while that lagged the start offset of the leader's epoch (Replica.leaderEpochStartOffset, set
 * in becomeLeader). Kafka's Partition.fetchOffsetForTimestamp answers OFFSET_NOT_AVAILABLE then, so a client
 * never sees the latest offset go back across a failover. Seed 30: HW 1 seen, all three brokers crash, broker 1
 * restarts with its HW checkpoint at 0 and its log end at 1, leads again (broker 3 is still registered, so in
 * the ISR, and never fetches), and ListOffsets latest answered 0. Seeds 27 and 35 are the same bug.
 */
import { describe, expect, it } from "vitest";
import { createEmbeddedTarget } from "../../impl/embedded/index.ts";
import { loadReferenceSuite, type RunCheckOptions, runCheck } from "../../spec/runner.ts";

const replay = async (seed: number, opsPerRun: number, token: string) => {
  const suite = await loadReferenceSuite();
  const options: RunCheckOptions = {
    ...suite,
    target: () => createEmbeddedTarget(),
    runs: 1,
    opsPerRun,
    seed,
    brokers: 3,
    faults: ["crash", "restart", "isolate", "session", "time"],
    replay: token,
  };
  return runCheck(options);
};

describe("model sweeps against the embedded target: implementation bugs", () => {
  for (const [seed, token] of [
    [
      30,
      "1312:0:0:0:0:14:13:20:26:33:34:48:55:62:67:77:33:38:38:39:39:42:43:42:42:43:33:36:36:36:38:39:39:39:40:40@ABBBAFAACCAAABADAAAAADABAECECAABADACAAABBAAAACDBABACAAAFBGBBAAAABAAADBAAABBHACBD/w////////IA//////////u:qqqqqqqqqqqqqy/9/B",
    ],
    [
      35,
      "1489:0:0:0:0:0:0:6:5:11:12:25:26:33:38:35:35:40:41:47:47:52:53:54:25:26:27:27:27:27:27:27:27:27:30:32:32:32:32:32:32:32:33:33:33:33:33@AACAHACABBAHFAABDDBCCDABAEBAEDACACBBAAABADAHAKBCBABABAABAAFADABABCCAAIA///////////////7A////H:qqqqqqqqqqqq//3H",
    ],
  ] as const)
    it(`seed ${seed} (--ops 100): ListOffsets latest below an earlier high watermark (KIP-207)`, async () => {
      const result = await replay(seed, 100, token);
      expect(result.failure?.findings).toBeUndefined();
    });
});
