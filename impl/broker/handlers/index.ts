/** Every API key the broker serves, to its handler. */
import type { ApiKey } from "../../protocol/index.ts";
import { produce } from "./00-produce.ts";
import { fetch } from "./01-fetch.ts";
import { listOffsets } from "./02-list-offsets.ts";
import { metadataHandler } from "./03-metadata.ts";
import { leaderAndIsr } from "./04-leader-and-isr.ts";
import { stopReplica } from "./05-stop-replica.ts";
import { updateMetadata } from "./06-update-metadata.ts";
import { controlledShutdown } from "./07-controlled-shutdown.ts";
import { offsetCommit } from "./08-offset-commit.ts";
import { offsetFetch } from "./09-offset-fetch.ts";
import { findCoordinator } from "./10-find-coordinator.ts";
import { joinGroup } from "./11-join-group.ts";
import { heartbeat } from "./12-heartbeat.ts";
import { leaveGroup } from "./13-leave-group.ts";
import { syncGroup } from "./14-sync-group.ts";
import { describeGroups } from "./15-describe-groups.ts";
import { listGroups } from "./16-list-groups.ts";
import { apiVersions } from "./18-api-versions.ts";
import { createTopics } from "./19-create-topics.ts";
import { deleteTopics } from "./20-delete-topics.ts";
import { initProducerId } from "./22-init-producer-id.ts";
import { offsetForLeaderEpoch } from "./23-offset-for-leader-epoch.ts";
import { describeConfigs } from "./32-describe-configs.ts";
import { createPartitions } from "./37-create-partitions.ts";
import type { Handler } from "./types.ts";

export const handlers: { [K in ApiKey]: Handler<K> } = {
  0: produce,
  1: fetch,
  2: listOffsets,
  3: metadataHandler,
  4: leaderAndIsr,
  5: stopReplica,
  6: updateMetadata,
  7: controlledShutdown,
  8: offsetCommit,
  9: offsetFetch,
  10: findCoordinator,
  11: joinGroup,
  12: heartbeat,
  13: leaveGroup,
  14: syncGroup,
  15: describeGroups,
  16: listGroups,
  18: apiVersions,
  19: createTopics,
  20: deleteTopics,
  22: initProducerId,
  23: offsetForLeaderEpoch,
  32: describeConfigs,
  37: createPartitions,
};
