// SQLite key/team store. Opened on the main thread with its own better-sqlite3 connection to the
// ledger's database file (WAL; the ledger worker writes the same file on another connection, so
// writes wait up to `busyTimeoutMs` for its lock instead of failing). Every write is one IMMEDIATE
// transaction that bumps gov_state.version and stamps it on the row (store.ts).
import Database from 'better-sqlite3';
import { GovernanceError } from './errors.js';
import { promised } from './promise.js';
import { configure, KEY_COLUMNS, migrate, TEAM_COLUMNS } from './sqlite-schema.js';
import { keyFromRow, keyParams, teamFromRow, teamParams, type KeyRow, type TeamRow } from './sqlite-rows.js';
import type { ChangeSet, GovernanceStore, NewKey, NewTeam } from './store.js';

export interface SqliteGovernanceStoreOptions {
  /** Database file (the ledger's), or ':memory:'. */
  path: string;
  /** How long a write waits for another connection's lock (default 2,000 ms). */
  busyTimeoutMs?: number;
}

interface TableSpec<R, N extends { id: string }, Row> {
  kind: 'key' | 'team';
  table: string;
  columns: string;
  params: (record: N) => Record<string, unknown>;
  fromRow: (row: Row) => R;
}

export function openSqliteGovernanceStore(opts: SqliteGovernanceStoreOptions): GovernanceStore {
  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs ?? 2_000 });
  try {
    configure(db);
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const readVersion = db.prepare('SELECT version FROM gov_state WHERE id = 1').pluck();
  const bump = db.prepare('UPDATE gov_state SET version = version + 1 WHERE id = 1 RETURNING version').pluck();
  const removedSince = db.prepare('SELECT kind, id FROM gov_removed WHERE version > ?');
  const keysByTeam = db.prepare(`SELECT ${KEY_COLUMNS} FROM gov_keys WHERE team_id = ? ORDER BY created_at, id`);

  const keys = table(db, bump, { kind: 'key', table: 'gov_keys', columns: KEY_COLUMNS, params: keyParams, fromRow: (row: KeyRow) => keyFromRow(row) });
  const teams = table(db, bump, { kind: 'team', table: 'gov_teams', columns: TEAM_COLUMNS, params: teamParams, fromRow: (row: TeamRow) => teamFromRow(row) });

  const changes = db.transaction((since: number): ChangeSet => {
    const removed = removedSince.all(since) as Array<{ kind: string; id: string }>;
    return {
      version: readVersion.get() as number,
      keys: keys.since(since),
      teams: teams.since(since),
      removedKeys: removed.filter((r) => r.kind === 'key').map((r) => r.id),
      removedTeams: removed.filter((r) => r.kind === 'team').map((r) => r.id),
    };
  });

  let closed = false;
  /** Runs a statement unless the store is closed. */
  const run = <T>(work: () => T): Promise<T> =>
    promised(() => {
      if (closed) throw new Error('costwise: the governance store is closed');
      return work();
    });

  return {
    insertKey: (key: NewKey) => run(() => keys.insert(key)),
    replaceKey: (key: NewKey, expectedVersion: number) => run(() => keys.replace(key, expectedVersion)),
    deleteKey: (id: string) => run(() => keys.remove(id)),
    getKey: (id: string) => run(() => keys.get(id)),
    listKeys: (filter = {}) =>
      run(() => {
        if (filter.teamId === undefined) return keys.all();
        return (keysByTeam.all(filter.teamId) as KeyRow[]).map(keyFromRow);
      }),
    insertTeam: (team: NewTeam) => run(() => teams.insert(team)),
    replaceTeam: (team: NewTeam, expectedVersion: number) => run(() => teams.replace(team, expectedVersion)),
    deleteTeam: (id: string) => run(() => teams.remove(id)),
    getTeam: (id: string) => run(() => teams.get(id)),
    listTeams: () => run(() => teams.all()),
    version: () => run(() => readVersion.get() as number),
    changesSince: (version: number) => run(() => changes.deferred(version)),
    close: () =>
      promised(() => {
        if (closed) return;
        closed = true;
        db.close();
      }),
  };
}

/** Statements and write transactions for one record table. */
function table<R, N extends { id: string }, Row>(db: Database.Database, bump: Database.Statement, spec: TableSpec<R, N, Row>) {
  const names = spec.columns.split(',').map((c) => c.trim());
  const select = db.prepare(`SELECT ${spec.columns} FROM ${spec.table} WHERE id = ?`);
  const selectAll = db.prepare(`SELECT ${spec.columns} FROM ${spec.table} ORDER BY created_at, id`);
  const selectSince = db.prepare(`SELECT ${spec.columns} FROM ${spec.table} WHERE version > ?`);
  const insert = db.prepare(`INSERT INTO ${spec.table} (${spec.columns}) VALUES (${names.map((n) => '@' + n).join(', ')})`);
  const update = db.prepare(
    `UPDATE ${spec.table} SET ${names
      .filter((n) => n !== 'id')
      .map((n) => `${n} = @${n}`)
      .join(', ')} WHERE id = @id AND version = @expected`,
  );
  const del = db.prepare(`DELETE FROM ${spec.table} WHERE id = ?`);
  const tombstone = db.prepare(`INSERT OR REPLACE INTO gov_removed (kind, id, version) VALUES ('${spec.kind}', ?, ?)`);
  const untombstone = db.prepare(`DELETE FROM gov_removed WHERE kind = '${spec.kind}' AND id = ?`);
  const get = (id: string): R | null => {
    const row = select.get(id) as Row | undefined;
    return row === undefined ? null : spec.fromRow(row);
  };

  const insertTx = db.transaction((record: N): R => {
    const version = bump.get() as number;
    untombstone.run(record.id);
    constraint(spec.kind, record.id, () => insert.run({ ...spec.params(record), version }));
    return get(record.id)!;
  });
  const replaceTx = db.transaction((record: N, expected: number): R => {
    const version = bump.get() as number;
    const result = constraint(spec.kind, record.id, () => update.run({ ...spec.params(record), version, expected }));
    if (result.changes === 0) {
      // Thrown errors roll the version bump back.
      if (select.get(record.id) === undefined) throw new GovernanceError('not_found', `no ${spec.kind} ${record.id}`);
      throw new GovernanceError('conflict', `${spec.kind} ${record.id} changed since version ${expected}; read it again`);
    }
    return get(record.id)!;
  });
  const removeTx = db.transaction((id: string): boolean => {
    if (del.run(id).changes === 0) return false;
    tombstone.run(id, bump.get());
    return true;
  });

  return {
    get,
    all: (): R[] => (selectAll.all() as Row[]).map(spec.fromRow),
    since: (version: number): R[] => (selectSince.all(version) as Row[]).map(spec.fromRow),
    insert: (record: N): R => insertTx.immediate(record),
    replace: (record: N, expected: number): R => replaceTx.immediate(record, expected),
    remove: (id: string): boolean => removeTx.immediate(id),
  };
}

/** Runs a write, turning a uniqueness violation into GovernanceError('conflict'). */
function constraint(kind: string, id: string, write: () => Database.RunResult): Database.RunResult {
  try {
    return write();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new GovernanceError('conflict', `${kind} ${id} already exists`);
    if (code === 'SQLITE_CONSTRAINT_UNIQUE') throw new GovernanceError('conflict', `${kind} ${id}: its secret hash is already in use`);
    throw err;
  }
}
