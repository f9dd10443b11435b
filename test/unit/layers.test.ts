// The layering of src/ (.dependency-cruiser.cjs): the tree itself passes, and an upward import —
// src/core importing src/server — fails, in a scratch tree checked with the same rules.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const depcruise = join(root, 'node_modules', '.bin', 'depcruise');
const config = join(root, '.dependency-cruiser.cjs');

interface CruiseResult {
  summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
}

async function cruise(cwd: string): Promise<CruiseResult> {
  try {
    const { stdout } = await run(depcruise, ['src', '--config', config, '--output-type', 'json'], { cwd, maxBuffer: 64 * 1024 * 1024 });
    return JSON.parse(stdout) as CruiseResult;
  } catch (err) {
    // depcruise exits non-zero when it finds violations; its report is still on stdout.
    const stdout = (err as { stdout?: string }).stdout;
    if (!stdout) throw err;
    return JSON.parse(stdout) as CruiseResult;
  }
}

describe('layers (npm run lint: dependency-cruiser)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'costwise-layers-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('the source tree imports only downward, with no cycle', async () => {
    const { summary } = await cruise(root);
    expect(summary.violations).toEqual([]);
  }, 60_000);

  it('an upward import (src/core → src/server) fails', async () => {
    mkdirSync(join(scratch, 'src', 'core'), { recursive: true });
    mkdirSync(join(scratch, 'src', 'server'), { recursive: true });
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    writeFileSync(join(scratch, 'src', 'server', 'app.ts'), 'export const port = 4000;\n');
    writeFileSync(join(scratch, 'src', 'core', 'errors.ts'), "import { port } from '../server/app.js';\nexport const defaultPort = port;\n");
    const { summary } = await cruise(scratch);
    expect(summary.violations.map((v) => [v.rule.name, v.from, v.to])).toEqual([['layer-core', 'src/core/errors.ts', 'src/server/app.ts']]);
  }, 60_000);
});
