/**
 * Cross-checks the codec against an independent implementation: kafkajs 2.2.4's own protocol encoders
 * and decoders. Requests kafkajs encodes (every version it implements) must decode with our codec, which
 * is strict about lengths and leftover bytes; responses we encode must decode with kafkajs to the same
 * values. This catches mistakes a round trip through our own code cannot (a symmetric layout error).
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  type ApiKey,
  concatFrame,
  type DecodedRequest,
  decodeRequest,
  encodeResponse,
} from "../../impl/protocol/index.ts";
import { show } from "./arbitraries.ts";

const require = createRequire(import.meta.url);
// kafkajs ships no types for its protocol internals; they are plain CommonJS.
type KafkajsRequest = { apiKey: number; apiVersion: number; encode: () => Promise<unknown> };
type KafkajsApi = {
  versions: string[];
  protocol: (o: { version: number }) => (args: object) => {
    request: KafkajsRequest;
    response: { decode: (b: Buffer) => Promise<Record<string, unknown>> };
  };
};
const kafkajsApi = (name: string): KafkajsApi => require(`kafkajs/src/protocol/requests/${name}/index.js`);
const createRequest: (o: { correlationId: number; clientId: string; request: KafkajsRequest }) => Promise<{
  buffer: Buffer;
}> = require("kafkajs/src/protocol/request.js");

async function viaKafkajs(name: string, version: number, args: object): Promise<DecodedRequest> {
  const { request } = kafkajsApi(name).protocol({ version })(args);
  const framed = await createRequest({ correlationId: 77, clientId: "kafkajs", request });
  const decoded = decodeRequest(framed.buffer.subarray(4));
  if (!decoded.ok) throw new Error(`${name} v${version}: ${show(decoded.error)}`);
  expect(decoded.value.header).toEqual({
    apiKey: request.apiKey,
    apiVersion: version,
    correlationId: 77,
    clientId: "kafkajs",
  });
  return decoded.value;
}

async function decodeWithKafkajs(
  name: string,
  key: ApiKey,
  version: number,
  body: object,
): Promise<Record<string, unknown>> {
  const frame = concatFrame(encodeResponse(key, version, 5, body as never));
  expect(frame.readInt32BE(4)).toBe(5);
  const { response } = kafkajsApi(name).protocol({ version })(sampleArgs[name] ?? {});
  return response.decode(frame.subarray(8));
}

const versionsOf = (name: string) => kafkajsApi(name).versions.map(Number);

const sampleArgs: Record<string, object> = {
  apiVersions: {},
  metadata: { topics: ["orders", "users"], allowAutoTopicCreation: false },
  produce: {
    acks: -1,
    timeout: 30000,
    compression: 0,
    topicData: [{ topic: "orders", partitions: [{ partition: 2, messages: [{ key: "k", value: "v" }] }] }],
  },
  fetch: {
    replicaId: -1,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 10485760,
    isolationLevel: 1,
    topics: [{ topic: "orders", partitions: [{ partition: 2, fetchOffset: "42", maxBytes: 1048576 }] }],
  },
  listOffsets: {
    replicaId: -1,
    isolationLevel: 1,
    topics: [{ topic: "orders", partitions: [{ partition: 2, timestamp: -2 }] }],
  },
  findCoordinator: { groupId: "g1", coordinatorType: 0 },
  joinGroup: {
    groupId: "g1",
    sessionTimeout: 30000,
    rebalanceTimeout: 60000,
    memberId: "",
    protocolType: "consumer",
    groupProtocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from("0001", "hex") }],
  },
  syncGroup: {
    groupId: "g1",
    generationId: 3,
    memberId: "m1",
    groupAssignment: [{ memberId: "m1", memberAssignment: Buffer.from("ab", "hex") }],
  },
  heartbeat: { groupId: "g1", groupGenerationId: 3, memberId: "m1" },
  leaveGroup: { groupId: "g1", memberId: "m1" },
  offsetCommit: {
    groupId: "g1",
    groupGenerationId: 3,
    memberId: "m1",
    retentionTime: -1,
    topics: [{ topic: "orders", partitions: [{ partition: 2, offset: "43" }] }],
  },
  offsetFetch: { groupId: "g1", topics: [{ topic: "orders", partitions: [{ partition: 2 }] }] },
  describeGroups: { groupIds: ["g1", "g2"] },
  listGroups: {},
  createTopics: {
    topics: [
      {
        topic: "orders",
        numPartitions: 3,
        replicationFactor: 2,
        configEntries: [{ name: "cleanup.policy", value: "delete" }],
      },
    ],
    validateOnly: false,
    timeout: 5000,
  },
  deleteTopics: { topics: ["orders"], timeout: 5000 },
  createPartitions: { topicPartitions: [{ topic: "orders", count: 6 }], validateOnly: false, timeout: 5000 },
  initProducerId: { transactionalId: null, transactionTimeout: 5000 },
  describeConfigs: {
    resources: [{ type: 2, name: "orders", configNames: ["retention.ms"] }],
    includeSynonyms: true,
  },
};

describe("kafkajs requests decode with our codec, at every version kafkajs implements", () => {
  it.each(Object.keys(sampleArgs).flatMap((name) => versionsOf(name).map((v) => [name, v] as const)))(
    "%s v%i",
    async (name, version) => {
      const req = await viaKafkajs(name, version, sampleArgs[name]);
      // Spot checks that the values, not just the lengths, line up.
      switch (req.apiKey) {
        case 3:
          expect(req.body.topics?.map((t) => t.name)).toEqual(["orders", "users"]);
          if (version >= 4) expect(req.body.allowAutoTopicCreation).toBe(false);
          break;
        case 0: {
          expect(req.body.acks).toBe(-1);
          const p = req.body.topicData[0];
          expect([p.name, p.partitionData[0].index]).toEqual(["orders", 2]);
          expect(p.partitionData[0].records?.length).toBeGreaterThan(0);
          break;
        }
        case 1: {
          const p = req.body.topics[0].partitions[0];
          expect([req.body.topics[0].topic, p.partition, p.fetchOffset, p.partitionMaxBytes]).toEqual([
            "orders",
            2,
            42n,
            1048576,
          ]);
          if (version >= 3) expect(req.body.maxBytes).toBe(10485760);
          if (version >= 4) expect(req.body.isolationLevel).toBe(1);
          break;
        }
        case 2:
          expect(req.body.topics[0].partitions[0].timestamp).toBe(-2n);
          break;
        case 11:
          expect(req.body.protocols.map((p) => p.name)).toEqual(["RoundRobinAssigner"]);
          if (version >= 1) expect(req.body.rebalanceTimeoutMs).toBe(60000);
          break;
        case 8:
          expect(req.body.topics[0].partitions[0].committedOffset).toBe(43n);
          expect(req.body.generationIdOrMemberEpoch).toBe(version >= 1 ? 3 : -1);
          break;
        case 19:
          expect(req.body.topics[0]).toMatchObject({
            name: "orders",
            numPartitions: 3,
            replicationFactor: 2,
          });
          break;
        case 32:
          expect(req.body.resources[0]).toMatchObject({ resourceType: 2, resourceName: "orders" });
          break;
        case 37:
          expect(req.body.topics[0]).toMatchObject({ name: "orders", count: 6, assignments: null });
          break;
        default:
          break;
      }
    },
  );
});

describe("our responses decode with kafkajs", () => {
  it.each(versionsOf("apiVersions"))("ApiVersions v%i", async (version) => {
    const apiKeys = [
      { apiKey: 0, minVersion: 0, maxVersion: 9 },
      { apiKey: 18, minVersion: 0, maxVersion: 3 },
    ];
    const d = await decodeWithKafkajs("apiVersions", 18, version, {
      errorCode: 0,
      apiKeys,
      throttleTimeMs: 0,
    });
    expect(d.apiVersions).toEqual(apiKeys);
  });

  it.each(versionsOf("metadata"))("Metadata v%i", async (version) => {
    const body = {
      throttleTimeMs: 0,
      brokers: [{ nodeId: 1, host: "localhost", port: 9092, rack: null }],
      clusterId: "c1",
      controllerId: 1,
      topics: [
        {
          errorCode: 0,
          name: "orders",
          isInternal: false,
          partitions: [
            {
              errorCode: 0,
              partitionIndex: 0,
              leaderId: 1,
              replicaNodes: [1],
              isrNodes: [1],
              offlineReplicas: [],
            },
          ],
        },
      ],
    };
    const d = await decodeWithKafkajs("metadata", 3, version, body);
    expect(d.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: "localhost", port: 9092 })]);
    const topic = (d.topicMetadata as Array<Record<string, unknown>>)[0];
    expect(topic.topic).toBe("orders");
    expect(topic.partitionMetadata).toEqual([
      expect.objectContaining({ partitionId: 0, leader: 1, replicas: [1], isr: [1] }),
    ]);
  });

  it.each(versionsOf("produce"))("Produce v%i", async (version) => {
    const body = {
      responses: [
        {
          name: "orders",
          partitionResponses: [
            { index: 2, errorCode: 0, baseOffset: 41n, logAppendTimeMs: -1n, logStartOffset: 0n },
          ],
        },
      ],
      throttleTimeMs: 0,
    };
    const d = await decodeWithKafkajs("produce", 0, version, body);
    const topics = d.topics as Array<{ topicName: string; partitions: Array<Record<string, unknown>> }>;
    expect(topics[0].topicName).toBe("orders");
    const p = topics[0].partitions[0];
    expect(p).toMatchObject({ partition: 2, errorCode: 0 });
    expect(p.baseOffset ?? p.offset).toBe("41"); // kafkajs names it offset before v3
  });

  it.each(versionsOf("findCoordinator"))("FindCoordinator v%i", async (version) => {
    const body = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 2, host: "b2", port: 9093 };
    const d = await decodeWithKafkajs("findCoordinator", 10, version, body);
    expect(d.coordinator).toEqual({ nodeId: 2, host: "b2", port: 9093 });
  });

  it.each(versionsOf("joinGroup"))("JoinGroup v%i", async (version) => {
    const body = {
      throttleTimeMs: 0,
      errorCode: 0,
      generationId: 4,
      protocolName: "RoundRobinAssigner",
      leader: "m1",
      memberId: "m1",
      members: [{ memberId: "m1", groupInstanceId: null, metadata: Buffer.from("0001", "hex") }],
    };
    const d = await decodeWithKafkajs("joinGroup", 11, version, body);
    expect(d).toMatchObject({
      generationId: 4,
      groupProtocol: "RoundRobinAssigner",
      leaderId: "m1",
      memberId: "m1",
    });
    expect(d.members).toEqual([
      expect.objectContaining({ memberId: "m1", memberMetadata: Buffer.from("0001", "hex") }),
    ]);
  });

  it.each(versionsOf("syncGroup"))("SyncGroup v%i", async (version) => {
    const d = await decodeWithKafkajs("syncGroup", 14, version, {
      throttleTimeMs: 0,
      errorCode: 0,
      assignment: Buffer.from("abcd", "hex"),
    });
    expect(d.memberAssignment).toEqual(Buffer.from("abcd", "hex"));
  });

  it.each(versionsOf("offsetFetch"))("OffsetFetch v%i", async (version) => {
    const body = {
      throttleTimeMs: 0,
      topics: [
        {
          name: "orders",
          partitions: [
            { partitionIndex: 2, committedOffset: 43n, committedLeaderEpoch: -1, metadata: "", errorCode: 0 },
          ],
        },
      ],
      errorCode: 0,
    };
    const d = await decodeWithKafkajs("offsetFetch", 9, version, body);
    const topics = d.responses as Array<{ topic: string; partitions: Array<Record<string, unknown>> }>;
    expect(topics[0].topic).toBe("orders");
    expect(topics[0].partitions[0]).toMatchObject({ partition: 2, offset: "43" });
  });

  it.each(versionsOf("listOffsets"))("ListOffsets v%i", async (version) => {
    const body = {
      throttleTimeMs: 0,
      topics: [
        {
          name: "orders",
          partitions: [
            {
              partitionIndex: 2,
              errorCode: 0,
              oldStyleOffsets: [7n],
              timestamp: -1n,
              offset: 7n,
              leaderEpoch: 0,
            },
          ],
        },
      ],
    };
    const d = await decodeWithKafkajs("listOffsets", 2, version, body);
    const topics = d.responses as Array<{ topic: string; partitions: Array<Record<string, unknown>> }>;
    expect(topics[0].topic).toBe("orders");
    const p = topics[0].partitions[0];
    if (version === 0) expect(p.offsets).toEqual(["7"]);
    else expect(p.offset).toBe("7");
  });
});
