/**
 * ControlledShutdown (key 7): a broker about to stop asks the controller to move leadership off it first.
 * Defined v0-3.
 *
 * Inter-broker (ZooKeeper mode). v0: the only request in the protocol whose header has no clientId
 * (request header v0); v1: the standard header, the same body. v2: brokerEpoch (KIP-380), so a controller
 * refuses a request from an earlier incarnation of the broker. v3: first flexible version.
 *
 * Errors:
 * NOT_CONTROLLER: this broker is not (or no longer) the controller; the broker finds the controller again.
 * BROKER_NOT_AVAILABLE: the controller has no live broker with this id.
 * STALE_BROKER_EPOCH: the brokerEpoch is older than the registration the controller knows.
 * A reply without error lists the partitions the broker still leads (no other in-sync replica could take
 * them); the broker retries after controlled.shutdown.retry.backoff.ms while any remain.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec } from "../types.ts";

export const ControlledShutdownRequest = {
  apiKey: 7,
  name: "ControlledShutdownRequest",
  kind: "request",
  validVersions: "0-3",
  flexibleVersions: "3+",
  fields: [
    /** The id of the broker for which controlled shutdown has been requested. */
    { name: "brokerId", type: "int32", versions: "0+" },
    /** The broker's epoch (its registration's creation zxid); -1 if unknown. */
    { name: "brokerEpoch", type: "int64", versions: "2+", default: -1n },
  ],
} as const satisfies MessageSpec;

export const ControlledShutdownResponse = {
  apiKey: 7,
  name: "ControlledShutdownResponse",
  kind: "response",
  validVersions: "0-3",
  flexibleVersions: "3+",
  fields: [
    /** The top-level error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The partitions that the broker still leads. */
    {
      name: "remainingPartitions",
      type: {
        array: {
          name: "RemainingPartition",
          fields: [
            /** The name of the topic. */
            { name: "topicName", type: "string", versions: "0+" },
            /** The index of the partition. */
            { name: "partitionIndex", type: "int32", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const ControlledShutdown = {
  apiKey: 7,
  name: "ControlledShutdown",
  request: ControlledShutdownRequest,
  response: ControlledShutdownResponse,
} as const satisfies ApiSpec;

export type ControlledShutdownRequest = Message<typeof ControlledShutdownRequest>;
export type ControlledShutdownResponse = Message<typeof ControlledShutdownResponse>;
export type ControlledShutdownRequestInput = MessageInput<typeof ControlledShutdownRequest>;
export type ControlledShutdownResponseInput = MessageInput<typeof ControlledShutdownResponse>;
