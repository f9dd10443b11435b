// The ledger scanner on PostgreSQL: one connection of its own and a cursor (postgres.js
// `.cursor(n)`: the server sends `n` rows per fetch, the next fetch waits for the caller), so
// memory holds one batch at a time. One statement: one snapshot. Never migrates: a schema that is
// missing is an error, not something to create.
import postgres, { type Sql } from 'postgres';
import { checkScanQuery, type LedgerScanner, type LedgerScanQuery } from '../scan-types.js';
import type { LedgerRow } from '../types.js';
import { decode, type PgRow } from './rows.js';
import { COLUMNS, tables, type Tables } from './schema.js';

/** Rows per fetch. */
const FETCH_ROWS = 500;

export function openPostgresScanner(opts: { url: string; schema: string; connectTimeoutMs?: number }): LedgerScanner {
  const t = tables(opts.schema);
  const sql: Sql = postgres(opts.url, {
    max: 1,
    connect_timeout: Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000),
    onnotice: () => undefined,
    connection: { application_name: 'costwise-export' },
  });
  return {
    async *rows(q: LedgerScanQuery): AsyncIterable<LedgerRow> {
      const { where, params } = filter(q, t);
      const cursor = sql.unsafe<PgRow[]>(`SELECT ${COLUMNS.join(', ')} FROM ${t.ledger} l WHERE ${where} ORDER BY ts, id`, params).cursor(FETCH_ROWS);
      for await (const batch of cursor) for (const row of batch) yield decode(row);
    },
    async count(q: LedgerScanQuery): Promise<number> {
      const { where, params } = filter(q, t);
      const [row] = await sql.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM ${t.ledger} l WHERE ${where}`, params);
      return Number(row?.n ?? 0);
    },
    close: () => sql.end({ timeout: 5 }),
  };
}

function filter(q: LedgerScanQuery, t: Tables): { where: string; params: (string | number | string[])[] } {
  checkScanQuery(q);
  const params: (string | number | string[])[] = [q.from, q.to];
  const where = ['l.ts >= $1::int8', 'l.ts < $2::int8'];
  if (q.keyIds !== undefined) {
    params.push([...q.keyIds]);
    where.push(`l.key_id = ANY($${params.length}::text[])`);
  }
  if (q.servedModel !== undefined) {
    params.push(q.servedModel);
    where.push(`l.served_model = $${params.length}::text`);
  }
  if (q.tag !== undefined) {
    params.push(q.tag);
    where.push(`EXISTS (SELECT 1 FROM ${t.tags} g WHERE g.ledger_id = l.id AND g.tag = $${params.length}::text)`);
  }
  return { where: where.join(' AND '), params };
}
