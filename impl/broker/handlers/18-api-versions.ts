/**
 * ApiVersions (key 18): every version the codec defines (impl/protocol/versions.ts). An unsupported
 * ApiVersions version never reaches here: the server answers it in the v0 layout with error 35 and
 * key 18's range (KIP-511), which is what librdkafka and the Java client retry from.
 */
import { advertisedRanges } from "../../protocol/versions.ts";
import type { Handler } from "./types.ts";

export const apiVersions: Handler<18> = () => ({
  errorCode: 0,
  apiKeys: advertisedRanges(),
  throttleTimeMs: 0,
});
