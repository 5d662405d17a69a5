/**
 * UpdateMetadata (key 6), from the controller: the full cluster snapshot for the node's metadata cache,
 * and the live brokers' endpoints, which this broker then uses for Metadata answers and peer links.
 * Served from v5 (partitions grouped by topic), the version our controller sends.
 */
import { updateMetadataMessage } from "../peer/mapping.ts";
import type { Handler } from "./types.ts";

export const updateMetadata: Handler<6> = async (ctx, body) => {
  if (ctx.apiVersion < 5) return { errorCode: 42 };
  const topics = body.topicStates.map((t) => t.topicName);
  let endpoints = new Map();
  await ctx.runtime.peerControl(
    body.controllerId,
    (cfg) => {
      const m = updateMetadataMessage(body, cfg);
      endpoints = m.endpoints;
      ctx.runtime.learnEndpoints(endpoints);
      return m.message;
    },
    topics,
  );
  return { errorCode: 0 };
};
