/**
 * The proxies identify peers by the client id of their first Kafka request, and read a ZooKeeper
 * session's id and password from the server's ConnectResponse: both from bytes laid out by hand here,
 * field by field as the protocols define them.
 */
import { describe, expect, it } from "vitest";
import {
  brokerOfClientId,
  kafkaClientId,
  zooKeeperConnectResponse,
} from "../../impl/cluster-target/wire-sniff.ts";

function kafkaRequest(clientId: string | null): Buffer {
  const id = clientId === null ? Buffer.alloc(0) : Buffer.from(clientId);
  const header = Buffer.alloc(10 + 2);
  header.writeInt16BE(3, 0); // api key: Metadata
  header.writeInt16BE(1, 2);
  header.writeInt32BE(7, 4); // correlation id
  header.writeInt16BE(clientId === null ? -1 : id.length, 8);
  const body = Buffer.concat([header.subarray(0, 10), id, Buffer.from([0, 0, 0, 0])]);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function connectResponse(sessionId: bigint, password: Buffer, timeoutMs = 6000): Buffer {
  const body = Buffer.alloc(4 + 4 + 8 + 4 + password.length + 1);
  body.writeInt32BE(0, 0);
  body.writeInt32BE(timeoutMs, 4);
  body.writeBigUInt64BE(sessionId, 8);
  body.writeInt32BE(password.length, 16);
  password.copy(body, 20);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

describe("kafkaClientId", () => {
  it("reads the client id of a request header, waiting for the whole of it", () => {
    const req = kafkaRequest("broker-3-fetcher");
    expect(kafkaClientId(req)).toBe("broker-3-fetcher");
    for (let cut = 0; cut < 14 + "broker-3-fetcher".length; cut++)
      expect(kafkaClientId(req.subarray(0, cut))).toBeNull();
  });
  it("a null client id is no id", () => {
    expect(kafkaClientId(kafkaRequest(null))).toBeUndefined();
  });
  it("only our brokers' inter-broker ids name a broker", () => {
    expect(brokerOfClientId("broker-12-controller")).toBe(12);
    expect(brokerOfClientId("rdkafka")).toBeNull();
    expect(brokerOfClientId("kafkaspec-broker-1")).toBeNull();
    expect(brokerOfClientId(undefined)).toBeNull();
  });
});

describe("zooKeeperConnectResponse", () => {
  it("reads the session id (as ZooKeeper prints it) and password", () => {
    const password = Buffer.from("0123456789abcdef");
    const bytes = connectResponse(0x100000a3f21000bn, password);
    const c = zooKeeperConnectResponse(bytes);
    expect(c).toMatchObject({ sessionId: "0x100000a3f21000b", timeoutMs: 6000 });
    expect(c?.password.equals(password)).toBe(true);
    expect(c?.sessionIdBytes.readBigUInt64BE(0)).toBe(0x100000a3f21000bn);
    expect(zooKeeperConnectResponse(bytes.subarray(0, bytes.length - 1))).toBeNull();
  });
  it("a refused session (id 0, the server's answer to an expired one) has no credentials", () => {
    expect(zooKeeperConnectResponse(connectResponse(0n, Buffer.alloc(16), 0))).toBeUndefined();
  });
});
