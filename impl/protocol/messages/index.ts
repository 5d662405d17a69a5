/**
 * Every API we define, by key: the one registry the codec, the advertised versions and the tests use.
 * Adding an API = one schema file here plus one line in `apis`.
 */
import type { Message, MessageInput } from "../types.ts";
import { Produce } from "./00-produce.ts";
import { Fetch } from "./01-fetch.ts";
import { ListOffsets } from "./02-list-offsets.ts";
import { Metadata } from "./03-metadata.ts";
import { LeaderAndIsr } from "./04-leader-and-isr.ts";
import { StopReplica } from "./05-stop-replica.ts";
import { UpdateMetadata } from "./06-update-metadata.ts";
import { ControlledShutdown } from "./07-controlled-shutdown.ts";
import { OffsetCommit } from "./08-offset-commit.ts";
import { OffsetFetch } from "./09-offset-fetch.ts";
import { FindCoordinator } from "./10-find-coordinator.ts";
import { JoinGroup } from "./11-join-group.ts";
import { Heartbeat } from "./12-heartbeat.ts";
import { LeaveGroup } from "./13-leave-group.ts";
import { SyncGroup } from "./14-sync-group.ts";
import { DescribeGroups } from "./15-describe-groups.ts";
import { ListGroups } from "./16-list-groups.ts";
import { ApiVersions } from "./18-api-versions.ts";
import { CreateTopics } from "./19-create-topics.ts";
import { DeleteTopics } from "./20-delete-topics.ts";
import { InitProducerId } from "./22-init-producer-id.ts";
import { OffsetForLeaderEpoch } from "./23-offset-for-leader-epoch.ts";
import { DescribeConfigs } from "./32-describe-configs.ts";
import { CreatePartitions } from "./37-create-partitions.ts";

export const apis = {
  0: Produce,
  1: Fetch,
  2: ListOffsets,
  3: Metadata,
  4: LeaderAndIsr,
  5: StopReplica,
  6: UpdateMetadata,
  7: ControlledShutdown,
  8: OffsetCommit,
  9: OffsetFetch,
  10: FindCoordinator,
  11: JoinGroup,
  12: Heartbeat,
  13: LeaveGroup,
  14: SyncGroup,
  15: DescribeGroups,
  16: ListGroups,
  18: ApiVersions,
  19: CreateTopics,
  20: DeleteTopics,
  22: InitProducerId,
  23: OffsetForLeaderEpoch,
  32: DescribeConfigs,
  37: CreatePartitions,
} as const;

export type Apis = typeof apis;
/** An api key we define. */
export type ApiKey = keyof Apis;

/** Api keys by Kafka's API names, so code says `ApiKeys.Produce` rather than 0. */
export const ApiKeys = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  LeaderAndIsr: 4,
  StopReplica: 5,
  UpdateMetadata: 6,
  ControlledShutdown: 7,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  OffsetForLeaderEpoch: 23,
  DescribeConfigs: 32,
  CreatePartitions: 37,
} as const satisfies { [K in Apis[ApiKey]["name"]]: ApiKey };

export type RequestOf<K extends ApiKey> = Message<Apis[K]["request"]>;
export type ResponseOf<K extends ApiKey> = Message<Apis[K]["response"]>;
export type RequestInputOf<K extends ApiKey> = MessageInput<Apis[K]["request"]>;
export type ResponseInputOf<K extends ApiKey> = MessageInput<Apis[K]["response"]>;

export function isApiKey(key: number): key is ApiKey {
  return Object.hasOwn(apis, key);
}

export * from "./00-produce.ts";
export * from "./01-fetch.ts";
export * from "./02-list-offsets.ts";
export * from "./03-metadata.ts";
export * from "./04-leader-and-isr.ts";
export * from "./05-stop-replica.ts";
export * from "./06-update-metadata.ts";
export * from "./07-controlled-shutdown.ts";
export * from "./08-offset-commit.ts";
export * from "./09-offset-fetch.ts";
export * from "./10-find-coordinator.ts";
export * from "./11-join-group.ts";
export * from "./12-heartbeat.ts";
export * from "./13-leave-group.ts";
export * from "./14-sync-group.ts";
export * from "./15-describe-groups.ts";
export * from "./16-list-groups.ts";
export * from "./18-api-versions.ts";
export * from "./19-create-topics.ts";
export * from "./20-delete-topics.ts";
export * from "./22-init-producer-id.ts";
export * from "./23-offset-for-leader-epoch.ts";
export * from "./32-describe-configs.ts";
export * from "./37-create-partitions.ts";
