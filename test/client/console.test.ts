/**
 * The console helpers end to end against our own cluster: create and describe a topic, produce lines,
 * consume them as a group member, and a second consumer of the same group resumes after the committed
 * offsets. Bad arguments exit 2 with the usage line.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consumeCommand } from "../../cli/commands/consume.ts";
import { produceCommand } from "../../cli/commands/produce.ts";
import { topicsCommand } from "../../cli/commands/topics.ts";
import { bufferIo } from "../../cli/io.ts";
import { main } from "../../cli/main.ts";
import { OUR_CLUSTER, type RunningCluster } from "./brokers.ts";

let stdin: string[] = [];
const commands = [
  topicsCommand,
  produceCommand(async function* () {
    yield* stdin;
  }),
  consumeCommand,
];

async function run(argv: string[]) {
  const io = bufferIo();
  const code = await main(argv, io, commands);
  return { code, out: io.stdout, err: io.stderr.join("\n") };
}

describe("argument errors exit 2 with the usage line", () => {
  it.each([
    [["topics", "--list"], /--bootstrap-server HOST:PORT is required/],
    [["topics", "--bootstrap-server", "h:1", "--list", "--describe"], /exactly one of/],
    [["topics", "--bootstrap-server", "h:1", "--create"], /--create needs --topic/],
    [["topics", "--bootstrap-server", "nohost", "--list"], /must be HOST:PORT/],
    [["produce", "--bootstrap-server", "h:1", "--topic", "t", "--acks", "2"], /--acks must be all, 1 or 0/],
    [["consume", "--bootstrap-server", "h:1"], /--topic is required/],
    [["consume", "--bootstrap-server", "h:1", "--topic", "t", "--max-messages", "x"], /must be an integer/],
  ])("%j", async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).toMatch(/usage: kafkaspec /);
  });
});

describe("console helpers against our cluster", () => {
  let cluster: RunningCluster;
  const topic = `console-${randomUUID().slice(0, 8)}`;
  beforeAll(async () => {
    cluster = await OUR_CLUSTER.start();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it("creates, describes and lists a topic; a second create fails with Kafka's error", async () => {
    const b = ["--bootstrap-server", cluster.bootstrap];
    expect(await run(["topics", ...b, "--create", "--topic", topic, "--partitions", "2"])).toMatchObject({
      code: 0,
      out: [`Created topic ${topic}.`],
    });
    const again = await run(["topics", ...b, "--create", "--topic", topic]);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/TOPIC_ALREADY_EXISTS/);
    const d = await run(["topics", ...b, "--describe", "--topic", topic]);
    expect(d.out[0]).toBe(`Topic: ${topic}\tPartitionCount: 2\tReplicationFactor: 1`);
    expect(d.out.slice(1).map((l) => l.split("\t")[2])).toEqual(["Partition: 0", "Partition: 1"]);
    expect((await run(["topics", ...b, "--list"])).out).toContain(topic);
  });

  it("produces lines and a group member consumes them; the group resumes after its commits", async () => {
    const b = ["--bootstrap-server", cluster.bootstrap];
    stdin = ["one", "two", "three"];
    expect((await run(["produce", ...b, "--topic", topic, "--key", "k"])).code).toBe(0);
    expect((await run(["produce", ...b, "--topic", topic, "--value", "four", "--acks", "1"])).code).toBe(0);
    const first = await run([
      "consume",
      ...b,
      "--topic",
      topic,
      "--group",
      "cg",
      "--from-beginning",
      "--max-messages",
      "3",
    ]);
    expect(first.code).toBe(0);
    expect(first.out).toHaveLength(3);
    const rest = await run([
      "consume",
      ...b,
      "--topic",
      topic,
      "--group",
      "cg",
      "--from-beginning",
      "--timeout-ms",
      "1500",
    ]);
    expect([...first.out, ...rest.out].sort()).toEqual(["four", "one", "three", "two"]);
    // One key, one partition: its records come back in the order they were written.
    expect([...first.out, ...rest.out].filter((v) => v !== "four")).toEqual(["one", "two", "three"]);
  }, 60_000);
});
