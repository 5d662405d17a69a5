/**
 * Brokers and ZooKeeper run in detached process groups; when the process that started them dies
 * without running its exit hooks (SIGKILL, a test worker torn down), the reaper kills them.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const ROOT = join(fileURLToPath(import.meta.url), "..", "..", "..");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it("kills a detached child's process group when its parent is killed with SIGKILL", async () => {
  const parent = spawn(
    process.execPath,
    [join(ROOT, "bin/run-ts.mjs"), join(ROOT, "test/cluster/fixtures/detached-child.ts")],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const pid = await new Promise<number>((resolve, reject) => {
    let out = "";
    parent.stdout?.on("data", (d) => {
      out += String(d);
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    parent.once("exit", () => reject(new Error("the parent exited before starting its child")));
  });
  try {
    expect(alive(pid)).toBe(true);
    parent.kill("SIGKILL");
    const deadline = Date.now() + 10_000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(alive(pid)).toBe(false);
  } finally {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone, as it should be.
    }
  }
}, 30_000);
