/**
 * A target that breaks an invariant on purpose: it wraps a correct target and, from the `after`-th
 * acknowledged produce on, acknowledges each record at the offset of the partition's previous record,
 * an offset already used (Jepsen's inconsistent-offsets; the seeded fault "an offset reused after a
 * crash" in spirit). The runner must catch it, shrink it and replay it.
 */
import type { Target } from "../../spec/adapter.ts";
import type { ClientOp, Outcome } from "../../spec/operations.ts";

export class OffsetReuseTarget implements Target {
  readonly name: string;
  private acknowledged = 0;

  constructor(
    private readonly inner: Target,
    private readonly after = 3,
  ) {
    this.name = `${inner.name}+offset-reuse`;
  }

  get capabilities() {
    return this.inner.capabilities;
  }
  start(setup: Parameters<Target["start"]>[0]) {
    return this.inner.start(setup);
  }
  inject(fault: Parameters<Target["inject"]>[0]) {
    return this.inner.inject(fault);
  }
  stop() {
    return this.inner.stop();
  }

  async execute(op: ClientOp): Promise<Outcome> {
    const outcome = await this.inner.execute(op);
    if (op.kind !== "produce" || outcome.status !== "ok") return outcome;
    const v = outcome.value as { partition: number; offset: number };
    this.acknowledged++;
    if (this.acknowledged < this.after || v.offset === 0) return outcome;
    return { status: "ok", value: { partition: v.partition, offset: v.offset - 1 } };
  }
}

/** Give the wrapper the optional methods only when the inner target has them. */
export function offsetReuse(inner: Target, after = 3): Target {
  const t = new OffsetReuseTarget(inner, after) as Target & { settle?: () => Promise<void> };
  if (inner.settle !== undefined) t.settle = () => inner.settle!();
  if (inner.observe !== undefined) (t as Target).observe = () => inner.observe!();
  return t;
}
