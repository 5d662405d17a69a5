/**
 * Golden bytes derived by hand from the protocol guide's layouts (not from our encoder), checked in both
 * directions: our encoder must produce them, and our decoder must read them back to the message.
 */
import { describe, expect, it } from "vitest";
import {
  concatFrame,
  decodeRequest,
  decodeResponse,
  EncodeError,
  encodeApiVersionsFallback,
  encodeRequest,
  encodeResponse,
} from "../../impl/protocol/index.ts";

const ascii = (s: string) => Buffer.from(s, "latin1").toString("hex");
const hex = (...parts: string[]) => Buffer.from(parts.join("").replaceAll(" ", ""), "hex");

describe("requests", () => {
  it("ApiVersions v0 as kafka-python opens a connection", () => {
    const bytes = hex(
      "00000016", // size: 22
      "0012 0000 00000001", // api key 18, version 0, correlation id 1
      "000c",
      ascii("kafka-python"), // client id, int16 length
    );
    const header = { apiKey: 18, apiVersion: 0, correlationId: 1, clientId: "kafka-python" } as const;
    expect(concatFrame(encodeRequest(header, {}))).toEqual(bytes);
    const d = decodeRequest(bytes.subarray(4));
    expect(d).toEqual({
      ok: true,
      value: {
        apiKey: 18,
        apiVersion: 0,
        header,
        body: { clientSoftwareName: "", clientSoftwareVersion: "" },
      },
    });
  });

  it("ApiVersions v3 (flexible: header v2, compact strings, tagged fields) as librdkafka sends it", () => {
    const bytes = hex(
      "00000024", // size: 36
      "0012 0003 00000004", // api key 18, version 3, correlation id 4
      "0007",
      ascii("rdkafka"), // client id keeps its int16 length in header v2
      "00", // header tagged fields: none
      "0b",
      ascii("librdkafka"), // compact string: length + 1
      "06",
      ascii("2.3.0"),
      "00", // body tagged fields: none
    );
    const header = { apiKey: 18, apiVersion: 3, correlationId: 4, clientId: "rdkafka" } as const;
    const body = { clientSoftwareName: "librdkafka", clientSoftwareVersion: "2.3.0" };
    expect(concatFrame(encodeRequest(header, body))).toEqual(bytes);
    expect(decodeRequest(bytes.subarray(4))).toEqual({
      ok: true,
      value: { apiKey: 18, apiVersion: 3, header, body },
    });
  });

  const metadataHeader = {
    apiKey: 3,
    apiVersion: 1,
    correlationId: 2,
    clientId: "kafka-python-2.0.2",
  } as const;
  const metadataDefaults = {
    allowAutoTopicCreation: true,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  };

  it("Metadata v1 for one topic, as kafka-python sends it", () => {
    const bytes = hex(
      "00000026", // size: 38
      "0003 0001 00000002",
      "0012",
      ascii("kafka-python-2.0.2"),
      "00000001", // topics: 1
      "0004",
      ascii("test"),
    );
    const topics = [{ topicId: "00000000-0000-0000-0000-000000000000", name: "test" }];
    expect(concatFrame(encodeRequest(metadataHeader, { topics: [{ name: "test" }] }))).toEqual(bytes);
    const d = decodeRequest(bytes.subarray(4));
    expect(d.ok && d.value.body).toEqual({ topics, ...metadataDefaults });
  });

  it("Metadata v1 for all topics: a null array (an empty one means none since v1)", () => {
    const bytes = hex("00000020", "0003 0001 00000002", "0012", ascii("kafka-python-2.0.2"), "ffffffff");
    expect(concatFrame(encodeRequest(metadataHeader, { topics: null }))).toEqual(bytes);
    const d = decodeRequest(bytes.subarray(4));
    expect(d.ok && d.value.body).toEqual({ topics: null, ...metadataDefaults });
  });

  it("Produce v3 with one batch; the records decode as a view of the frame", () => {
    const bytes = hex(
      "0000002a", // size: 42
      "0000 0003 00000003",
      "0001",
      ascii("c"),
      "ffff", // transactional id: null
      "ffff", // acks: -1
      "00007530", // timeout: 30000 ms
      "00000001", // topics: 1
      "0001",
      ascii("t"),
      "00000001", // partitions: 1
      "00000000", // partition 0
      "00000004 deadbeef", // records: int32 length and the batch bytes
    );
    const header = { apiKey: 0, apiVersion: 3, correlationId: 3, clientId: "c" } as const;
    const records = Buffer.from("deadbeef", "hex");
    const body = {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30000,
      topicData: [{ name: "t", partitionData: [{ index: 0, records }] }],
    };
    const chunks = encodeRequest(header, body);
    expect(chunks).toContain(records); // passed by reference, not copied
    expect(concatFrame(chunks)).toEqual(bytes);
    const payload = bytes.subarray(4);
    const d = decodeRequest(payload);
    expect(d.ok && d.value.body).toEqual(body);
    const got = d.ok && d.value.apiKey === 0 ? d.value.body.topicData[0].partitionData[0].records : null;
    expect(got?.buffer).toBe(payload.buffer);
    expect(got?.byteOffset).toBe(payload.byteOffset + payload.length - 4);
  });
});

