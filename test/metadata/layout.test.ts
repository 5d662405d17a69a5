/**
 * Kafka's znode JSON, byte for byte where Kafka's output is fixed, and read back from samples in the
 * shapes Kafka's own brokers write (ZkData.scala). Round trips are checked as properties.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assignmentOf,
  type BrokerRegistration,
  decodeBrokerRegistration,
  decodeClusterId,
  decodeController,
  decodeControllerEpoch,
  decodeIsrChangeNotification,
  decodePartitionState,
  decodeTopicAssignment,
  decodeTopicConfig,
  encodeBrokerRegistration,
  encodeClusterId,
  encodeController,
  encodeControllerEpoch,
  encodeIsrChangeNotification,
  encodePartitionState,
  encodeTopicAssignment,
  encodeTopicConfig,
  type PartitionState,
  PERSISTENT_ZK_PATHS,
  type TopicAssignment,
  ZkPaths,
} from "../../impl/metadata/layout.ts";

const text = (b: Buffer) => b.toString("utf8");
const bytes = (s: string) => Buffer.from(s, "utf8");

describe("znode paths", () => {
  it("match Kafka's layout", () => {
    expect(ZkPaths.brokerId(3)).toBe("/brokers/ids/3");
    expect(ZkPaths.topic("t")).toBe("/brokers/topics/t");
    expect(ZkPaths.partitionState("t", 2)).toBe("/brokers/topics/t/partitions/2/state");
    expect(ZkPaths.configTopic("t")).toBe("/config/topics/t");
    expect(ZkPaths.deleteTopic("t")).toBe("/admin/delete_topics/t");
    expect(ZkPaths.isrChangePrefix).toBe("/isr_change_notification/isr_change_");
    expect(PERSISTENT_ZK_PATHS).toEqual(
      expect.arrayContaining(["/brokers/ids", "/brokers/topics", "/admin/delete_topics", "/config/topics"]),
    );
  });
});

describe("broker registration /brokers/ids/N", () => {
  const reg: BrokerRegistration = {
    id: 1,
    endpoints: [
      { listener: "PLAINTEXT", host: "kafka1", port: 9092, securityProtocol: "PLAINTEXT" },
      { listener: "REPLICATION", host: "kafka1", port: 9093, securityProtocol: "SSL" },
    ],
    rack: "dc1",
    jmxPort: -1,
    timestampMs: 1_570_000_000_000,
    version: 4,
  };

  it("writes Kafka's v4 JSON: top-level host/port from the PLAINTEXT endpoint, timestamp as a string", () => {
    expect(JSON.parse(text(encodeBrokerRegistration(reg)))).toEqual({
      listener_security_protocol_map: { PLAINTEXT: "PLAINTEXT", REPLICATION: "SSL" },
      endpoints: ["PLAINTEXT://kafka1:9092", "REPLICATION://kafka1:9093"],
      jmx_port: -1,
      host: "kafka1",
      timestamp: "1570000000000",
      port: 9092,
      rack: "dc1",
      version: 4,
    });
  });

  it("writes v5 with features, and null/-1 host and port without a PLAINTEXT endpoint", () => {
    const v5 = encodeBrokerRegistration({
      ...reg,
      rack: null,
      version: 5,
      endpoints: [{ listener: "SECURE", host: "::1", port: 9094, securityProtocol: "SSL" }],
    });
    expect(text(v5)).toBe(
      '{"listener_security_protocol_map":{"SECURE":"SSL"},"endpoints":["SECURE://[::1]:9094"],"jmx_port":-1,' +
        '"features":{},"host":null,"timestamp":"1570000000000","port":-1,"version":5}',
    );
    expect(decodeBrokerRegistration(1, v5).endpoints).toEqual([
      { listener: "SECURE", host: "::1", port: 9094, securityProtocol: "SSL" },
    ]);
  });

  it("reads what Kafka 2.x and 3.x brokers write, and the v1 format", () => {
    const kafka2 = bytes(
      '{"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://broker0:9092"],' +
        '"jmx_port":9999,"host":"broker0","timestamp":"1600000000000","port":9092,"version":4}',
    );
    expect(decodeBrokerRegistration(0, kafka2)).toEqual({
      id: 0,
      endpoints: [{ listener: "PLAINTEXT", host: "broker0", port: 9092, securityProtocol: "PLAINTEXT" }],
      rack: null,
      jmxPort: 9999,
      timestampMs: 1_600_000_000_000,
      version: 4,
    });
    const kafka3 = bytes(
      '{"features":{},"listener_security_protocol_map":{"PLAINTEXT":"PLAINTEXT"},"endpoints":["PLAINTEXT://b:29092"],' +
        '"jmx_port":-1,"port":29092,"host":"b","version":5,"timestamp":"1700000000000"}',
    );
    expect(decodeBrokerRegistration(2, kafka3)).toMatchObject({ version: 5, features: {}, jmxPort: -1 });
    const v1 = bytes('{"version":1,"host":"old","port":9092,"jmx_port":-1,"timestamp":"1"}');
    expect(decodeBrokerRegistration(9, v1).endpoints).toEqual([
      { listener: "PLAINTEXT", host: "old", port: 9092, securityProtocol: "PLAINTEXT" },
    ]);
    expect(() => decodeBrokerRegistration(9, bytes("not json"))).toThrow(/broker registration 9/);
  });

  it("round-trips", () => {
    const endpoint = fc.record({
      listener: fc.constantFrom("PLAINTEXT", "SSL", "INTERNAL", "EXTERNAL"),
      host: fc.constantFrom("localhost", "10.0.0.7", "kafka-0.kafka.svc", "::1"),
      port: fc.integer({ min: 1, max: 65535 }),
      securityProtocol: fc.constantFrom("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    });
    const registration = fc.record({
      id: fc.nat(1000),
      endpoints: fc.uniqueArray(endpoint, { selector: (e) => e.listener, maxLength: 3 }),
      rack: fc.option(fc.constantFrom("r1", "eu-west-1a"), { nil: null }),
      jmxPort: fc.integer({ min: -1, max: 65535 }),
      timestampMs: fc.nat(),
      version: fc.constant(4 as const),
    });
    fc.assert(
      fc.property(registration, (r) => {
        expect(decodeBrokerRegistration(r.id, encodeBrokerRegistration(r))).toEqual(r);
      }),
    );
  });
});

describe("controller znodes", () => {
  it("writes /controller as Kafka does and reads it back", () => {
    const data = encodeController({ brokerId: 2, timestampMs: 1_570_000_000_123 });
    expect(text(data)).toBe('{"version":1,"brokerid":2,"timestamp":"1570000000123"}');
    expect(decodeController(data)).toEqual({ brokerId: 2, timestampMs: 1_570_000_000_123 });
  });

  it("writes /controller_epoch as a bare number", () => {
    expect(text(encodeControllerEpoch(17))).toBe("17");
    expect(decodeControllerEpoch(bytes("17"))).toBe(17);
    expect(() => decodeControllerEpoch(bytes("{}"))).toThrow(/not a number/);
  });
});

describe("topic znodes", () => {
  it("writes the v2 assignment with adding/removing replicas and reads v1", () => {
    const a: TopicAssignment = {
      partitions: new Map([
        [1, [2, 0]],
        [0, [0, 1]],
      ]),
      addingReplicas: new Map([[1, [0]]]),
      removingReplicas: new Map(),
    };
    expect(text(encodeTopicAssignment(a))).toBe(
      '{"partitions":{"0":[0,1],"1":[2,0]},"adding_replicas":{"1":[0]},"removing_replicas":{},"version":2}',
    );
    const withId = encodeTopicAssignment({ ...assignmentOf([[1]]), topicId: "A9Bx2nE9SsGFVLk7lqXmCg" });
    expect(JSON.parse(text(withId))).toMatchObject({ topic_id: "A9Bx2nE9SsGFVLk7lqXmCg" });
    const v1 = decodeTopicAssignment("t", bytes('{"version":1,"partitions":{"0":[1,2,3],"1":[2,3,1]}}'));
    expect([...v1.partitions]).toEqual([
      [0, [1, 2, 3]],
      [1, [2, 3, 1]],
    ]);
    expect(v1.addingReplicas.size).toBe(0);
    expect(() => decodeTopicAssignment("t", bytes('{"partitions":{"x":[1]}}'))).toThrow(/bad partition/);
  });

  it("writes partition state in Kafka's key order and reads it back", () => {
    const s: PartitionState = { leader: 1, leaderEpoch: 4, isr: [1, 2], controllerEpoch: 3 };
    expect(text(encodePartitionState(s))).toBe(
      '{"controller_epoch":3,"leader":1,"version":1,"leader_epoch":4,"isr":[1,2]}',
    );
    // Kafka 3.x adds leader_recovery_state; older readers ignore it and so do we.
    const kafka3 = bytes(
      '{"controller_epoch":5,"leader":-1,"version":1,"leader_epoch":9,"isr":[2],"leader_recovery_state":0}',
    );
    expect(decodePartitionState(kafka3)).toEqual({
      leader: -1,
      leaderEpoch: 9,
      isr: [2],
      controllerEpoch: 5,
    });
  });

  it("writes topic config as {version, config} with string values", () => {
    const c = encodeTopicConfig({ "cleanup.policy": "compact", "min.insync.replicas": "2" });
    expect(text(c)).toBe('{"version":1,"config":{"cleanup.policy":"compact","min.insync.replicas":"2"}}');
    expect(decodeTopicConfig(c)).toEqual({ "cleanup.policy": "compact", "min.insync.replicas": "2" });
    expect(decodeTopicConfig(Buffer.alloc(0))).toEqual({});
  });
});

describe("cluster id and ISR change notifications", () => {
  it("writes /cluster/id with version as a string", () => {
    expect(text(encodeClusterId("x5Ub9lQ1Tw-lBLqSX0mq8A"))).toBe(
      '{"version":"1","id":"x5Ub9lQ1Tw-lBLqSX0mq8A"}',
    );
    expect(decodeClusterId(bytes('{"version":"1","id":"abc"}'))).toBe("abc");
  });

  it("writes ISR change notifications as Kafka's controller reads them", () => {
    const n = encodeIsrChangeNotification([{ topic: "t", partition: 0 }]);
    expect(text(n)).toBe('{"version":1,"partitions":[{"topic":"t","partition":0}]}');
    expect(decodeIsrChangeNotification(n)).toEqual([{ topic: "t", partition: 0 }]);
  });
});
