/**
 * InitProducerId (key 22): a producer id for an idempotent producer, from a cluster-wide counter in
 * the metadata store. v3+: a producer that already has an id gets the same id with its epoch bumped.
 * Transactions are not supported: a transactional id is accepted but treated like none.
 */
import type { Handler } from "./types.ts";

export const initProducerId: Handler<22> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (ctx.apiVersion >= 3 && body.producerId >= 0n && body.producerEpoch >= 0) {
    return {
      throttleTimeMs: 0,
      errorCode: 0,
      producerId: body.producerId,
      producerEpoch: (body.producerEpoch + 1) & 0x7fff,
    };
  }
  const id = await rt.producerIds.next(rt.brokerId);
  return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(id), producerEpoch: 0 };
};
