/** CreatePartitions (key 37): grows a topic to `count` partitions; explicit assignments unsupported. */
import { createPartitions as grow, waitForLeaders } from "./admin.ts";
import { code, type Handler } from "./types.ts";

export const createPartitions: Handler<37> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (!rt.running) await rt.ready();
  const results = [];
  for (const t of body.topics) {
    let error: Parameters<typeof code>[0] = null;
    if (t.assignments !== null && t.assignments.length > 0) error = "INVALID_REQUEST";
    else if (!body.validateOnly) error = await grow(rt, t.name, t.count);
    if (error === null && !body.validateOnly)
      await waitForLeaders(rt, [t.name], Math.min(Math.max(body.timeoutMs, 0), 10_000));
    results.push({ name: t.name, errorCode: code(error), errorMessage: error });
  }
  return { throttleTimeMs: 0, results };
};
