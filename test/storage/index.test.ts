import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { openDurableStore } from '../../src/storage/index.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'costwise-index-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('opens a SQLite store, creating missing parent directories', async () => {
  const path = join(dir, 'nested', 'deeper', 'costwise.db');
  const store = openDurableStore({ kind: 'sqlite', path });
  expect(existsSync(path)).toBe(true);
  expect(await store.ledgerRows({ limit: 1 })).toEqual([]);
  await store.close();
});

it('opens an in-memory SQLite store', async () => {
  const store = openDurableStore({ kind: 'sqlite', path: ':memory:' });
  expect(await store.spend({ groupBy: 'day' })).toEqual([]);
  await store.close();
});

it('rejects an unknown kind', () => {
  expect(() => openDurableStore({ kind: 'postgres', path: 'x' } as never)).toThrow(/unknown durable store kind/);
});
