// Several processes opening one new batch database at the same moment (replicas starting together,
// or two gateways whose batch files coincide): each must migrate or see it migrated, never fail
// with "table already exists". A new SQLite file, and a new PostgreSQL schema (migrations under an
// advisory lock). Uses the compiled store (npm test builds dist/ first).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH_BACKENDS, dropSchema } from './helpers.js';
import { PG_URL, schemaName, type Backend } from '../storage/backends.js';

const DIST = join(import.meta.dirname, '..', '..', 'dist', 'src', 'batch');

/** A new database of the backend: a file path or a schema name. */
function newDatabase(backend: Backend): string {
  return backend === 'sqlite' ? join(mkdtempSync(join(tmpdir(), 'costwise-batch-race-')), 'batches.db') : schemaName();
}

/** A child process that opens the batch store on `target`, waits until it is migrated and closes it. */
function open(backend: Backend, target: string): Promise<{ code: number | null; err: string }> {
  const script =
    backend === 'sqlite'
      ? `import(${JSON.stringify(join(DIST, 'sqlite-store.js'))}).then(({ SqliteBatchStore }) => new SqliteBatchStore(${JSON.stringify(target)}).close())`
      : `import(${JSON.stringify(join(DIST, 'postgres', 'store.js'))}).then(async ({ openPostgresBatchStore }) => {
           const store = openPostgresBatchStore({ url: ${JSON.stringify(PG_URL)}, schema: ${JSON.stringify(target)} });
           await store.ready();
           await store.close();
         })`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, err })));
}

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

describe.each(BATCH_BACKENDS)('batch store migrations (%s)', (backend) => {
  it('six processes opening the same new database at once all succeed', async () => {
    for (let round = 0; round < 3; round++) {
      const target = newDatabase(backend);
      if (backend === 'postgres') schemas.push(target);
      const results = await Promise.all(Array.from({ length: 6 }, () => open(backend, target)));
      for (const r of results) expect(r, r.err).toMatchObject({ code: 0 });
    }
  }, 60_000);
});
