/** What every API handler gets and returns. */
import { KafkaErrorCode, type KafkaErrorName } from "../../../spec/errors.ts";
import type { ApiKey, RequestHeader, RequestOf, ResponseInputOf } from "../../protocol/index.ts";
import type { BrokerRuntime } from "../runtime.ts";
import type { BrokerState } from "./state.ts";

export interface RequestContext {
  runtime: BrokerRuntime;
  state: BrokerState;
  header: RequestHeader;
  apiVersion: number;
  clientHost: string;
}

/** Returns the response body, or null when the request gets no response (Produce with acks=0). */
export type Handler<K extends ApiKey> = (
  ctx: RequestContext,
  body: RequestOf<K>,
) => Promise<ResponseInputOf<K> | null> | ResponseInputOf<K> | null;

export function code(error: KafkaErrorName | "NONE" | null | undefined): number {
  if (error === null || error === undefined || error === "NONE") return 0;
  return KafkaErrorCode[error];
}
