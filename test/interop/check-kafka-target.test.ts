/**
 * The conformance suite's `kafka` target (any Kafka-protocol cluster by bootstrap address) against our
 * own cluster process: `kafkaspec check --target kafka --faults none --runs 50` must pass (exit 0).
 * `npm test` runs 10 of them to stay inside its time budget; `npm run test:kafka-target` runs all 50.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type ClusterProcess, freePortRange, ROOT, run, startCluster } from "./support.ts";

const RUNS = Number(process.env.CHECK_KAFKA_RUNS ?? "10");
let cluster: ClusterProcess;

beforeAll(async () => {
  cluster = await startCluster({ brokers: 3, port: await freePortRange(3) });
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster?.dataDir) rmSync(cluster.dataDir, { recursive: true, force: true });
});

it(`kafkaspec check --target kafka --faults none --runs ${RUNS} passes against kafkaspec cluster`, async () => {
  const args = [
    join(ROOT, "bin/kafkaspec.mjs"),
    "check",
    "--target",
    "kafka",
    "--bootstrap",
    cluster.bootstrap,
  ];
  const r = await run(
    process.execPath,
    [...args, "--faults", "none", "--runs", String(RUNS)],
    {},
    { timeoutMs: 560_000 },
  );
  // On failure the output holds the seed and the shrunk counterexample (and the command that replays it).
  expect(r.code, `${r.stdout}\n${r.stderr}\ncluster log:\n${cluster.log().slice(-4000)}`).toBe(0);
  expect(r.stdout).toMatch(/^PASS/m);
  expect(r.stdout).toMatch(new RegExp(`runs:\\s+${RUNS}\\b`));
}, 600_000);
