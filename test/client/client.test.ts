/**
 * The thin client against real brokers: Apache Kafka 3.9 when its jars are here, and our own cluster.
 * Each case is a protocol fact the suite relies on: offsets come back as Kafka assigns them, a fetch
 * starting inside a batch skips to its offset, acks=0 returns before anything is known, an idempotent
 * producer's sequence numbers are checked, MEMBER_ID_REQUIRED is part of one join, a second member's join
 * is held until the first rejoins, commits are fenced by generation.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KafkaClient } from "../../impl/client/client.ts";
import type { Reply } from "../../impl/client/types.ts";
import {
  assignedTopicPartitions,
  decodeAssignment,
  encodeAssignment,
  encodeSubscription,
} from "../../impl/group/consumer-protocol.ts";
import { CLUSTER_KINDS, type RunningCluster, reportUnavailable } from "./brokers.ts";

reportUnavailable();

function value<T>(r: Reply<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error} (${r.delivery}) ${r.message ?? ""}`);
  return r.value;
}

const join = (c: KafkaClient, groupId: string, memberId = "", topics = ["t"]) =>
  c.joinGroup({
    groupId,
    memberId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 10_000,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: encodeSubscription({ topics }) }],
  });

/** Kafka hands out coordinators and producer ids only once its internal state is loaded. */
async function untilOk<T>(f: () => Promise<Reply<T>>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const r = await f();
    if (r.ok) return r.value;
    if (Date.now() > deadline) throw new Error(`still ${r.error} after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

for (const kind of CLUSTER_KINDS) {
  describe.skipIf(kind.unavailable !== null)(`thin client against ${kind.name}`, () => {
    let cluster: RunningCluster;
    let client: KafkaClient;
    const topic = `client-${randomUUID().slice(0, 8)}`;

    beforeAll(async () => {
      cluster = await kind.start();
      client = new KafkaClient({
        bootstrap: [cluster.bootstrap],
        clientId: "client-test",
        requestTimeoutMs: 10_000,
      });
      // A broker just started may not know the controller yet (Kafka's metadata says -1 until its first
      // UpdateMetadata): the client then sends nothing and answers NOT_CONTROLLER, safe to ask again.
      await untilOk(async () => {
        const r = await client.createTopic({ name: topic, partitions: 2, replicationFactor: 1 });
        if (!r.ok && !(r.error === "NOT_CONTROLLER" && r.delivery === "not-sent")) value(r);
        return r;
      });
      await untilOk(() => client.findCoordinator("warm-up"));
      await untilOk(() => client.initProducerId());
    }, 120_000);

    afterAll(async () => {
      client?.close();
      await cluster?.stop();
    });

    it("creates a topic once: the second create is TOPIC_ALREADY_EXISTS, answered", async () => {
      const again = await client.createTopic({ name: topic, partitions: 2, replicationFactor: 1 });
      expect(again).toMatchObject({ ok: false, error: "TOPIC_ALREADY_EXISTS", delivery: "answered" });
      const md = value(await client.metadata([topic]));
      const t = md.topics.find((x) => x.name === topic);
      expect(t?.partitions.map((p) => p.partition)).toEqual([0, 1]);
      expect(t?.partitions.every((p) => p.leader >= 0 && p.isr.length === 1)).toBe(true);
    });

    it("produces at consecutive offsets and fetches from inside a batch, at most maxRecords", async () => {
      const first = value(
        await client.produce({
          topic,
          partition: 0,
          acks: -1,
          records: ["a", "b", "c"].map((v) => ({ key: Buffer.from("k"), value: Buffer.from(v) })),
        }),
      );
      const second = value(
        await client.produce({ topic, partition: 0, acks: 1, records: [{ value: Buffer.from("d") }] }),
      );
      expect(second.baseOffset).toBe((first.baseOffset as number) + 3);
      const f = value(
        await client.fetch({ topic, partition: 0, offset: (first.baseOffset as number) + 1, maxRecords: 2 }),
      );
      expect(f.records.map((r) => [r.offset, r.value?.toString()])).toEqual([
        [(first.baseOffset as number) + 1, "b"],
        [(first.baseOffset as number) + 2, "c"],
      ]);
      expect(f.highWatermark).toBe((second.baseOffset as number) + 1);
      expect(value(await client.listOffsets(topic, 0, "latest")).offset).toBe(f.highWatermark);
      expect(value(await client.listOffsets(topic, 0, "earliest")).offset).toBe(0);
    });

    it("acks=0 comes back before anything is known, and the record is there afterwards", async () => {
      const r = value(
        await client.produce({ topic, partition: 1, acks: 0, records: [{ value: Buffer.from("fire") }] }),
      );
      expect(r.baseOffset).toBeNull();
      const seen = await untilOk(async () => {
        const f = await client.fetch({ topic, partition: 1, offset: 0, maxRecords: 10 });
        return f.ok && f.value.records.some((x) => x.value?.toString() === "fire")
          ? f
          : { ok: false as const, error: "OFFSET_NOT_AVAILABLE" as const, delivery: "answered" as const };
      }, 5_000);
      expect(seen.records.map((x) => x.value?.toString())).toContain("fire");
    });

    it("a fetch past the log end is OFFSET_OUT_OF_RANGE", async () => {
      const r = await client.fetch({ topic, partition: 1, offset: 1_000_000, maxRecords: 1 });
      expect(r).toMatchObject({ ok: false, error: "OFFSET_OUT_OF_RANGE", delivery: "answered" });
    });

    it("an idempotent producer's sequence gap is refused, the right next sequence accepted", async () => {
      const id = value(await client.initProducerId());
      const send = (seq: number, v: string) =>
        client.produce({
          topic,
          partition: 1,
          acks: -1,
          records: [{ value: Buffer.from(v) }],
          idempotence: { ...id, baseSequence: seq },
        });
      const a = value(await send(0, "i0"));
      expect(await send(5, "gap")).toMatchObject({ ok: false, error: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
      const b = value(await send(1, "i1"));
      expect(b.baseOffset).toBe((a.baseOffset as number) + 1);
    });

    it("joins (MEMBER_ID_REQUIRED is one logical join), syncs, heartbeats, commits, fetches offsets, leaves", async () => {
      const group = `g-${randomUUID().slice(0, 8)}`;
      const j = value(await join(client, group, "", [topic]));
      expect(j.memberId).not.toBe("");
      expect(j.leader).toBe(j.memberId);
      expect(j.members.map((m) => m.memberId)).toEqual([j.memberId]);
      const s = value(
        await client.syncGroup({
          groupId: group,
          generation: j.generation,
          memberId: j.memberId,
          assignments: [
            {
              memberId: j.memberId,
              assignment: encodeAssignment({ partitions: [{ topic, partitions: [0, 1] }] }),
            },
          ],
        }),
      );
      expect(assignedTopicPartitions(decodeAssignment(s.assignment))).toEqual([
        { topic, partition: 0 },
        { topic, partition: 1 },
      ]);
      value(await client.heartbeat(group, j.generation, j.memberId));
      value(
        await client.commitOffsets(group, j.generation, j.memberId, [{ topic, partition: 0, offset: 2 }]),
      );
      expect(
        await client.commitOffsets(group, j.generation + 7, j.memberId, [{ topic, partition: 0, offset: 3 }]),
      ).toMatchObject({
        ok: false,
        error: "ILLEGAL_GENERATION",
      });
      const fetched = value(
        await client.fetchOffsets(group, [
          { topic, partition: 0 },
          { topic, partition: 1 },
        ]),
      );
      expect(fetched.offsets).toEqual([
        { topic, partition: 0, offset: 2 },
        { topic, partition: 1, offset: -1 },
      ]);
      value(await client.leaveGroup(group, j.memberId));
      expect(await client.heartbeat(group, j.generation, j.memberId)).toMatchObject({
        ok: false,
        error: "UNKNOWN_MEMBER_ID",
      });
    });

    it("holds a second member's join until the first member joins again", async () => {
      const group = `g-${randomUUID().slice(0, 8)}`;
      const c1 = new KafkaClient({ bootstrap: [cluster.bootstrap], clientId: "m1" });
      const c2 = new KafkaClient({ bootstrap: [cluster.bootstrap], clientId: "m2" });
      try {
        const first = value(await join(c1, group, "", [topic]));
        value(
          await c1.syncGroup({
            groupId: group,
            generation: first.generation,
            memberId: first.memberId,
            assignments: [],
          }),
        );
        let secondDone = false;
        const second = join(c2, group, "", [topic]).then((r) => {
          secondDone = true;
          return r;
        });
        await new Promise((res) => setTimeout(res, 500));
        expect(secondDone).toBe(false);
        expect(await c1.heartbeat(group, first.generation, first.memberId)).toMatchObject({
          error: "REBALANCE_IN_PROGRESS",
        });
        const again = value(await join(c1, group, first.memberId, [topic]));
        const other = value(await second);
        expect(again.generation).toBe(first.generation + 1);
        expect(other.generation).toBe(again.generation);
        expect([again.members.length, other.members.length].sort()).toEqual([0, 2]);
      } finally {
        c1.close();
        c2.close();
      }
    }, 30_000);
  });
}
