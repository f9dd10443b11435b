// The ledger scanner on SQLite: a read-only connection of its own (a running gateway keeps
// writing: WAL readers never block it), one statement iterated row by row (`stmt.iterate()`), so
// memory holds one row at a time. The statement is one read transaction: a consistent snapshot.
import { setImmediate } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { decode, type DbRow } from './sqlite-rows.js';
import { COLUMNS } from './sqlite-schema.js';
import { checkScanQuery, type LedgerScanner, type LedgerScanQuery } from './scan-types.js';
import type { LedgerRow } from './types.js';

export function openSqliteScanner(path: string): LedgerScanner {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 5_000 });
  return {
    async *rows(q: LedgerScanQuery): AsyncIterable<LedgerRow> {
      const { where, params } = filter(q);
      const stmt = db.prepare(`SELECT ${COLUMNS} FROM ledger l INDEXED BY ledger_ts WHERE ${where} ORDER BY ts, id`);
      let n = 0;
      for (const row of stmt.iterate(params)) {
        yield decode(row as DbRow);
        // The reads are synchronous: let the event loop run now and then (output events, timers).
        if (++n % 1_000 === 0) await setImmediate();
      }
    },
    count(q: LedgerScanQuery): Promise<number> {
      try {
        const { where, params } = filter(q);
        return Promise.resolve((db.prepare(`SELECT count(*) AS n FROM ledger l INDEXED BY ledger_ts WHERE ${where}`).get(params) as { n: number }).n);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    close(): Promise<void> {
      db.close();
      return Promise.resolve();
    },
  };
}

function filter(q: LedgerScanQuery): { where: string; params: Record<string, string | number> } {
  checkScanQuery(q);
  const where = ['l.ts >= @from', 'l.ts < @to'];
  const params: Record<string, string | number> = { from: q.from, to: q.to };
  if (q.keyIds !== undefined) {
    where.push('l.key_id IN (SELECT value FROM json_each(@keys))');
    params['keys'] = JSON.stringify(q.keyIds);
  }
  if (q.servedModel !== undefined) {
    where.push('l.served_model = @model');
    params['model'] = q.servedModel;
  }
  if (q.tag !== undefined) {
    where.push('EXISTS (SELECT 1 FROM ledger_tags t WHERE t.ledger_id = l.id AND t.tag = @tag)');
    params['tag'] = q.tag;
  }
  return { where: where.join(' AND '), params };
}
