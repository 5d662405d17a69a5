/**
 * Fuzzes a live broker (`kafkaspec cluster --brokers 1`, a child process) with hostile bytes: requests of
 * every api key built from the schemas, then flipped, truncated, lying about their length, garbage,
 * huge or negative length prefixes, unknown apis and versions, pipelined with a broken one, over many
 * connections at once. Afterwards the broker must still be alive, answer ApiVersions and Metadata,
 * and carry a produce/fetch round trip; its log must show no uncaught or internal error.
 *
 * The seed is printed; `FUZZ_SEED=<seed> FUZZ_CASES=<n> npx vitest run test/fuzz` replays a run.
 */
import { rmSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { decodeResponse, encodeRequest } from "../../impl/protocol/index.ts";
import { type ClusterProcess, EXTERNAL, freePortRange, kcat, startCluster } from "../interop/support.ts";
import { type FuzzCase, fuzzCase } from "./frames.ts";

/**
 * A fresh seed each run (printed with its replay command), plus REGRESSION_SEEDS below replayed every
 * time. FUZZ_SEED=<seed> replays one. (npm test replayed the fixed seed 2071850000 while the EMFILE finding
 * was open. After its fix and the pipelined-epoch fix in frames.ts, 10 of 13 random runs passed on a
 * loaded machine; the 3 failures were the wait-timer artefact fixed in send; then 7 of 7 passed.)
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 0x7fffffff));
const CASES = Number(process.env.FUZZ_CASES ?? 3000);
/** Connections in flight at once. */
const PARALLEL = 64;
/** Connections opened and held open together at the end. */
const HELD = 400;

let cluster: ClusterProcess;
let host: string;
let port: number;

beforeAll(async () => {
  console.log(
    `fuzz seed ${SEED} (${CASES} cases); replay: FUZZ_SEED=${SEED} FUZZ_CASES=${CASES} npx vitest run test/fuzz`,
  );
  cluster = await startCluster({ brokers: 1, port: await freePortRange(1) });
  [host, port] = [cluster.bootstrap.split(":")[0], Number(cluster.bootstrap.split(":")[1])];
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (cluster?.dataDir) rmSync(cluster.dataDir, { recursive: true, force: true });
});

/** Sends the case's bytes on a fresh connection; resolves on close, or after a short wait for answers. */
function send(c: FuzzCase, waitMs: number): Promise<{ answered: boolean; closed: boolean }> {
  return new Promise((resolve) => {
    const socket: Socket = createConnection({ host, port });
    let answered = false;
    let settled = false;
    const done = (closed: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ answered, closed });
    };
    // Decide after the next poll phase, not in the timer: on a starved machine a loop turn can outlast
    // waitMs, and the timer phase runs before the I/O that already arrived (the answer, the close).
    const timer = setTimeout(() => setImmediate(() => done(false)), waitMs);
    socket.on("data", () => {
      answered = true;
    });
    socket.on("error", () => done(true));
    socket.on("close", () => done(true));
    socket.on("connect", () => socket.write(c.bytes));
  });
}

/** One request and its response over a fresh connection, decoded with our codec. */
async function request<K extends 3 | 18>(apiKey: K, apiVersion: number, body: unknown) {
  const socket = createConnection({ host, port });
  await new Promise<void>((res, rej) => {
    socket.once("connect", res);
    socket.once("error", rej);
  });
  const frame = Buffer.concat(
    encodeRequest({ apiKey, apiVersion, correlationId: 7, clientId: "fuzz-check" } as never, body as never),
  );
  const response = await new Promise<Buffer>((res, rej) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => rej(new Error(`no answer to api ${apiKey}`)), 10_000);
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        clearTimeout(timer);
        res(buf.subarray(4, 4 + buf.readInt32BE(0)));
      }
    });
    socket.once("error", rej);
    socket.write(frame);
  });
  socket.destroy();
  const decoded = decodeResponse(apiKey, apiVersion, response);
  if (!decoded.ok) throw new Error(`undecodable answer to api ${apiKey}`);
  expect(decoded.value.correlationId).toBe(7);
  return decoded.value.body as Record<string, unknown>;
}

const UNCAUGHT =
  /uncaught|unhandled|internal error|TypeError|RangeError|ReferenceError|FATAL|heap out of memory/i;

type Tally = Map<string, { sent: number; answered: number; closed: number }>;

/** Sends cases [0, cases) of `seed` over PARALLEL connections at a time; fails at once if the broker dies. */
async function fuzzRun(seed: number, cases: number): Promise<Tally> {
  const byMutation: Tally = new Map();
  let next = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < cases) {
      const c = fuzzCase(seed, next++);
      const { answered, closed } = await send(c, 150);
      const m = byMutation.get(c.mutation) ?? { sent: 0, answered: 0, closed: 0 };
      m.sent++;
      if (answered) m.answered++;
      if (closed) m.closed++;
      byMutation.set(c.mutation, m);
      if (cluster.process && (cluster.process.exitCode !== null || cluster.process.signalCode !== null))
        throw new Error(
          `broker died at case ${c.index} (${c.mutation}, api ${c.apiKey}), seed ${seed}\n${cluster.log().slice(-3000)}`,
        );
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  console.log(
    `fuzz seed ${seed}: ${cases} cases in ${Date.now() - started} ms; sent/answered/closed by mutation: ${JSON.stringify(Object.fromEntries(byMutation))}`,
  );
  return byMutation;
}

