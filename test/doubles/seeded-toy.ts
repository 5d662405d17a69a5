/**
 * Doubles for the seeded-fault hunt: a fake catalog (impl/faults/catalog.ts' shape) and a toy target
 * that plants one of its faults when ClusterSetup.seededFaults names it, as impl/ does for real.
 */
import type { ClusterSetup, Target } from "../../spec/adapter.ts";
import type { ClientOp, Fault } from "../../spec/operations.ts";
import type { SeededFaultEntry } from "../../spec/runner.ts";
import { offsetReuse } from "./offset-reuse.ts";
import { ToyTarget } from "./toy-target.ts";

export const FAKE_CATALOG: SeededFaultEntry[] = [
  { name: "offset-reuse", description: "acknowledges a record at an offset already used", faults: ["crash"] },
  { name: "inert", description: "switches on nothing at all, so no check can catch it", faults: [] },
];

export class SeededToyTarget implements Target {
  readonly name = "seeded-toy";
  readonly capabilities = new ToyTarget().capabilities;
  private inner: Target = new ToyTarget();

  async start(setup: ClusterSetup): Promise<void> {
    if (setup.seededFaults?.includes("offset-reuse")) this.inner = offsetReuse(new ToyTarget(), 2);
    await this.inner.start(setup);
  }
  execute(op: ClientOp) {
    return this.inner.execute(op);
  }
  inject(fault: Fault) {
    return this.inner.inject(fault);
  }
  settle() {
    return this.inner.settle?.() ?? Promise.resolve();
  }
  stop() {
    return this.inner.stop();
  }
}