describe("responses", () => {
  it("ApiVersions fallback: v0 layout, UNSUPPORTED_VERSION, key 18's range only (KIP-511)", () => {
    const bytes = hex(
      "00000010", // size: 16
      "00000009", // correlation id (response header v0)
      "0023", // error 35
      "00000001", // one api
      "0012 0000 0003", // key 18, v0..v3
    );
    expect(concatFrame(encodeApiVersionsFallback(9))).toEqual(bytes);
    // A client that asked with v3 still reads it, as the v0 layout.
    const d = decodeResponse(18, 3, bytes.subarray(4));
    expect(d).toEqual({
      ok: true,
      value: {
        correlationId: 9,
        apiVersion: 0,
        body: {
          errorCode: 35,
          apiKeys: [{ apiKey: 18, minVersion: 0, maxVersion: 3 }],
          throttleTimeMs: 0,
          supportedFeatures: [],
          finalizedFeaturesEpoch: -1n,
          finalizedFeatures: [],
          zkMigrationReady: false,
        },
      },
    });
  });

  it("Heartbeat v4: response header v1 carries a tagged-field section", () => {
    const bytes = hex("0000000c", "00000007", "00", "00000000", "001b", "00");
    expect(concatFrame(encodeResponse(12, 4, 7, { throttleTimeMs: 0, errorCode: 27 }))).toEqual(bytes);
    expect(decodeResponse(12, 4, bytes.subarray(4))).toEqual({
      ok: true,
      value: { correlationId: 7, apiVersion: 4, body: { throttleTimeMs: 0, errorCode: 27 } },
    });
  });

  it("Fetch v12: a tagged struct (currentLeader) is written only when it differs from its default", () => {
    const bytes = hex(
      "00000045", // size: 69
      "00000008 00", // correlation id, header tagged fields
      "00000000 0000 00000000", // throttle, error, session id
      "02", // responses: compact array of 1
      "02",
      ascii("t"), // topic "t"
      "02", // partitions: 1
      "00000000 0006", // partition 0, NOT_LEADER_OR_FOLLOWER
      "0000000000000064", // high watermark 100
      "ffffffffffffffff", // last stable offset -1
      "0000000000000000", // log start offset 0
      "00", // aborted transactions: null
      "ffffffff", // preferred read replica -1
      "00", // records: null
      "01 01 09", // one tagged field: tag 1 (currentLeader), 9 bytes
      "00000002 00000005 00", // leader 2, epoch 5, the struct's own tagged fields
      "00", // topic tagged fields
      "00", // body tagged fields
    );
    const partition = {
      partitionIndex: 0,
      errorCode: 6,
      highWatermark: 100n,
      lastStableOffset: -1n,
      logStartOffset: 0n,
      divergingEpoch: { epoch: -1, endOffset: -1n },
      currentLeader: { leaderId: 2, leaderEpoch: 5 },
      snapshotId: { endOffset: -1n, epoch: -1 },
      abortedTransactions: null,
      preferredReadReplica: -1,
      records: null,
    };
    const body = {
      throttleTimeMs: 0,
      errorCode: 0,
      sessionId: 0,
      responses: [{ topic: "t", partitions: [partition] }],
    };
    expect(concatFrame(encodeResponse(1, 12, 8, body))).toEqual(bytes);
    const d = decodeResponse(1, 12, bytes.subarray(4));
    expect(d.ok && d.value.body).toEqual(body);
  });
});

describe("encoding a value the schema cannot hold", () => {
  it("throws EncodeError naming the field path", () => {
    const bad = () =>
      encodeRequest(
        { apiKey: 0, apiVersion: 3, correlationId: 1, clientId: null },
        // An int32 where the schema says int32, but out of range.
        { acks: 1, timeoutMs: 2 ** 31, topicData: [] },
      );
    expect(bad).toThrow(EncodeError);
    expect(bad).toThrow(/^timeoutMs: /);
    const nested = () =>
      encodeRequest(
        { apiKey: 0, apiVersion: 3, correlationId: 1, clientId: null },
        {
          acks: 1,
          timeoutMs: 1,
          topicData: [{ name: "t", partitionData: [{ index: 0, records: "x" as never }] }],
        },
      );
    expect(nested).toThrow(/^topicData\[0\]\.partitionData\[0\]\.records: /);
    const nonNullable = () => encodeResponse(12, 0, 1, { throttleTimeMs: 0, errorCode: null as never });
    expect(nonNullable).toThrow(EncodeError);
  });

  it("a string too long for an int16 length in a classic version", () => {
    const name = "x".repeat(40_000);
    expect(() =>
      encodeRequest({ apiKey: 3, apiVersion: 1, correlationId: 1, clientId: null }, { topics: [{ name }] }),
    ).toThrow(/topics\[0\]\.name: string of 40000 bytes/);
  });
});
