/**
 * `kafkaspec cluster` restarted on the same data directory keeps its topics (the embedded metadata
 * snapshot) and its records (the logs on disk): what a developer expects after stopping the cluster.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { startCluster } from "../../impl/broker/cluster.ts";
import { METADATA_SNAPSHOT_FILE } from "../../impl/broker/metadata-snapshot.ts";
import { freePortRange, kcat } from "../interop/support.ts";

const dataDir = mkdtempSync(join(tmpdir(), "kafkaspec-restart-test-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

it("keeps topics and records across a restart of the whole cluster", async () => {
  const port = await freePortRange(2);
  const options = {
    brokers: 2,
    port,
    dataDir,
    properties: { "offsets.topic.num.partitions": "1" },
    log: () => {},
  };
  const first = await startCluster(options);
  const values = Array.from({ length: 40 }, (_, i) => `r${i}`);
  const p = await kcat(
    ["-b", first.bootstrap, "-P", "-t", "kept", "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
  expect(p.code, p.stderr).toBe(0);
  await first.stop();
  expect(existsSync(join(dataDir, METADATA_SNAPSHOT_FILE))).toBe(true);

  const second = await startCluster(options);
  try {
    const c = await kcat([
      "-b",
      second.bootstrap,
      "-C",
      "-t",
      "kept",
      "-o",
      "beginning",
      "-e",
      "-f",
      "%o %s\\n",
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim().split("\n")).toEqual(values.map((v, i) => `${i} ${v}`));
    // New writes continue after the old ones.
    const more = await kcat(["-b", second.bootstrap, "-P", "-t", "kept", "-X", "acks=all"], "after\n");
    expect(more.code, more.stderr).toBe(0);
    const tail = await kcat(["-b", second.bootstrap, "-C", "-t", "kept", "-o", "-1", "-e", "-f", "%o %s\\n"]);
    expect(tail.stdout.trim()).toBe("40 after");
  } finally {
    await second.stop();
  }
});
