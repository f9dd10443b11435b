// Which SQLite store openDurableStore opens (in a worker thread or not), and where: SQLite only by
// subject (the PostgreSQL store's opening is in postgres.test.ts).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { openDurableStore } from '../../src/storage/index.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';
import { openWorkerSqliteStore } from '../../src/storage/worker-store.js';

vi.mock('../../src/storage/sqlite.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/storage/sqlite.js')>();
  return { ...actual, openSqliteStore: vi.fn(actual.openSqliteStore) };
});
vi.mock('../../src/storage/worker-store.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/storage/worker-store.js')>();
  return { ...actual, openWorkerSqliteStore: vi.fn(actual.openWorkerSqliteStore) };
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'costwise-index-'));
  vi.mocked(openSqliteStore).mockClear();
  vi.mocked(openWorkerSqliteStore).mockClear();
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('opens a SQLite store in a worker thread by default, creating missing parent directories', async () => {
  const path = join(dir, 'nested', 'deeper', 'costwise.db');
  const store = openDurableStore({ kind: 'sqlite', path });
  expect(existsSync(path)).toBe(true);
  expect(await store.ledgerRows({ limit: 1 })).toEqual([]);
  await store.close();
  expect(openWorkerSqliteStore).toHaveBeenCalledOnce();
  expect(openSqliteStore).not.toHaveBeenCalled();
});

it('opens the in-thread store with worker: false', async () => {
  const store = openDurableStore({ kind: 'sqlite', path: join(dir, 'a', 'costwise.db'), worker: false });
  expect(await store.ledgerRows({ limit: 1 })).toEqual([]);
  await store.close();
  expect(openSqliteStore).toHaveBeenCalledOnce();
  expect(openWorkerSqliteStore).not.toHaveBeenCalled();
});

it('opens an in-memory SQLite store', async () => {
  const store = openDurableStore({ kind: 'sqlite', path: ':memory:' });
  expect(await store.spend({ groupBy: 'day' })).toEqual([]);
  await store.close();
});

it('rejects an unknown kind', () => {
  // @ts-expect-error -- deliberately an unknown kind: it must be refused
  expect(() => openDurableStore({ kind: 'mysql', path: 'x' })).toThrow(/unknown durable store kind/);
});
