/**
 * LeaderAndIsr (key 4): the controller tells brokers which replicas they lead or follow. Defined v0-7.
 *
 * Inter-broker (ZooKeeper mode). v0: flat partition states with their topic names.
 * v1: isNew. v2: brokerEpoch, partitions grouped by topic. v3: addingReplicas and removingReplicas.
 * v4: first flexible version. v5: topic ids and the request type (KIP-516); the response groups
 * errors by topic id. v6: leaderRecoveryState (KIP-704). v7: isKRaftController (KIP-866).
 *
 * Errors:
 * STALE_CONTROLLER_EPOCH: the sender's controller epoch is older than one seen. STALE_BROKER_EPOCH:
 * addressed to an earlier incarnation of this broker. Per partition: FENCED_LEADER_EPOCH for a stale epoch.
 */
import type { ApiSpec, Message, MessageInput, MessageSpec, StructSpec } from "../types.ts";

/** LeaderAndIsrPartitionState */
const LeaderAndIsrPartitionStateStruct = {
  name: "LeaderAndIsrPartitionState",
  fields: [
    /** The topic name. */
    { name: "topicName", type: "string", versions: "0-1" },
    /** The partition index. */
    { name: "partitionIndex", type: "int32", versions: "0+" },
    /** The sender's controller epoch; a broker ignores a controller whose epoch is older than one it has seen. */
    { name: "controllerEpoch", type: "int32", versions: "0+" },
    /** The leader of the group, a member id. */
    { name: "leader", type: "int32", versions: "0+" },
    /** The leader epoch. */
    { name: "leaderEpoch", type: "int32", versions: "0+" },
    /** The in-sync replicas. */
    { name: "isr", type: { array: "int32" }, versions: "0+" },
    /** The partition epoch (KRaft), bumped on every leader or ISR change. */
    { name: "partitionEpoch", type: "int32", versions: "0+" },
    /** All replicas of the partition, preferred leader first. */
    { name: "replicas", type: { array: "int32" }, versions: "0+" },
    /** Replicas being added by an in-progress reassignment. */
    { name: "addingReplicas", type: { array: "int32" }, versions: "3+" },
    /** Replicas being removed by an in-progress reassignment. */
    { name: "removingReplicas", type: { array: "int32" }, versions: "3+" },
    /** Whether the replica must have been created by this request (a new partition), so a missing log dir is an error. */
    { name: "isNew", type: "bool", versions: "1+", default: false },
    /** 0 if the leader is recovered, 1 if it is recovering after an unclean election (KIP-704). */
    { name: "leaderRecoveryState", type: "int8", versions: "6+", default: 0 },
  ],
} as const satisfies StructSpec;

/** LeaderAndIsrPartitionError */
const LeaderAndIsrPartitionErrorStruct = {
  name: "LeaderAndIsrPartitionError",
  fields: [
    /** The topic name. */
    { name: "topicName", type: "string", versions: "0-4" },
    /** The partition index. */
    { name: "partitionIndex", type: "int32", versions: "0+" },
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
  ],
} as const satisfies StructSpec;

export const LeaderAndIsrRequest = {
  apiKey: 4,
  name: "LeaderAndIsrRequest",
  kind: "request",
  validVersions: "0-7",
  flexibleVersions: "4+",
  fields: [
    /** The broker id of the controller, or -1 if there is none. */
    { name: "controllerId", type: "int32", versions: "0+" },
    /** Whether the controller is a KRaft controller. */
    { name: "isKRaftController", type: "bool", versions: "7+", default: false },
    /** The sender's controller epoch; a broker ignores a controller whose epoch is older than one it has seen. */
    { name: "controllerEpoch", type: "int32", versions: "0+" },
    /** The broker's epoch (its registration's creation zxid), fencing requests meant for an earlier incarnation; -1 if unknown. */
    { name: "brokerEpoch", type: "int64", versions: "2+", default: -1n },
    /** The request type (KIP-866): 0 unknown, 1 incremental, 2 full. */
    { name: "type", type: "int8", versions: "5+" },
    /** The partition states, flat (before topics grouped them). */
    { name: "ungroupedPartitionStates", type: { array: LeaderAndIsrPartitionStateStruct }, versions: "0-1" },
    /** The partitions by topic. */
    {
      name: "topicStates",
      type: {
        array: {
          name: "LeaderAndIsrTopicState",
          fields: [
            /** The topic name. */
            { name: "topicName", type: "string", versions: "2+" },
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "5+" },
            /** The state of each partition. */
            { name: "partitionStates", type: { array: LeaderAndIsrPartitionStateStruct }, versions: "2+" },
          ],
        },
      },
      versions: "2+",
    },
    /** The brokers that lead the partitions in this request, so the receiver can reach them. */
    {
      name: "liveLeaders",
      type: {
        array: {
          name: "LeaderAndIsrLiveLeader",
          fields: [
            /** The leader's broker id. */
            { name: "brokerId", type: "int32", versions: "0+" },
            /** The broker's host name. */
            { name: "hostName", type: "string", versions: "0+" },
            /** The leader's port. */
            { name: "port", type: "int32", versions: "0+" },
          ],
        },
      },
      versions: "0+",
    },
  ],
} as const satisfies MessageSpec;

export const LeaderAndIsrResponse = {
  apiKey: 4,
  name: "LeaderAndIsrResponse",
  kind: "response",
  validVersions: "0-7",
  flexibleVersions: "4+",
  fields: [
    /** The error code, or 0 for none. */
    { name: "errorCode", type: "int16", versions: "0+" },
    /** The result for each partition. */
    { name: "partitionErrors", type: { array: LeaderAndIsrPartitionErrorStruct }, versions: "0-4" },
    /** The topics. */
    {
      name: "topics",
      type: {
        array: {
          name: "LeaderAndIsrTopicError",
          fields: [
            /** The topic id (KIP-516); all zeros when unknown. */
            { name: "topicId", type: "uuid", versions: "5+" },
            /** The result for each partition. */
            { name: "partitionErrors", type: { array: LeaderAndIsrPartitionErrorStruct }, versions: "5+" },
          ],
        },
      },
      versions: "5+",
    },
  ],
} as const satisfies MessageSpec;

export const LeaderAndIsr = {
  apiKey: 4,
  name: "LeaderAndIsr",
  request: LeaderAndIsrRequest,
  response: LeaderAndIsrResponse,
} as const satisfies ApiSpec;

export type LeaderAndIsrRequest = Message<typeof LeaderAndIsrRequest>;
export type LeaderAndIsrResponse = Message<typeof LeaderAndIsrResponse>;
export type LeaderAndIsrRequestInput = MessageInput<typeof LeaderAndIsrRequest>;
export type LeaderAndIsrResponseInput = MessageInput<typeof LeaderAndIsrResponse>;
