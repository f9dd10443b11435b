// One retention step on SQLite: the oldest rows before a bound, at most `limit`, found by the ts
// index (never a table scan), deleted with their tags in one transaction; with them, as many of the
// oldest feedback scores and captured prompts (storage/labels) before the bound. Rollups stay.
import type Database from 'better-sqlite3';
import { checkPruneStep } from './retention.js';
import type { PruneStep } from './types.js';

/** The rows one step deletes: `ORDER BY ts, id` is the order of the ledger_ts index (ts, rowid). */
export const PRUNE_SELECT = 'SELECT id FROM ledger WHERE ts < @before ORDER BY ts, id LIMIT @limit';

export function pruneStatement(db: Database.Database): (step: PruneStep) => number {
  const tags = db.prepare(`DELETE FROM ledger_tags WHERE ledger_id IN (${PRUNE_SELECT})`);
  const rows = db.prepare(`DELETE FROM ledger WHERE id IN (${PRUNE_SELECT})`);
  const labels = ['feedback', 'captured_prompts'].map((t) =>
    db.prepare(`DELETE FROM ${t} WHERE rowid IN (SELECT rowid FROM ${t} WHERE ts < @before ORDER BY ts LIMIT @limit)`),
  );
  const step = db.transaction((s: PruneStep) => {
    tags.run(s); // the same rows as the next statement selects: nothing else writes in between
    for (const l of labels) l.run(s);
    return rows.run(s).changes;
  });
  return (s) => {
    checkPruneStep(s);
    return step.immediate({ before: s.before, limit: s.limit });
  };
}
