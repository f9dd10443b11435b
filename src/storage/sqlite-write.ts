// One ledger write: a batch of queued rows in one transaction. Each transaction inserts the rows
// (INSERT OR IGNORE on request_id), their tags, and the hourly spend rollups of the rows it really
// inserted — so the rollups always agree with the ledger.
import type Database from 'better-sqlite3';
import { COLUMN_COUNT, COLUMNS, SUMS, UNTAGGED, type Dim } from './sqlite-schema.js';
import type { QueuedRow } from './sqlite-rows.js';

interface RollupCell {
  dim: Dim;
  hour: number;
  key: string;
  sums: number[];
}

/** Returns the function that writes `rows[0 .. count)` in one transaction (throws, writing nothing, on failure). */
export function batchWriter(db: Database.Database): (rows: readonly QueuedRow[], count: number) => void {
  const insertRow = db.prepare(`INSERT OR IGNORE INTO ledger (${COLUMNS}) VALUES (${Array(COLUMN_COUNT).fill('?').join(', ')})`);
  const insertTag = db.prepare('INSERT OR IGNORE INTO ledger_tags (ledger_id, tag) VALUES (?, ?)');
  const upsertCell = db.prepare(
    `INSERT INTO spend_hourly (dim, hour, key, ${SUMS.join(', ')}) VALUES (?, ?, ?, ${SUMS.map(() => '?').join(', ')})
     ON CONFLICT (dim, hour, key) DO UPDATE SET ${SUMS.map((c) => `${c} = ${c} + excluded.${c}`).join(', ')}`,
  );

  return db.transaction((rows: readonly QueuedRow[], count: number) => {
    // Cells by hour, then by dimension and key: a batch's rows nearly all share one hour, and a
    // lookup by the row's own strings builds no composite key string per row and dimension.
    const cells = new Map<number, Record<Dim, Map<string, RollupCell>>>();
    const add = (dim: Dim, hour: number, key: string, sums: number[]) => {
      let ofHour = cells.get(hour);
      if (ofHour === undefined) {
        ofHour = { model: new Map(), key: new Map(), tag: new Map(), technique: new Map() };
        cells.set(hour, ofHour);
      }
      const ofDim = ofHour[dim];
      const cell = ofDim.get(key);
      if (cell === undefined) {
        ofDim.set(key, { dim, hour, key, sums: [...sums] });
      } else if (!addInto(cell.sums, sums)) {
        upsertCell.run(dim, hour, key, cell.sums); // a sum would leave the exact range: write it now
        cell.sums = [...sums];
      }
    };
    for (let i = 0; i < count; i++) {
      const row = rows[i];
      if (row === undefined) break;
      // Spread, not the array: better-sqlite3 binds an array argument ~1 µs a row slower (32 columns, measured).
      const result = insertRow.run(...row.params);
      if (result.changes !== 1) continue; // duplicate request id
      for (const tag of row.tags) insertTag.run(result.lastInsertRowid, tag);
      add('model', row.hour, row.model, row.sums);
      add('key', row.hour, row.keyId, row.sums);
      add('technique', row.hour, row.technique, row.sums);
      if (row.tags.length === 0) add('tag', row.hour, UNTAGGED, row.sums);
      for (const tag of row.tags) add('tag', row.hour, tag, row.sums);
    }
    for (const ofHour of cells.values()) {
      for (const ofDim of Object.values(ofHour)) for (const cell of ofDim.values()) upsertCell.run(cell.dim, cell.hour, cell.key, cell.sums);
    }
  });
}

/** Adds src into target unless a sum would leave the safe-integer range (then returns false). */
function addInto(target: number[], src: readonly number[]): boolean {
  for (let i = 0; i < target.length; i++) {
    if (!Number.isSafeInteger((target[i] ?? 0) + (src[i] ?? 0))) return false;
  }
  for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) + (src[i] ?? 0);
  return true;
}
