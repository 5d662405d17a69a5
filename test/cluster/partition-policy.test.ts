/** The partition policy reads `isolate` as the model does: brokers cut across sides, ZooKeeper with side 0. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { mayReachBroker, mayReachZooKeeper } from "../../impl/cluster-target/partition-policy.ts";

describe("partition policy", () => {
  it("cuts both directions between the sides and nothing within a side", () => {
    const cut = { sides: [[1], [2, 3]] as [number[], number[]] };
    expect(mayReachBroker(cut, 1, 2)).toBe(false);
    expect(mayReachBroker(cut, 2, 1)).toBe(false);
    expect(mayReachBroker(cut, 3, 1)).toBe(false);
    expect(mayReachBroker(cut, 2, 3)).toBe(true);
    expect(mayReachBroker(cut, 3, 2)).toBe(true);
    expect(mayReachBroker(cut, "client", 1)).toBe(true);
    expect(mayReachBroker(cut, "client", 3)).toBe(true);
    expect(mayReachZooKeeper(cut, 1)).toBe(true);
    expect(mayReachZooKeeper(cut, 2)).toBe(false);
    expect(mayReachZooKeeper(cut, 3)).toBe(false);
  });

  it("is symmetric, lets clients through, and heals to everything", () => {
    const ids = fc.integer({ min: 1, max: 5 });
    fc.assert(
      fc.property(
        fc.uniqueArray(ids, { minLength: 2, maxLength: 5 }),
        fc.nat(31),
        ids,
        ids,
        (brokers, bits, a, b) => {
          const left = brokers.filter((_, i) => i === 0 || ((bits >> i) & 1) === 0);
          const right = brokers.filter((x) => !left.includes(x));
          const cut = { sides: [left, right] as [number[], number[]] };
          expect(mayReachBroker(cut, a, b)).toBe(mayReachBroker(cut, b, a));
          expect(mayReachBroker(cut, "client", b)).toBe(true);
          expect(mayReachBroker(null, a, b)).toBe(true);
          expect(mayReachZooKeeper(null, a)).toBe(true);
          const crosses = (left.includes(a) && right.includes(b)) || (left.includes(b) && right.includes(a));
          expect(mayReachBroker(cut, a, b)).toBe(!crosses);
        },
      ),
    );
  });
});
