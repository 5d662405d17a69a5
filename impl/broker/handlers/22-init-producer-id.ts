/**
 * InitProducerId (key 22): a producer id for an idempotent producer, from a cluster-wide counter in
 * the metadata store. v3+: a producer that already has an id gets the same id with its epoch bumped,
 * if this broker issued that id (else INVALID_PRODUCER_ID_MAPPING, as Kafka answers an unknown one).
 * Transactions are not supported: a transactional id is accepted but treated like none.
 */
import { code, type Handler } from "./types.ts";

export const initProducerId: Handler<22> = async (ctx, body) => {
  const rt = ctx.runtime;
  if (ctx.apiVersion >= 3 && body.producerId >= 0n && body.producerEpoch >= 0) {
    const epoch =
      body.producerId <= BigInt(Number.MAX_SAFE_INTEGER)
        ? rt.producerIds.bumpEpoch(Number(body.producerId), body.producerEpoch)
        : null;
    if (epoch === null)
      return {
        throttleTimeMs: 0,
        errorCode: code("INVALID_PRODUCER_ID_MAPPING"),
        producerId: -1n,
        producerEpoch: -1,
      };
    return { throttleTimeMs: 0, errorCode: 0, producerId: body.producerId, producerEpoch: epoch };
  }
  const id = await rt.producerIds.next(rt.brokerId);
  return { throttleTimeMs: 0, errorCode: 0, producerId: BigInt(id), producerEpoch: 0 };
};
