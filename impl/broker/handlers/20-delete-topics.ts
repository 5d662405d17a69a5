/**
 * DeleteTopics (key 20). The controller core has no topic deletion yet, so every topic is answered
 * TOPIC_DELETION_DISABLED, which is what Kafka answers with delete.topic.enable=false: clients report
 * it plainly instead of waiting for a deletion that never happens.
 */
import { code, type Handler } from "./types.ts";

export const deleteTopics: Handler<20> = (ctx, body) => {
  const names = ctx.apiVersion >= 6 ? body.topics.map((t) => t.name ?? "") : body.topicNames;
  return {
    throttleTimeMs: 0,
    responses: names.map((name) => ({
      name,
      errorCode: code("TOPIC_DELETION_DISABLED"),
      errorMessage: "topic deletion is not supported by this broker",
    })),
  };
};
