/**
 * Replica placement as Kafka's AdminUtils.assignReplicasToBrokers does it without racks: the first
 * replica of partition p goes round-robin from a start index, the others follow at a shift that grows
 * every time the partitions wrap around the broker list, so replicas spread over broker pairs.
 */
import type { BrokerId } from "../../spec/operations.ts";

export function assignReplicas(
  brokers: readonly BrokerId[],
  partitions: number,
  replicationFactor: number,
  startIndex: number,
  startPartition = 0,
  firstShift = startIndex,
): BrokerId[][] {
  const sorted = [...brokers].sort((a, b) => a - b);
  const n = sorted.length;
  if (replicationFactor < 1 || replicationFactor > n) {
    throw new Error(`replication factor ${replicationFactor} with ${n} brokers`);
  }
  const out: BrokerId[][] = [];
  let shift = firstShift;
  for (let i = 0; i < partitions; i++) {
    const p = startPartition + i;
    if (p > 0 && p % n === 0) shift += 1;
    const first = (p + startIndex) % n;
    const replicas = [sorted[first]];
    for (let j = 0; j < replicationFactor - 1; j++) {
      const s = 1 + ((shift + j) % (n - 1));
      replicas.push(sorted[(first + s) % n]);
    }
    out.push(replicas);
  }
  return out;
}

/** AdminZkClient.createPartitions: new partitions continue from where partition 0's first replica sits. */
export function assignAddedPartitions(
  brokers: readonly BrokerId[],
  existing: readonly BrokerId[][],
  totalCount: number,
): BrokerId[][] {
  const sorted = [...brokers].sort((a, b) => a - b);
  const rf = existing[0].length;
  const idx = sorted.findIndex((b) => b >= existing[0][0]);
  const start = Math.max(0, idx);
  return assignReplicas(sorted, totalCount - existing.length, rf, start, existing.length, start);
}
