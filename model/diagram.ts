/**
 * Mermaid state diagrams generated from the machine definitions themselves (machine.root), so a diagram
 * cannot drift from the machine it shows.
 */
import type { AnyStateMachine, AnyStateNode } from "xstate";
import { MACHINES } from "./machines.ts";

export { MACHINES };

const id = (node: AnyStateNode) => node.path.join("_");

function guardLabel(guard: unknown): string {
  if (typeof guard === "string") return ` [${guard}]`;
  if (guard !== null && typeof guard === "object" && "type" in guard)
    return ` [${String((guard as { type: unknown }).type)}]`;
  return "";
}

function renderNode(node: AnyStateNode, indent: string, lines: string[]) {
  const children = Object.values(node.states) as AnyStateNode[];
  if (children.length > 0) {
    const initial = node.config.initial;
    if (typeof initial === "string")
      lines.push(`${indent}[*] --> ${id(node.states[initial] as AnyStateNode)}`);
    for (const child of children) {
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${id(child)} {`);
        renderNode(child, `${indent}  `, lines);
        lines.push(`${indent}}`);
      }
    }
    for (const child of children) {
      if (child.type === "final") lines.push(`${indent}${id(child)} --> [*]`);
      for (const [event, list] of child.transitions)
        for (const t of list) {
          const targets = t.target && t.target.length > 0 ? t.target : [child];
          for (const target of targets)
            lines.push(
              `${indent}${id(child)} --> ${id(target as AnyStateNode)} : ${event}${guardLabel(t.guard)}`,
            );
        }
    }
  }
}

export function machineDiagram(name: string, format: "mermaid"): string {
  const machine: AnyStateMachine | undefined = MACHINES[name];
  if (machine === undefined) throw new Error(`no machine named ${name}`);
  if (format !== "mermaid") throw new Error(`unsupported diagram format ${format}`);
  const lines = ["stateDiagram-v2"];
  renderNode(machine.root, "  ", lines);
  return `${lines.join("\n")}\n`;
}

/** The Markdown file committed under docs/diagrams/<name>.md. */
export function diagramDocument(name: string): string {
  return `# The ${name} machine\n\nGenerated from \`model/${name}.machine.ts\` by \`model/write-diagrams.ts\`; do not edit by hand.\nEach arrow is one transition: \`EVENT [guard]\` (guards are tried in the order shown).\n\n\`\`\`mermaid\n${machineDiagram(name, "mermaid")}\`\`\`\n`;
}
