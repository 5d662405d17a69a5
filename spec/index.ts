/**
 * kafkaspec's public specification API (`import ... from "kafkaspec/spec"`): the vocabulary of
 * operations and outcomes, the adapter contract a target implements, histories, the invariant checkers
 * and the runner that checks a target against the reference model.
 */
export * from "./adapter.ts";
export * from "./errors.ts";
export * from "./history.ts";
export * from "./invariants/index.ts";
export * from "./operations.ts";
export { formatFailure, formatResult, formatStats, resultJSON } from "./report/format.ts";
export * from "./report/types.ts";
export {
  faultKindsFor,
  type HuntResult,
  huntSeededFaults,
  loadReferenceSuite,
  type Progress,
  parseReplay,
  type ReferenceSuite,
  ReplayMismatchError,
  type ReplayToken,
  type RunCheckOptions,
  runCheck,
  type SeededFaultEntry,
} from "./runner.ts";
export type { AssignFn, BuildContext } from "./workload/build.ts";
export type { InvariantSuite } from "./workload/execution.ts";
export { MODEL_ADOPT, MODEL_OUTCOME, RunExecution, RunFailed } from "./workload/execution.ts";
export type { Intent } from "./workload/intents.ts";
