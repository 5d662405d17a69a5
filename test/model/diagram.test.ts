import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { machineGraph } from "../../model/coverage.ts";
import { diagramDocument, MACHINES, machineDiagram } from "../../model/diagram.ts";
import { DIAGRAM_DIR } from "../../model/write-diagrams.ts";

describe("diagrams generated from the machines", () => {
  it.each(Object.keys(MACHINES))(
    "docs/diagrams/%s.md is up to date (regenerate: npx tsx model/write-diagrams.ts)",
    (name) => {
      const committed = readFileSync(join(DIAGRAM_DIR, `${name}.md`), "utf8");
      expect(committed).toBe(diagramDocument(name));
    },
  );

  it.each(Object.keys(MACHINES))("the %s diagram shows every state and transition of the machine", (name) => {
    const text = machineDiagram(name, "mermaid");
    expect(text.startsWith("stateDiagram-v2\n")).toBe(true);
    const graph = machineGraph(MACHINES[name]);
    const arrows = text.split("\n").filter((l) => l.includes(" : "));
    expect(arrows).toHaveLength(graph.transitions.length);
    for (const state of graph.states) expect(text).toContain(state);
  });

  it("refuses an unknown machine", () => {
    expect(() => machineDiagram("nope", "mermaid")).toThrow(/no machine/);
  });
});
