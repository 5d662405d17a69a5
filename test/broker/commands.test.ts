/** `kafkaspec broker` and `kafkaspec cluster` reject bad arguments with a message, the usage line and exit 2. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bufferIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";
import { EXTERNAL, freePortRange, kcat, startCluster } from "../interop/support.ts";

async function runCli(argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io);
  return { code, err: io.stderr.join("\n"), out: io.stdout.join("\n") };
}

describe("bad arguments exit 2 with a message and the usage line", () => {
  const dir = mkdtempSync(join(tmpdir(), "kafkaspec-cmd-"));
  const badProps = join(dir, "bad.properties");
  writeFileSync(badProps, "broker.id=one\nlisteners=PLAINTEXT://localhost:9092\n");
  const cases: Array<[string[], RegExp]> = [
    [["broker"], /missing --config/],
    [["broker", "--config", join(dir, "missing.properties")], /cannot read/],
    [["broker", "--config", badProps], /broker\.id: "one" is not an integer/],
    [["broker", "--config", badProps, "--override", "nonsense"], /--override must be key=value/],
    [["cluster", "--brokers", "0"], /--brokers must be between 1 and 64/],
    [["cluster", "--port", "http"], /--port must be an integer/],
    [["cluster", "--bogus"], /Unknown option/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(" "), async () => {
      const r = await runCli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.err).toMatch(new RegExp(`usage: kafkaspec ${argv[0]} `));
    });
  }

  it("prints its usage on --help", async () => {
    const r = await runCli(["cluster", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/kafkaspec cluster \[--brokers N\]/);
  });
});

// Against an external cluster (INTEROP_BOOTSTRAP) there is no process of ours to signal.
describe.skipIf(EXTERNAL !== undefined)("kafkaspec cluster as a process", () => {
  it("prints one listening line per broker, serves kcat, and exits 0 on SIGTERM", async () => {
    const port = await freePortRange(2);
    const c = await startCluster({ brokers: 2, port });
    const child = c.process;
    if (child === null) throw new Error("startCluster returned no process");
    try {
      const md = await kcat(["-b", c.bootstrap, "-L"]);
      expect(md.stdout).toMatch(/ 2 brokers:/);
    } finally {
      const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
      await c.stop();
      expect(await exited).toBe(0);
    }
  });
});
