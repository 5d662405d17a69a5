/** The advertised ranges: what real clients need from them (REFERENCES.md), derived from the schemas. */
import { describe, expect, it } from "vitest";
import {
  type ApiKey,
  ApiKeys,
  advertisedRanges,
  apis,
  definedRange,
  isSupported,
} from "../../impl/protocol/index.ts";

const ranges = advertisedRanges();
const range = (key: number) => ranges.find((r) => r.apiKey === key);

describe("advertised versions", () => {
  it("cover every API we define, ascending, each with its full schema range", () => {
    expect(ranges.map((r) => r.apiKey)).toEqual(
      Object.keys(apis)
        .map(Number)
        .sort((a, b) => a - b),
    );
    for (const r of ranges) {
      const d = definedRange(r.apiKey);
      expect([r.minVersion, r.maxVersion]).toEqual([d.min, d.max]);
    }
  });

  it("let kafka-python 2.0 infer a broker new enough for RecordBatch v2, and serve the versions it then uses", () => {
    // It infers 2.4 from Produce v8 (or at least 0.11 from Metadata v4) and then uses fixed versions.
    expect(range(ApiKeys.Produce)?.maxVersion).toBeGreaterThanOrEqual(8);
    expect(range(ApiKeys.Metadata)?.maxVersion).toBeGreaterThanOrEqual(4);
    const used: Array<[ApiKey, number]> = [
      [ApiKeys.ApiVersions, 0],
      [ApiKeys.Metadata, 0],
      [ApiKeys.Metadata, 1],
      [ApiKeys.Produce, 3],
      [ApiKeys.Produce, 7],
      [ApiKeys.Fetch, 4],
      [ApiKeys.ListOffsets, 1],
      [ApiKeys.FindCoordinator, 0],
      [ApiKeys.JoinGroup, 2],
      [ApiKeys.SyncGroup, 1],
      [ApiKeys.Heartbeat, 1],
      [ApiKeys.LeaveGroup, 1],
      [ApiKeys.OffsetCommit, 2],
      [ApiKeys.OffsetFetch, 1],
      [ApiKeys.CreateTopics, 3],
      [ApiKeys.ListGroups, 0],
    ];
    for (const [key, v] of used) expect(isSupported(key, v), `${apis[key].name} v${v}`).toBe(true);
  });

  it("reach kafkajs 2.2.4's highest versions, so min(its, ours) is its own", () => {
    const kafkajs: Array<[number, number]> = [
      [ApiKeys.ApiVersions, 2],
      [ApiKeys.Metadata, 6],
      [ApiKeys.Produce, 7],
      [ApiKeys.Fetch, 11],
      [ApiKeys.ListOffsets, 3],
      [ApiKeys.FindCoordinator, 2],
      [ApiKeys.JoinGroup, 5],
      [ApiKeys.SyncGroup, 3],
      [ApiKeys.Heartbeat, 3],
      [ApiKeys.LeaveGroup, 3],
      [ApiKeys.OffsetCommit, 5],
      [ApiKeys.OffsetFetch, 4],
      [ApiKeys.CreateTopics, 3],
      [ApiKeys.InitProducerId, 1],
    ];
    for (const [key, v] of kafkajs) expect(range(key)?.maxVersion).toBeGreaterThanOrEqual(v);
  });

  it("open librdkafka's feature gates: ApiVersions v3, RecordBatch v2, groups, idempotence", () => {
    expect(range(ApiKeys.ApiVersions)?.maxVersion).toBe(3);
    expect(range(ApiKeys.Produce)?.maxVersion).toBeGreaterThanOrEqual(3);
    expect(range(ApiKeys.Fetch)?.maxVersion).toBeGreaterThanOrEqual(4);
    expect(range(ApiKeys.OffsetCommit)?.maxVersion).toBeGreaterThanOrEqual(1);
    expect(range(ApiKeys.OffsetFetch)?.maxVersion).toBeGreaterThanOrEqual(1);
    expect(range(ApiKeys.InitProducerId)).toBeDefined();
  });

  it("can be capped or narrowed per key by a broker that does not serve a version yet", () => {
    const capped = advertisedRanges({ cap: { [ApiKeys.Fetch]: 11, [ApiKeys.LeaderAndIsr]: null } });
    expect(capped.find((r) => r.apiKey === ApiKeys.Fetch)?.maxVersion).toBe(11);
    expect(capped.find((r) => r.apiKey === ApiKeys.LeaderAndIsr)).toBeUndefined();
    expect(capped).toHaveLength(ranges.length - 1);
  });
});
