/**
 * Transition coverage: which (state, event [guard] -> target) transitions of each machine a run stepped
 * through, against every transition the machine definitions declare.
 */
import type { AnyStateMachine, AnyStateNode } from "xstate";
import { MACHINES } from "./machines.ts";

/** The parts of an xstate transition definition coverage needs. */
interface TransitionLike {
  source: AnyStateNode;
  eventType: string;
  target?: readonly AnyStateNode[] | undefined;
  guard?: unknown;
}

const statePath = (node: AnyStateNode) => node.path.join(".") || "(root)";

function guardName(guard: unknown): string {
  if (guard === undefined || guard === null) return "";
  if (typeof guard === "string") return `[${guard}]`;
  if (typeof guard === "object" && "type" in guard) return `[${String((guard as { type: unknown }).type)}]`;
  return "[guard]";
}

/** `source --EVENT[guard]--> target`: a transition's name in reports and diagrams. */
export function transitionId(t: TransitionLike): string {
  const targets = t.target && t.target.length > 0 ? t.target.map(statePath).join(",") : statePath(t.source);
  return `${statePath(t.source)} --${t.eventType}${guardName(t.guard)}--> ${targets}`;
}

function walk(node: AnyStateNode, visit: (n: AnyStateNode) => void) {
  visit(node);
  for (const child of Object.values(node.states)) walk(child as AnyStateNode, visit);
}

/** Every state (leaf or compound, not the root) and every declared transition of a machine. */
export function machineGraph(machine: AnyStateMachine): { states: string[]; transitions: string[] } {
  const states: string[] = [];
  const transitions: string[] = [];
  walk(machine.root, (n) => {
    if (n !== machine.root) states.push(statePath(n));
    for (const list of n.transitions.values())
      for (const t of list) transitions.push(transitionId(t as TransitionLike));
  });
  return { states, transitions };
}

/** Per machine name, the ids of the transitions taken (and the states entered, initial ones included). */
export type Visited = Map<string, { states: Set<string>; transitions: Set<string> }>;

export class CoverageRecorder {
  readonly visited: Visited = new Map();

  private slot(name: string) {
    let s = this.visited.get(name);
    if (s === undefined) {
      s = { states: new Set(), transitions: new Set() };
      this.visited.set(name, s);
    }
    return s;
  }

  /** Record the state a machine starts in. */
  initial(name: string, value: unknown) {
    for (const p of stateValuePaths(value)) this.slot(name).states.add(p);
  }

  /** Record the transitions `event` selects from `snapshot` (call before stepping). */
  // biome-ignore lint/suspicious/noExplicitAny: any machine and its snapshot
  record(name: string, machine: AnyStateMachine, snapshot: any, event: { type: string }) {
    const taken = machine.getTransitionData(snapshot, event) as unknown as TransitionLike[];
    const slot = this.slot(name);
    for (const t of taken) {
      slot.transitions.add(transitionId(t));
      const targets = t.target && t.target.length > 0 ? t.target : [t.source];
      for (const n of targets) slot.states.add(statePath(n));
    }
  }

  merge(other: CoverageRecorder) {
    for (const [name, v] of other.visited) {
      const s = this.slot(name);
      for (const x of v.states) s.states.add(x);
      for (const x of v.transitions) s.transitions.add(x);
    }
  }
}

function stateValuePaths(value: unknown, prefix = ""): string[] {
  if (typeof value === "string") return [prefix + value];
  if (value !== null && typeof value === "object")
    return Object.entries(value).flatMap(([k, v]) => [prefix + k, ...stateValuePaths(v, `${prefix}${k}.`)]);
  return [];
}

export interface CoverageLine {
  machine: string;
  states: { reached: number; total: number };
  transitions: { reached: number; total: number };
  missing: string[];
}

export function coverageReport(
  visited: Visited,
  machines: Record<string, AnyStateMachine> = MACHINES,
): CoverageLine[] {
  return Object.entries(machines).map(([name, machine]) => {
    const graph = machineGraph(machine);
    const seen = visited.get(name) ?? { states: new Set<string>(), transitions: new Set<string>() };
    const missingStates = graph.states.filter((s) => !seen.states.has(s)).map((s) => `state ${s}`);
    const missingTransitions = graph.transitions.filter((t) => !seen.transitions.has(t));
    return {
      machine: name,
      states: { reached: graph.states.length - missingStates.length, total: graph.states.length },
      transitions: {
        reached: graph.transitions.length - missingTransitions.length,
        total: graph.transitions.length,
      },
      missing: [...missingStates, ...missingTransitions],
    };
  });
}

export function formatCoverage(lines: readonly CoverageLine[]): string {
  return lines
    .map(
      (l) =>
        `${l.machine.padEnd(12)} states ${l.states.reached}/${l.states.total}  transitions ${l.transitions.reached}/${l.transitions.total}` +
        (l.missing.length > 0 ? `\n  missing: ${l.missing.join("\n           ")}` : ""),
    )
    .join("\n");
}
