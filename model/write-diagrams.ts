/** Writes docs/diagrams/<machine>.md from the machine definitions: `npx tsx model/write-diagrams.ts`. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { diagramDocument, MACHINES } from "./diagram.ts";

export const DIAGRAM_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "docs", "diagrams");

export function writeDiagrams(dir = DIAGRAM_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.keys(MACHINES).map((name) => {
    const path = join(dir, `${name}.md`);
    writeFileSync(path, diagramDocument(name));
    return path;
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const p of writeDiagrams()) console.log(`wrote ${p}`);
}
