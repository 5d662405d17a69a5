/**
 * AlterPartition (key 56, v0), leader to controller (KIP-497): decoded outside the client registry
 * (see peer/alter-partition.ts). The request waits for the controller's answers, bounded, so the
 * leader learns the new ISR on the same connection.
 */
import { KafkaErrorCode } from "../../../spec/errors.ts";
import {
  type AlterPartitionResponseBody,
  decodeAlterPartitionRequest,
  encodeAlterPartitionResponse,
} from "../peer/alter-partition.ts";
import { alterPartitionMessages } from "../peer/mapping.ts";
import type { BrokerRuntime } from "../runtime.ts";
import { code } from "./types.ts";

export async function handleAlterPartitionFrame(
  rt: BrokerRuntime,
  frame: Buffer,
  close: (why: string) => void,
): Promise<Buffer[] | null> {
  const req = decodeAlterPartitionRequest(frame);
  if (!req.ok) {
    close(req.reason);
    return null;
  }
  const answers = await rt.peerAlterPartition(req.body.brokerId, alterPartitionMessages(req.body));
  const topics = new Map<string, AlterPartitionResponseBody["topics"][number]["partitions"]>();
  for (const a of answers) {
    const list = topics.get(a.topic) ?? [];
    list.push({
      partitionIndex: a.partition,
      errorCode: code(a.error),
      leaderId: -1,
      leaderEpoch: a.leaderEpoch,
      isr: a.isr,
      partitionEpoch: a.partitionEpoch,
    });
    topics.set(a.topic, list);
  }
  return encodeAlterPartitionResponse(req.correlationId, {
    throttleTimeMs: 0,
    errorCode: KafkaErrorCode.NONE,
    topics: [...topics].map(([topicName, partitions]) => ({ topicName, partitions })),
  });
}
