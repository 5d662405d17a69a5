import { describe, expect, it } from "vitest";
import {
  DEFAULT_LOG_CONFIG,
  InvalidConfigError,
  logConfigEntries,
  parseLogConfig,
} from "../../impl/storage/config.ts";

describe("log config", () => {
  it("has Kafka's defaults", () => {
    expect(DEFAULT_LOG_CONFIG).toMatchObject({
      "segment.bytes": 1073741824,
      "segment.ms": 604800000,
      "index.interval.bytes": 4096,
      "retention.ms": 604800000,
      "retention.bytes": -1,
      "max.message.bytes": 1048588,
    });
    expect(Object.fromEntries(logConfigEntries(DEFAULT_LOG_CONFIG))["flush.messages"]).toBe(
      "9223372036854775807",
    );
  });

  it("reads broker-level names with Kafka's precedence and units", () => {
    const c = parseLogConfig({
      "log.segment.bytes": "1048576",
      "log.roll.hours": "1",
      "log.retention.hours": "24",
      "log.retention.minutes": "30",
      "log.flush.interval.messages": "1",
      "message.max.bytes": "2000",
      "broker.id": "3",
    });
    expect(c["segment.bytes"]).toBe(1048576);
    expect(c["segment.ms"]).toBe(3600000);
    expect(c["retention.ms"]).toBe(30 * 60000); // minutes win over hours
    expect(c["flush.messages"]).toBe(1);
    expect(c["max.message.bytes"]).toBe(2000);
    expect(parseLogConfig({ "log.retention.ms": "5", "log.retention.hours": "1" })["retention.ms"]).toBe(5);
    expect(parseLogConfig({ "log.retention.hours": "-1" })["retention.ms"]).toBe(-1);
  });

  it("lets topic-level names override broker-level ones and a base config", () => {
    const broker = parseLogConfig(new Map([["log.retention.bytes", "100"]]));
    const topic = parseLogConfig({ "retention.bytes": "50", "log.retention.bytes": "70" }, broker);
    expect(topic["retention.bytes"]).toBe(50);
    expect(parseLogConfig({}, broker)["retention.bytes"]).toBe(100);
    expect(parseLogConfig({ "message.timestamp.type": "LogAppendTime" })["message.timestamp.type"]).toBe(
      "LogAppendTime",
    );
  });

  it("rejects values Kafka rejects", () => {
    const bads: Record<string, string>[] = [
      { "segment.bytes": "10" },
      { "retention.ms": "-2" },
      { "flush.messages": "abc" },
      { "message.timestamp.type": "Now" },
    ];
    for (const bad of bads) {
      expect(() => parseLogConfig(bad)).toThrow(InvalidConfigError);
    }
  });
});
