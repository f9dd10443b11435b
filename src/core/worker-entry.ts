// Where a worker thread's compiled entry is. From dist/ it sits beside the module that starts it.
// From the TypeScript sources (vitest runs them without a build) a worker cannot load a .ts file, so
// the dist/ build of the same path is used: `npm test` runs tsc before vitest, so it is fresh there.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The entry `name` (e.g. `ledger-worker.js`) beside the module at `moduleUrl`; `what` names the worker in the error. */
export function compiledWorkerEntry(moduleUrl: string, name: string, what: string): URL {
  const beside = new URL(`./${name}`, moduleUrl);
  if (existsSync(beside) || !moduleUrl.endsWith('.ts')) return beside;
  const at = beside.href.lastIndexOf('/src/');
  const built = new URL(`${beside.href.slice(0, at)}/dist${beside.href.slice(at)}`);
  if (existsSync(built)) return built;
  throw new Error(`costwise: ${what} runs from the build, and ${fileURLToPath(built)} is missing: run \`npx tsc -p tsconfig.json\` first (\`npm test\` does)`);
}
