/**
 * Which connections a network partition cuts, as the model reads `isolate`: no broker of one side
 * reaches a broker of the other, clients reach every broker, and ZooKeeper stays with side 0, so the
 * brokers of side 1 (that are not also on side 0) lose it. Pure.
 */
import type { BrokerId } from "../../spec/operations.ts";
import type { Source } from "./proxy.ts";

export interface Cut {
  sides: [BrokerId[], BrokerId[]];
}

/** Whether traffic from `source` may reach broker `to` under `cut` (null: no partition). */
export function mayReachBroker(cut: Cut | null, source: Source, to: BrokerId): boolean {
  if (cut === null || source === "client" || source === to) return true;
  const [a, b] = cut.sides;
  const crosses = (x: BrokerId, y: BrokerId) => a.includes(x) && b.includes(y) && !a.includes(y);
  return !(crosses(source, to) || crosses(to, source));
}

/** Whether broker `id` reaches ZooKeeper under `cut`. */
export function mayReachZooKeeper(cut: Cut | null, id: BrokerId): boolean {
  if (cut === null) return true;
  return !(cut.sides[1].includes(id) && !cut.sides[0].includes(id));
}
