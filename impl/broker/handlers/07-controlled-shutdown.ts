/**
 * ControlledShutdown (key 7), from a broker about to stop: answered by the controller this broker hosts
 * (NOT_CONTROLLER if it is not the active one). Served at v0-3; before v2 the request has no broker epoch
 * and the controller accepts it unchecked, as Kafka's does. See impl/controller/controller.ts
 * onControlledShutdown for what the controller does, and impl/controller/controlled-shutdown.ts for the
 * asking broker's retries.
 */
import type { Handler } from "./types.ts";
import { code } from "./types.ts";

/** request.timeout.ms's default: the asking broker gives up on an attempt after this long anyway. */
const ANSWER_WAIT_MS = 30_000;

export const controlledShutdown: Handler<7> = async (ctx, body) => {
  const r = await ctx.runtime.call(
    {
      api: "controlledShutdown",
      brokerId: body.brokerId,
      brokerEpoch: ctx.apiVersion >= 2 ? Number(body.brokerEpoch) : -1,
    },
    ANSWER_WAIT_MS,
  );
  if (r.api !== "controlledShutdown")
    return { errorCode: code(r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR"), remainingPartitions: [] };
  return {
    errorCode: code(r.error),
    remainingPartitions: r.remaining.map((p) => ({ topicName: p.topic, partitionIndex: p.partition })),
  };
};
