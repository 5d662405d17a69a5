/**
 * CreatePartitions (key 37): grows a topic to `count` partitions; explicit assignments unsupported.
 * A request adding more than Kafka's 10,000 partitions (one metadata record each) is refused whole, and a
 * topic whose growth passes max.partitions alone, both POLICY_VIOLATION (partition-budget.ts).
 */
import { validPartitionCount } from "../../controller/controller.ts";
import { EXCESSIVE_BATCH_MESSAGE, MAX_RECORDS_PER_REQUEST } from "../partition-budget.ts";
import { createPartitions as grow, metadata, waitForLeaders } from "./admin.ts";
import { code, type Handler } from "./types.ts";

export const createPartitions: Handler<37> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  // New partitions per topic, from this broker's metadata (the controller checks again against its own).
  const md = await metadata(
    rt,
    body.topics.map((t) => t.name),
  );
  const existing = new Map((md?.topics ?? []).map((t) => [t.name, t.partitions.length]));
  const added = body.topics.reduce(
    (n, t) => n + (validPartitionCount(t.count) ? Math.max(0, t.count - (existing.get(t.name) ?? 0)) : 0),
    0,
  );
  const tooLarge = added > MAX_RECORDS_PER_REQUEST;
  const results = [];
  for (const t of body.topics) {
    let error: Parameters<typeof code>[0] = null;
    let message: string | null = null;
    if (tooLarge) {
      error = "POLICY_VIOLATION";
      message = EXCESSIVE_BATCH_MESSAGE;
    } else if (t.assignments !== null && t.assignments.length > 0) error = "INVALID_REQUEST";
    else if (!body.validateOnly) {
      error = await grow(rt, t.name, t.count);
      if (error === "POLICY_VIOLATION")
        message = `max.partitions (${rt.config.maxPartitions}) would be exceeded`;
    }
    if (error === null && !body.validateOnly)
      await waitForLeaders(rt, [t.name], Math.min(Math.max(body.timeoutMs, 0), 10_000));
    results.push({ name: t.name, errorCode: code(error), errorMessage: message ?? error });
  }
  return { throttleTimeMs: 0, results };
};