/** Handler failures ("... failed: ...") and uncaught errors in a stretch of the broker log. */
function logProblems(log: string): { failed: Record<string, number>; bad: string[] } {
  const failed = new Map<string, number>();
  for (const l of log.split("\n").filter((x) => / failed: /.test(x))) {
    const kind = l.replace(/^.*\] (\w+ v\d+) from .*? failed: (.{0,100}).*$/, "$1: $2");
    failed.set(kind, (failed.get(kind) ?? 0) + 1);
  }
  return { failed: Object.fromEntries(failed), bad: log.split("\n").filter((l) => UNCAUGHT.test(l)) };
}

/**
 * Seeds that once found a broker bug, replayed (first `cases` cases, enough to reach the finding) on
 * every run. 1560090197: case 789 grows fuzz-a to 8196 partitions (CreatePartitions with one flipped
 * bit); the broker ran out of file descriptors and stopped accepting connections. Now refused by
 * max.partitions, and storage holds no descriptor per idle partition.
 */
const REGRESSION_SEEDS: ReadonlyArray<{ seed: number; cases: number }> = [{ seed: 1560090197, cases: 1000 }];

it("survives random and mutated frames over many connections, then still serves clients", async () => {
  const byMutation = await fuzzRun(SEED, CASES);
  const counts = () =>
    `seed ${SEED}: ${JSON.stringify(Object.fromEntries(byMutation))}\nbroker log:\n${cluster.log().slice(-3000)}`;
  // Every case kind was tried; the broker hung up on no well-formed request (some are held, as a Fetch
  // with a long maxWaitMs, or get no answer, as a Produce with acks=0).
  expect(byMutation.size).toBe(12);
  const valid = byMutation.get("valid") ?? { sent: 0, answered: 0, closed: 0 };
  expect(valid.closed, counts()).toBe(0);
  // (How many are answered within the 150 ms a case waits depends on the machine's load.)
  expect(valid.answered, counts()).toBeGreaterThan(0);

  expect(cluster.process?.exitCode ?? null).toBeNull();
  expect(cluster.process?.signalCode ?? null).toBeNull();

  // Many connections at once, each holding half a frame open: the broker keeps serving new clients.
  const held = await Promise.all(
    Array.from(
      { length: HELD },
      (_, i) =>
        new Promise<Socket>((res) => {
          const s = createConnection({ host, port });
          s.on("error", () => {});
          s.once("connect", () => {
            const bytes = fuzzCase(SEED, CASES + i).bytes;
            s.write(bytes.subarray(0, Math.max(1, bytes.length >> 1)));
            res(s);
          });
          s.once("close", () => res(s));
        }),
    ),
  );
  const whileHeld = await request(18, 3, { clientSoftwareName: "fuzz", clientSoftwareVersion: "1" });
  expect(whileHeld.errorCode).toBe(0);
  for (const s of held) s.destroy();

  const versions = await request(18, 3, { clientSoftwareName: "fuzz", clientSoftwareVersion: "1" });
  expect(versions.errorCode).toBe(0);
  expect((versions.apiKeys as unknown[]).length).toBeGreaterThan(10);
  const metadata = await request(3, 9, { topics: null, allowAutoTopicCreation: false });
  const brokers = (metadata.brokers as { nodeId: number }[]).map((b) => b.nodeId);
  if (EXTERNAL) expect(brokers.length).toBeGreaterThan(0);
  else expect(brokers).toEqual([1]);

  const topic = `fuzz-roundtrip-${SEED}`;
  const values = Array.from({ length: 20 }, (_, i) => `after-fuzz-${i}`);
  const p = await kcat(
    ["-b", `${host}:${port}`, "-P", "-t", topic, "-X", "acks=all"],
    `${values.join("\n")}\n`,
  );
  expect(p.code, `kcat produce: ${p.stderr}\nbroker log:\n${cluster.log().slice(-4000)}`).toBe(0);
  const c = await kcat([
    "-b",
    `${host}:${port}`,
    "-C",
    "-t",
    topic,
    "-o",
    "beginning",
    "-e",
    "-f",
    "%o %s\\n",
  ]);
  expect(c.code, `kcat consume: ${c.stderr}\nbroker log:\n${cluster.log().slice(-4000)}`).toBe(0);
  expect(c.stdout.trim().split("\n")).toEqual(values.map((v, i) => `${i} ${v}`));

  // Requests a handler could not serve are answered UNKNOWN_SERVER_ERROR and logged: a decodable request
  // that makes a handler throw is a bug, even though the client got an answer.
  const { failed, bad } = logProblems(cluster.log());
  expect(bad, `seed ${SEED}: the broker log shows errors`).toEqual([]);
  expect(failed, `seed ${SEED}: handlers threw`).toEqual({});
}, 180_000);

it("replays the seeds of past findings and still serves", async () => {
  for (const { seed, cases } of REGRESSION_SEEDS) {
    const from = cluster.log().length;
    await fuzzRun(seed, cases);
    const versions = await request(18, 3, { clientSoftwareName: "fuzz", clientSoftwareVersion: "1" });
    expect(versions.errorCode, `seed ${seed}`).toBe(0);
    const { failed, bad } = logProblems(cluster.log().slice(from));
    expect(bad, `seed ${seed}: the broker log shows errors`).toEqual([]);
    expect(failed, `seed ${seed}: handlers threw`).toEqual({});
  }
}, 120_000);
