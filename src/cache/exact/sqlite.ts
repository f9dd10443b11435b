// SQLite store (embedded, single host): its own tables in a given file, WAL, bounded by bytes with
// LRU-ish eviction by last access, TTL checked on read and swept on a timer.
//
// LRU-ish: a hit rewrites last_access only when the stored one is older than
// `accessResolutionMs`, so most hits are pure reads; eviction takes the least recently accessed
// rows first (ties by insertion order). Accounted bytes per row = value bytes + UTF-8 bytes of
// key, tenant and model + SQLITE_ROW_OVERHEAD_BYTES; the bound holds at every commit. The file
// itself is larger (free pages, the WAL): the bound is on what the cache holds, not on disk use.
import Database from 'better-sqlite3';
import { rejection } from '../../core/rejection.js';
import { assertFilter, valueSize, type CacheEntry, type CacheStats, type InvalidateFilter, type NewCacheEntry, type ResponseCacheStore } from '../types.js';
import { configureCache, migrateCache } from './sqlite-schema.js';
import { startSweeper } from './sweeper.js';

/** Row header, rowid and the five index entries of one row, roughly. */
export const SQLITE_ROW_OVERHEAD_BYTES = 96;

export interface SqliteCacheOptions {
  /** Database file, or ':memory:'. */
  path: string;
  /** Upper bound on the accounted bytes of all rows. */
  maxBytes: number;
  /** Clock (epoch ms); injectable for tests and simulation. */
  now?: () => number;
  /** Default 1000 ms. */
  accessResolutionMs?: number;
  /** How often expired rows are deleted (default 60 s; 0: only lazily and on stats/invalidate). */
  sweepIntervalMs?: number;
}

interface Row {
  tenant: string;
  model: string;
  created_at: number;
  expires_at: number;
  last_access: number;
  size: number;
  value: string | Buffer;
}

const EVICT_BATCH = 64;

export function openSqliteCache(opts: SqliteCacheOptions): ResponseCacheStore {
  const now = opts.now ?? Date.now;
  const maxBytes = opts.maxBytes;
  const resolution = opts.accessResolutionMs ?? 1000;
  const db = new Database(opts.path);
  try {
    configureCache(db);
    migrateCache(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const q = {
    select: db.prepare<[string], Row>('SELECT tenant, model, created_at, expires_at, last_access, size, value FROM cache_entries WHERE key = ?'),
    touch: db.prepare('UPDATE cache_entries SET last_access = ? WHERE key = ?'),
    remove: db.prepare('DELETE FROM cache_entries WHERE key = ?'),
    insert: db.prepare(`INSERT INTO cache_entries (key, tenant, model, created_at, expires_at, last_access, size, bytes, value)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    totals: db.prepare<[], { entries: number; bytes: number; evictions: number }>('SELECT entries, bytes, evictions FROM cache_totals WHERE id = 1'),
    sweep: db.prepare('DELETE FROM cache_entries WHERE expires_at <= ?'),
    oldest: db.prepare<[number], { key: string; expires_at: number }>('SELECT key, expires_at FROM cache_entries ORDER BY last_access, rowid LIMIT ?'),
    addEvictions: db.prepare('UPDATE cache_totals SET evictions = evictions + ? WHERE id = 1'),
  };
  const invalidators = new Map<string, Database.Statement>();

  const evict = (keep: string): void => {
    const t = now();
    if (q.totals.get()!.bytes > maxBytes) q.sweep.run(t);
    let evicted = 0;
    while (q.totals.get()!.bytes > maxBytes) {
      const victims = q.oldest.all(EVICT_BATCH).filter((r) => r.key !== keep);
      if (victims.length === 0) break; // only `keep` is left, and it fits (checked before insert)
      for (const v of victims) {
        q.remove.run(v.key);
        if (v.expires_at > t) evicted += 1;
        if (q.totals.get()!.bytes <= maxBytes) break;
      }
    }
    if (evicted > 0) q.addEvictions.run(evicted);
  };

  const write = db.transaction((entry: NewCacheEntry, value: string | Buffer, size: number, bytes: number): void => {
    q.remove.run(entry.key);
    q.insert.run(entry.key, entry.tenant, entry.model, entry.createdAt, entry.expiresAt, now(), size, bytes, value);
    evict(entry.key);
  });

  const invalidate = db.transaction((filter: InvalidateFilter): number => {
    const t = now();
    q.sweep.run(t);
    const where: Array<[string, string | number | undefined]> = [
      ['key = ?', filter.key],
      ['tenant = ?', filter.tenant],
      ['model = ?', filter.model],
      ['created_at < ?', filter.olderThanMs === undefined ? undefined : t - filter.olderThanMs],
    ];
    const used = where.filter(([, param]) => param !== undefined);
    const clauses = used.map(([clause]) => clause);
    const params = used.map(([, param]) => param!);
    const sql = `DELETE FROM cache_entries WHERE ${clauses.join(' AND ')}`;
    let stmt = invalidators.get(sql);
    if (stmt === undefined) invalidators.set(sql, (stmt = db.prepare(sql)));
    return stmt.run(...params).changes;
  });

  const sweeper = startSweeper(opts.sweepIntervalMs ?? 60_000, () => q.sweep.run(now()).changes);

  return {
    get(key: string, tenant: string): Promise<CacheEntry | undefined> {
      try {
        const row = q.select.get(key);
        if (row === undefined || row.tenant !== tenant) return Promise.resolve(undefined);
        const t = now();
        if (row.expires_at <= t) {
          q.remove.run(key);
          return Promise.resolve(undefined);
        }
        if (row.last_access < t - resolution) q.touch.run(t, key);
        const value = typeof row.value === 'string' ? row.value : new Uint8Array(row.value.buffer, row.value.byteOffset, row.value.byteLength);
        return Promise.resolve({ key, tenant, model: row.model, createdAt: row.created_at, expiresAt: row.expires_at, value, size: row.size });
      } catch (err) {
        return rejection(err);
      }
    },
    set(entry: NewCacheEntry): Promise<boolean> {
      try {
        const size = valueSize(entry.value);
        const bytes = size + Buffer.byteLength(entry.key) + Buffer.byteLength(entry.tenant) + Buffer.byteLength(entry.model) + SQLITE_ROW_OVERHEAD_BYTES;
        if (bytes > maxBytes || entry.expiresAt <= now()) {
          q.remove.run(entry.key);
          return Promise.resolve(false);
        }
        const v = entry.value;
        write(entry, typeof v === 'string' ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength), size, bytes);
        return Promise.resolve(true);
      } catch (err) {
        return rejection(err);
      }
    },
    invalidate(filter: InvalidateFilter): Promise<number> {
      try {
        assertFilter(filter);
        return Promise.resolve(invalidate.immediate(filter));
      } catch (err) {
        return rejection(err);
      }
    },
    sweep(): Promise<number> {
      try {
        return Promise.resolve(q.sweep.run(now()).changes);
      } catch (err) {
        return rejection(err);
      }
    },
    stats(): Promise<CacheStats> {
      try {
        q.sweep.run(now());
        const t = q.totals.get()!;
        return Promise.resolve({ entries: t.entries, bytes: t.bytes, maxBytes, evictions: t.evictions });
      } catch (err) {
        return rejection(err);
      }
    },
    close(): Promise<void> {
      try {
        sweeper.stop();
        if (db.open) db.close();
        return Promise.resolve();
      } catch (err) {
        return rejection(err);
      }
    },
  };
}
