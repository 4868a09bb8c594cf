// Parse the Mermaid blocks of Markdown files with Mermaid itself (npm package `mermaid`,
// in a jsdom window), as GitHub and GitLab do before drawing them.
// Usage: node mermaid_graph.mjs <node_modules dir> <file.md>...; prints one JSON object,
// file -> list of graphs ({nodes: [{id, label}], edges: [{from, to, label, stroke, end}]}),
// and exits 1 with the parser's message when a block does not parse.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [modules, ...files] = process.argv.slice(2);
const require = createRequire(join(modules, "index.js"));
const { JSDOM } = require("jsdom");
const window = new JSDOM("<!doctype html><html><body></body></html>").window;
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import(pathToFileURL(require.resolve("mermaid")));
mermaid.initialize({ startOnLoad: false });

const result = {};
for (const file of files) {
  const blocks = [...readFileSync(file, "utf8").matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)];
  result[file] = [];
  for (const [, text] of blocks) {
    let diagram;
    try {
      diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    } catch (error) {
      console.error(`${file}: ${error.message ?? error}`);
      process.exit(1);
    }
    const db = diagram.db;
    result[file].push({
      nodes: [...db.getVertices().values()].map((v) => ({ id: v.id, label: v.text })),
      edges: db.getEdges().map((e) => ({
        from: e.start, to: e.end, label: e.text, stroke: e.stroke, end: e.type, style: e.style ?? [],
      })),
    });
  }
}
console.log(JSON.stringify(result, null, 2));
