import { describe, expect, it } from "vitest";
import { ConfigError, DEFAULT_MAX_PARTITIONS, parseBrokerConfig } from "../../impl/broker/config.ts";
import { parseProperties } from "../../impl/broker/properties.ts";

describe("properties files", () => {
  it("reads separators, comments, continuations and escapes as Java does", () => {
    const p = parseProperties(
      [
        "# comment",
        "! also a comment",
        "a=1",
        "b : 2",
        "c 3",
        "long = one,\\",
        "   two",
        "path=C\\:\\\\x",
        "empty=",
      ].join("\n"),
    );
    expect(Object.fromEntries(p)).toEqual({
      a: "1",
      b: "2",
      c: "3",
      long: "one,two",
      path: "C:\\x",
      empty: "",
    });
  });
});

describe("broker config", () => {
  it("reads the tutorial's server.properties with Kafka's names and defaults", () => {
    const c = parseBrokerConfig(
      [
        "broker.id=2",
        "listeners=PLAINTEXT://0.0.0.0:9093",
        "advertised.listeners=PLAINTEXT://127.0.0.1:9093",
        "log.dirs=/tmp/k2-a,/tmp/k2-b",
        "zookeeper.connect=localhost:2181",
        "num.partitions=3",
        "log.retention.hours=1",
        "socket.send.buffer.bytes=102400",
      ].join("\n"),
    );
    expect(c.brokerId).toBe(2);
    expect(c.listeners).toEqual([{ name: "PLAINTEXT", host: "0.0.0.0", port: 9093 }]);
    expect(c.advertisedListeners).toEqual([{ name: "PLAINTEXT", host: "127.0.0.1", port: 9093 }]);
    expect(c.logDirs).toEqual(["/tmp/k2-a", "/tmp/k2-b"]);
    expect(c.zookeeperConnect).toBe("localhost:2181");
    expect(c.numPartitions).toBe(3);
    expect(c.logRetentionMs).toBe(3_600_000);
    expect(c.minInsyncReplicas).toBe(1);
    expect(c.ignored).toEqual(["socket.send.buffer.bytes"]);
  });

  it("takes node.id over broker.id and defaults to embedded metadata without zookeeper.connect", () => {
    const c = parseBrokerConfig("node.id=7\nbroker.id=1\n");
    expect(c.brokerId).toBe(7);
    expect(c.zookeeperConnect).toBeNull();
    expect(c.listeners[0].port).toBe(9092);
  });

  it("rejects bad values with the property's name", () => {
    expect(() => parseBrokerConfig("num.partitions=many")).toThrow(ConfigError);
    expect(() => parseBrokerConfig("num.partitions=many")).toThrow(/num.partitions/);
    expect(() => parseBrokerConfig("listeners=localhost:9092")).toThrow(/NAME:\/\/host:port/);
    expect(() => parseBrokerConfig("auto.create.topics.enable=yes")).toThrow(/true or false/);
  });

  it("reads max.partitions (default 4000, at least 1) as a known property", () => {
    expect(parseBrokerConfig("").maxPartitions).toBe(DEFAULT_MAX_PARTITIONS);
    expect(DEFAULT_MAX_PARTITIONS).toBe(4000);
    const c = parseBrokerConfig("max.partitions=25\n");
    expect(c.maxPartitions).toBe(25);
    expect(c.ignored).not.toContain("max.partitions");
    expect(() => parseBrokerConfig("max.partitions=0")).toThrow(/max.partitions: 0 is below the minimum 1/);
  });
});
