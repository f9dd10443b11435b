// Migrations of a SQLite database: append-only SQL, recorded in a version table of their own.
import type Database from 'better-sqlite3';
import type { SchemaVersions } from './types.js';

export interface SqliteMigrations {
  /** What the database holds, for messages: `database`, `governance`, `cache`. */
  what: string;
  /** The version table's name. */
  versionTable: string;
  /** Append-only. */
  migrations: readonly string[];
}

/**
 * Applies the migrations `db` has not seen, in one IMMEDIATE transaction that reads the version
 * inside it: two processes opening a new file at once never both apply a migration.
 */
export function applySqliteMigrations(db: Database.Database, set: SqliteMigrations, now: () => number = Date.now): SchemaVersions {
  const { migrations, versionTable } = set;
  return db
    .transaction((): SchemaVersions => {
      db.exec(`CREATE TABLE IF NOT EXISTS ${versionTable} (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL) STRICT`);
      const current = (db.prepare(`SELECT max(version) AS v FROM ${versionTable}`).get() as { v: number | null }).v ?? 0;
      if (current > migrations.length) {
        throw new Error(`costwise: ${set.what} schema version ${current} is newer than this build understands (${migrations.length})`);
      }
      const record = db.prepare(`INSERT INTO ${versionTable} (version, applied_at) VALUES (?, ?)`);
      migrations.forEach((sql, index) => {
        if (index + 1 <= current) return;
        db.exec(sql);
        record.run(index + 1, now());
      });
      return { before: current, after: migrations.length };
    })
    .immediate();
}
