// Several processes opening one new batch database at the same moment (replicas starting together,
// or two gateways whose batch files coincide): each must migrate or see it migrated, never fail
// with "table already exists". Uses the compiled store (npm test builds dist/ first).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const STORE = join(import.meta.dirname, '..', '..', 'dist', 'src', 'batch', 'sqlite-store.js');

function open(path: string): Promise<{ code: number | null; err: string }> {
  const script = `import(${JSON.stringify(STORE)}).then(({ SqliteBatchStore }) => new SqliteBatchStore(${JSON.stringify(path)}).close())`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, err })));
}

describe('batch store migrations', () => {
  it('six processes opening the same new database at once all succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const path = join(mkdtempSync(join(tmpdir(), 'costwise-batch-race-')), 'batches.db');
      const results = await Promise.all(Array.from({ length: 6 }, () => open(path)));
      for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
    }
  }, 60_000);
});
