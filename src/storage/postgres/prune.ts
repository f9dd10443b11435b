// One retention step on PostgreSQL: the oldest rows before a bound, at most `limit`, found by the
// (ts, id) index and deleted with their tags in one statement. SKIP LOCKED: replicas pruning at
// the same time take different rows instead of waiting on each other's. Rollups stay. Then, in a
// statement of its own, as many of the oldest feedback scores and captured prompts (storage/labels)
// before the bound: the ledger's statement and its plan stay as they were.
import type { Sql } from 'postgres';
import { checkPruneStep } from '../retention.js';
import type { PruneStep } from '../types.js';
import type { Tables } from './schema.js';

/** One step: the rows in the order of the ledger_ts index, their tags by ledger_tags' primary key. */
export function pruneSql(t: Tables): string {
  return `WITH doomed AS (SELECT id FROM ${t.ledger} WHERE ts < $1::int8 ORDER BY ts, id LIMIT $2::int8 FOR UPDATE SKIP LOCKED),
    tags AS (DELETE FROM ${t.tags} WHERE ledger_id IN (SELECT id FROM doomed))
    DELETE FROM ${t.ledger} WHERE id IN (SELECT id FROM doomed)`;
}

/** One step of the label tables, by their ts indexes. */
export function pruneLabelsSql(t: Tables): string {
  const doomed = (table: string): string => `SELECT request_id FROM ${t.schema}.${table} WHERE ts < $1::int8 ORDER BY ts LIMIT $2::int8 FOR UPDATE SKIP LOCKED`;
  return `WITH feedback AS (DELETE FROM ${t.schema}.feedback WHERE request_id IN (${doomed('feedback')}))
    DELETE FROM ${t.schema}.captured_prompts WHERE request_id IN (${doomed('captured_prompts')})`;
}

export function pruneStatement(sql: Sql, t: Tables): (step: PruneStep) => Promise<number> {
  const statement = pruneSql(t);
  const labels = pruneLabelsSql(t);
  return async (step) => {
    checkPruneStep(step);
    const result = await sql.unsafe(statement, [step.before, step.limit], { prepare: true });
    await sql.unsafe(labels, [step.before, step.limit], { prepare: true });
    return result.count;
  };
}
