/**
 * False alarms the long conformance sweeps (`check --target embedded --runs 2000 --seed N`) found in the model
 * checker and the history invariants, replayed against the embedded target from each failure report's seed and
 * replay token. Each failed before its fix (the message is quoted) and must pass now; docs/model.md says why
 * Kafka allows each, and test/model/checker-relaxations.test.ts has a hand-made case next to a rejected one.
 *
 * A pass means something only if the replay is still the case that failed: the token's fingerprint proves the
 * generated steps are the same (a replay of another case is refused), and `shows` that the target still walks
 * them into the situation the checker once rejected (test/embedded/sweep-replay.ts).
 */
import { describe, expect, it } from "vitest";
import { firstMissing, replaySweepCase, type SweepCase } from "./sweep-replay.ts";

const cases: Array<SweepCase & { was: string }> = [
  {
    seed: 7,
    ops: 50,
    token:
      "386:0:0:2:2:13:0:9:12:13:19:23:30:31:28:29:28:25:25:25:25:25:25:25:25:25:25:25:27:26:30:30:30@CBBAAAACABACAABCCACBABBKAA/L/GA////q:qqqqy+#fa7caf9f",
    shows: [/"generation":3,/, /c4 complete joinGroup c4 group=g0 .*"generation":2,/],
    was: "joinGroup c4 got generation 2, not greater than the group's previous generation 2 (a follower of the stored generation)",
  },
  {
    seed: 22,
    ops: 100,
    token:
      "466:0:0:0:0:0:14:13:40:41:5:34:61:142:82:102:32:34:148:32:78:125:155:166:83:137:46:47:58:58:98:107:95:98:95:98:92:24:89:90:97:97:99:99:99:99:100:100:100:100:102:102:102:102:102:102:102:102:102:102:102:102:106:106:106:106:109:110:110:119:92:94:102:47:34:92:105:105:105:105:105:106:108:107:107:107:107:113:61:74:106:106:106:106@QBAAJAECCCBRAABBAFBEABAEAAACABBBAAACBCACAABCCBCBBAACATx/////////cAKANBAADABAFA///////////xA/////ZA////////////////////////q:qqqqqqqqq+fVV//+9///H#b19237ff",
    shows: [
      /c1 complete syncGroup c1 group=g1 gen=3 -> ok \{"assignment":\[\{"topic":"t1","partition":0\},\{"topic":"t1","partition":1\},\{"topic":"t1","partition":2\}\]\}/,
    ],
    lost: "session 3: the replay passes with the rule of 1a327a6 switched off (c1's generation-3 sync no longer gets [t1-0,t1-1,t1-2])",
    was: "syncGroup gave c1 [t1-0,t1-1,t1-2] in generation 3, but the leader assigned it [] (generation 3 handed out again by another coordinator)",
  },
  {
    seed: 23,
    ops: 100,
    token:
      "860:0:0:4:4:4:4:9:0:0:10:11:11:10:23:10:17:15:21:29:40:155:168:160:160:16:148:149:149:149:150:150:150:150:151:151:153:153:153:154:156:156:156:156:156:157:157:157:157:157:157:157:158:158:158:158:158:158:159:159:159:159:159:159:159:159:159:159:160:160:160:161:161:161:161:161:161:161:161:162:162:162:162:162:162:162:162:162:162:162:162:162:17:103:137:149:149:149:149:149:149:149:150:150:150:150:150@AAABRBAAFDBAACABAADACAAAABABBBABAFAAACABAGAAAAAFDABGABACAAABACBCACBAACAAABCDBE/2ZA//RA//pA///xA////////////////////////////////////////////////t:qqqqqqqqqqqqq0dv////////#7f477479",
    shows: [
      /c4 complete joinGroup c4 group=g1 .* -> ok/,
      /c4 complete commitOffsets \(simple\) group=g1 gen=-1 t1-0@1 -> ok/,
    ],
    lost: "session 3: the replay passes with the clock allowance switched off (STEP_SLACK_MS 0, no skew): the same steps no longer need it",
    was: "commitOffsets without a generation ok while member c4 is in group g1 (the simulator's clock ran 589 ms ahead)",
  },
  {
    seed: 25,
    ops: 100,
    token:
      "528:0:0:0:0:0:0:27:27:31:20:24:22:23:29:46:59:69:68:75:69:68:73:67:66:54:55:55:58:58:58:58:58:59:59:59:59:59:60:60:62:61:61:61:61:7:7:33:39:39:39:39:39@ABDBAAJAAAAASCHACBAAHBCAEACACAABAAAAEB////BAnAEACAFAFB////yA////////eA/c:VVVVVV9VVf/3#5988a283",
    shows: [
      /c1 complete fetchOffsets group=g0 -> ok .*"offset":1\}/,
      /crash broker/,
      /c1 complete fetchOffsets group=g0 -> ok .*"offset":-1\}/,
    ],
    was: "monotonic-committed-offsets: fetchOffsets read -1, below 1 read earlier (a zombie coordinator's cache)",
  },
  {
    seed: 34,
    ops: 100,
    token:
      "901:0:0:0:2:2:28:0:13:19:69:34:90:94:80:67:89:75:76:77:76:83:82:83:94:104:97:72:84:80:59:78:86:82:79:79:79:82:82:82:83:89:89:89:89:89:89:89:91:91:91:91:91:96:96:99:99:99:99:100:100:100:100:100:100:100:100:100:102:102:102:102:102:102@EADAECBACAAAAAAAAACABBBABCAABAACAADCBCJCBAAAAAEBCBAABAEAAAKAACBABABAAFANDA/////MA///////zADA//TA////uA/JA///////////////0:VVVVVVVVVVVV97fdf7//B#c1fed049",
    shows: [
      /c1 complete syncGroup c1 group=g1 gen=2 -> ok \{"assignment":\[\{"topic":"t0","partition":0\}\]\}/,
    ],
    was: "syncGroup gave c1 [t0-0] in generation 2, but the leader assigned it [] (generation 2 handed out again)",
  },
  {
    seed: 36,
    ops: 100,
    token:
      "130:0:0:2:2:2:2:16:0:20:27:6:34:110:6:125:204:87:22:22:142:57:9:71:46:63:57:32:49:51:51:51:51:54:54:54:56:56:57:60:60:60:60:63:63:63:63:67:68:69:75:75:75:75@AAAABAABEBEAAAABACBBCAADABAHBABDBBABAAABADAAADBDACAACABBBAAEBDCBBBAAAEBCBFBEDADDABl/////////////TAAA/AGA//////////h:qqqqqqqqqqqqqq//V9/B#d7df2830",
    shows: [
      /c4 complete syncGroup c4 group=g1 gen=4 -> ok \{"assignment":\[\{"topic":"t0","partition":2\},\{"topic":"t0","partition":3\}\]\}/,
    ],
    lost: "session 3: the replay passes with the rule of 1a327a6 switched off (c4's generation-4 sync no longer gets [t0-2,t0-3])",
    was: "syncGroup gave c4 [t0-2,t0-3] in generation 4, but the leader assigned it [] (generation 4 handed out again)",
  },
  {
    seed: 46,
    ops: 100,
    faults: ["crash", "restart", "pause", "isolate", "session", "time", "membership"],
    token:
      "325:0:0:0:0:0:19:20:21:22:11:22:23:32:32:34:35:17:19:21:23:23:23:23:23:24:24:24:25:25:25:25:25:25@AABBBAAAABACDAACAGAFDABABCBAADBADAAAACBAAABDABACACBAABACABBXA//HA//oA///L:qqqqqqqqqqu7B#f35b47be",
    shows: [
      /isolate/,
      /listOffsets t0-0 latest -> ok \{"offset":1\}/,
      /crash broker/,
      /listOffsets t0-0 latest -> ok \{"offset":0\}/,
    ],
    was: "monotonic-high-watermark: listOffsets saw 0 after 1 (the old leader, cut off since, answered after the new one crashed)",
  },
  {
    seed: 50,
    ops: 100,
    faults: ["crash", "restart", "pause", "isolate", "session", "time", "membership"],
    token:
      "1896:0:4:8:0:0:9:15:18:19:34:36:26:24:26:21:21:21:21:21:24:26:26:26:26:26:26:26:26:26:26:28:28:29:29:29:30:31@ICCCABBBAABBCAAACBBCAAAAEBDAABAABAACABABBBAAAECAABAADAACAAAAACABAACA//PADJAGBJAMBBBCA//////N:qqqqqqqqqqqiqq+D#807e0e49",
    shows: [
      /pause broker 3/,
      /c1 complete joinGroup c1 group=g1 .* -> ok/,
      /c2 complete commitOffsets \(simple\) group=g1 gen=-1 t0-0@1 -> ok/,
    ],
    was: "commitOffsets without a generation ok while member c1 is in group g1 (its join was answered by the paused, moved-away coordinator)",
  },
];

describe("model sweeps against the embedded target: replayed false alarms pass", () => {
  for (const c of cases)
    it(`seed ${c.seed} (--ops ${c.ops}): ${c.was}${c.lost !== undefined ? " (lost: replayed, no longer reaches it)" : ""}`, async () => {
      const { result, history } = await replaySweepCase(c);
      expect(result.replayWarning).toBeUndefined();
      expect(result.failure?.findings).toBeUndefined();
      expect(result.ok).toBe(true);
      if (c.lost !== undefined) return;
      const missing = firstMissing(history, c.shows);
      expect(
        missing,
        `the replay no longer shows ${missing}: the same steps no longer reach the false alarm, find a new case`,
      ).toBeNull();
    });
});
