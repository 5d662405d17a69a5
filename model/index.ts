/** The reference model of a Kafka cluster: machines, partitioners, assignors, the composed cluster. */
export {
  ASSIGNORS,
  type Assignment,
  type AssignorFn,
  assign,
  type MemberSubscription,
  rangeAssignor,
  roundRobinAssignor,
  stickyAssignor,
} from "./assignors.ts";
export { type BrokerContext, type BrokerEvent, brokerMachine } from "./broker.machine.ts";
export { CheckerState } from "./checker.ts";
export { ALL_FAULTS, type Choice, ClusterModel } from "./cluster.ts";
export {
  assignReplicas,
  type ControllerContext,
  type ControllerEvent,
  controllerMachine,
  type PartitionState,
  type TopicState,
} from "./controller.machine.ts";
export {
  type CoverageLine,
  CoverageRecorder,
  coverageReport,
  formatCoverage,
  machineGraph,
  transitionId,
  type Visited,
} from "./coverage.ts";
export { diagramDocument, machineDiagram } from "./diagram.ts";
export { type GroupContext, type GroupEvent, type GroupMember, groupMachine } from "./group.machine.ts";
export { ReplicaLog } from "./log.ts";
export { MACHINES, type MachineName } from "./machines.ts";
export {
  allowedPartitions,
  CUSTOM_PARTITIONERS,
  type CustomPartitioner,
  choosePartition,
  keyBytes,
  murmur2,
  murmur2Partition,
  newPartitionerState,
  type PartitionerState,
  toPositive,
} from "./partitioners.ts";
export { Prng, prngNext } from "./prng.ts";
export {
  endOffsetForEpoch,
  type LogEntry,
  type ReplicaState,
  type ReplicationContext,
  type ReplicationEvent,
  replicationMachine,
  truncationOffset,
} from "./replication.machine.ts";
export { MODEL_DEFAULTS, type ModelSettings, readSettings } from "./settings.ts";
export { initial, run, step } from "./step.ts";
