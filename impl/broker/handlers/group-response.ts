/**
 * The coordinator's answer to a group request as the body for one API, or the error name the node
 * answered instead (NOT_COORDINATOR, also from a broker not yet registered; REQUEST_TIMED_OUT).
 */
import type { KafkaErrorName } from "../../../spec/errors.ts";
import type { GroupResponse } from "../../group/api.ts";
import type { ClientResponse } from "../../node/requests.ts";

export function groupBody<A extends GroupResponse["api"]>(
  r: ClientResponse,
  api: A,
): Extract<GroupResponse, { api: A }>["body"] | KafkaErrorName {
  if (r.api === "group" && r.response.api === api) return r.response.body as never;
  return r.api === "error" ? r.error : "UNKNOWN_SERVER_ERROR";
}
