// One ledger write: a batch of queued rows in ONE statement (so one transaction, one round trip).
// The batch travels as one array per column and is unnested on the server; the statement inserts the
// rows (ON CONFLICT (request_id) DO NOTHING), the tags of the rows it really inserted, and adds those
// same rows — the INSERT's RETURNING, never the batch — to the hourly rollups. A retried batch, or
// one racing another replica with the same request ids, therefore never bills a row twice.
//
// Rows whose id is already written are left out before the INSERT (one index probe each, kept a
// nested loop by the LATERAL … LIMIT 1, where NOT EXISTS may become a scan of the whole ledger), so
// they draw no id: ids stay consecutive like SQLite's, and percentile samples (which stride over
// ids) agree between the two. ON CONFLICT still settles a race with another replica.
import type { Sql } from 'postgres';
import { COLUMN_TYPES, COLUMNS, HOUR_MS, NO_TECHNIQUE, NULLABLE_NUMBERS, SUMS, UNTAGGED, type Tables } from './schema.js';
import type { QueuedRow } from './rows.js';

/** Writes `rows[start .. start + count)` in one statement; rejects, writing nothing, on failure. */
export type BatchWriter = (rows: readonly QueuedRow[], start: number, count: number) => Promise<void>;

export function batchWriter(sql: Sql, t: Tables): BatchWriter {
  const text = batchSql(t);
  const isText = COLUMNS.map((c) => COLUMN_TYPES[c] === 'text');
  const isNullable = COLUMNS.map((c) => NULLABLE_NUMBERS.has(c));
  return async (rows, start, count) => {
    const columns = COLUMNS.map(() => new Array<string | number | null>());
    const tagIds: string[] = [];
    const tagValues: string[] = [];
    const seen = new Set<string>();
    for (let i = start; i < start + count; i++) {
      const row = rows[i]!;
      const id = row.values[0] as string;
      if (seen.has(id)) continue; // the batch's first row with an id wins, as in SQLite
      seen.add(id);
      for (let c = 0; c < columns.length; c++) columns[c]!.push(row.values[c] ?? null);
      for (const tag of row.tags) {
        tagIds.push(id);
        tagValues.push(tag);
      }
    }
    const params = columns.map((values, c) =>
      isText[c] ? textArray(values as (string | null)[]) : isNullable[c] ? `{${values.map((v) => v ?? 'NULL').join(',')}}` : `{${values.join(',')}}`,
    );
    await sql.unsafe(text, [...params, textArray(tagIds), textArray(tagValues)], { prepare: true });
  };
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPE = /["\\]/g;

/**
 * A text[] literal: every element quoted, `"` and `\` escaped, null as NULL. Built here rather than
 * by postgres.js, which runs two regular expressions over every element: this is most of the
 * client's work per batch, done on the event loop. (Numbers need no quoting: valid rows hold only
 * finite numbers, and safe integers print without an exponent.)
 */
export function textArray(values: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i] ?? null;
    if (i > 0) out += ',';
    out += v === null ? 'NULL' : NEEDS_ESCAPE.test(v) ? `"${v.replace(ESCAPE, '\\$&')}"` : `"${v}"`;
  }
  return `${out}}`;
}

function batchSql(t: Tables): string {
  const unnest = COLUMNS.map((c, i) => `$${i + 1}::${COLUMN_TYPES[c]}[]`).join(', ');
  const tagParams = `$${COLUMNS.length + 1}::text[], $${COLUMNS.length + 2}::text[]`;
  const list = COLUMNS.join(', ');
  // The rollup's sums per inserted row: a billed sub-call (parent_id set) adds cost, not a request.
  const facts = `(parent_id IS NULL)::int AS requests, ${SUMS.slice(1).join(', ')}`;
  const sums = SUMS.map((c) => `sum(${c})`).join(', ');
  // Cells are upserted in key order, so two replicas' batches lock shared cells in the same order.
  return `WITH batch AS (
      SELECT * FROM unnest(${unnest}) WITH ORDINALITY AS b(${list}, ord)
    ), ins AS (
      INSERT INTO ${t.ledger} (${list})
      SELECT ${COLUMNS.map((c) => (c === 'stream' ? 'b.stream <> 0' : `b.${c}`)).join(', ')} FROM batch b
      LEFT JOIN LATERAL (SELECT true AS found FROM ${t.ledger} l WHERE l.request_id = b.request_id LIMIT 1) known ON true
      WHERE known.found IS NULL
      ORDER BY b.ord
      ON CONFLICT (request_id) DO NOTHING
      RETURNING id, request_id, ts / ${HOUR_MS} AS hour, served_model, key_id, coalesce(technique, '${NO_TECHNIQUE}') AS technique, ${facts}
    ), batch_tags AS (
      SELECT * FROM unnest(${tagParams}) AS bt(request_id, tag)
    ), tagged AS (
      INSERT INTO ${t.tags} (ledger_id, tag) SELECT ins.id, bt.tag FROM ins JOIN batch_tags bt ON bt.request_id = ins.request_id
    ), cells AS (
      SELECT 'model' AS dim, hour, served_model AS key, ${SUMS.join(', ')} FROM ins
      UNION ALL SELECT 'key', hour, key_id, ${SUMS.join(', ')} FROM ins
      UNION ALL SELECT 'technique', hour, technique, ${SUMS.join(', ')} FROM ins
      UNION ALL SELECT 'tag', ins.hour, coalesce(bt.tag, '${UNTAGGED}'), ${SUMS.map((c) => `ins.${c}`).join(', ')}
        FROM ins LEFT JOIN batch_tags bt ON bt.request_id = ins.request_id
    )
    INSERT INTO ${t.hourly} AS h (dim, hour, key, ${SUMS.join(', ')})
    SELECT dim, hour, key, ${sums} FROM cells GROUP BY dim, hour, key ORDER BY dim, hour, key
    ON CONFLICT (dim, hour, key) DO UPDATE SET ${SUMS.map((c) => `${c} = h.${c} + excluded.${c}`).join(', ')}`;
}
