// PostgreSQL key/team store: the durable keys and budgets of replicas that share one PostgreSQL
// ledger. Same semantics as the SQLite store (store.ts): every write is one transaction that first
// bumps gov_state.version (that row lock makes writers take turns, so versions commit in order) and
// stamps it on the row it writes; `version()` is a one-row primary-key read of gov_state, and
// `changesSince` reads state, rows and tombstones in one REPEATABLE READ snapshot.
//
// The store opens at once (no I/O on this call); the migrations (postgres-schema.ts) run on first
// use under their own advisory lock, and `ready()` waits for them, for a start-up that must fail
// early. Record mapping is shared with SQLite (sqlite-rows.ts): budgets are JSON with pico-dollar
// limits as decimal strings, so money is exact. Only the secret's hash is stored.
import postgres, { type Sql, type TransactionSql } from 'postgres';
import { GovernanceError } from './errors.js';
import { KEY_COLUMNS, migrate, parameterList, quotedSchema, readRow, selectList, TEAM_COLUMNS } from './postgres-schema.js';
import { keyFromRow, keyParams, teamFromRow, teamParams, type KeyRow, type TeamRow } from './sqlite-rows.js';
import type { ChangeSet, GovernanceStore, NewKey, NewTeam } from './store.js';

interface CommonOptions {
  /** Schema holding the `gov_` tables, created when missing: the ledger's (default `costwise`). */
  schema?: string;
}

/** Connect with a URL (the store owns its pool) or hand over a pool (the caller ends it). */
export type PostgresGovernanceStoreOptions =
  | (CommonOptions & {
      /** Connection URL, e.g. `postgres://costwise@db:5432/costwise` (the ledger's). */
      url: string;
      sql?: never;
      /** Connections in the pool: one polls, one writes (default 2). */
      maxConnections?: number;
      /** A statement running longer than this fails (default 10 s). */
      statementTimeoutMs?: number;
      /** A write waiting longer than this for another replica's write fails (default 5 s). */
      lockTimeoutMs?: number;
      /** Giving up on a connection attempt after this long (default 10 s). */
      connectTimeoutMs?: number;
      /** application_name of the connections (default `costwise-governance`). */
      applicationName?: string;
    })
  | (CommonOptions & { sql: Sql; url?: never });

export interface PostgresGovernanceStore extends GovernanceStore {
  /** Resolves once the schema is migrated; rejects with why not (the next call tries again). */
  ready(): Promise<void>;
}

type Pg = Sql | TransactionSql;
type PgRow = Record<string, unknown>;
type Columns = typeof KEY_COLUMNS;

interface TableSpec<R, N> {
  kind: 'key' | 'team';
  name: 'gov_keys' | 'gov_teams';
  columns: Columns;
  params: (record: N) => object;
  fromRow: (row: PgRow) => R;
}

/** Thrown inside a write transaction to roll it back (and its version bump) with nothing to report. */
class Unchanged extends Error {}

export function openPostgresGovernanceStore(opts: PostgresGovernanceStoreOptions): PostgresGovernanceStore {
  const schema = opts.schema ?? 'costwise';
  const s = quotedSchema(schema);
  const sql: Sql =
    opts.sql ??
    postgres(opts.url, {
      max: Math.max(1, Math.floor(opts.maxConnections ?? 2)),
      connect_timeout: Math.ceil((opts.connectTimeoutMs ?? 10_000) / 1000),
      onnotice: () => undefined,
      connection: {
        application_name: opts.applicationName ?? 'costwise-governance',
        statement_timeout: opts.statementTimeoutMs ?? 10_000,
        lock_timeout: opts.lockTimeoutMs ?? 5_000,
      },
    });
  const owned = opts.sql === undefined;

  const bump = `UPDATE ${s}.gov_state SET version = version + 1 WHERE id = 1 RETURNING version::text AS version`;
  const readVersion = `SELECT version::text AS version FROM ${s}.gov_state WHERE id = 1`;
  const removedSince = `SELECT kind, id FROM ${s}.gov_removed WHERE version > $1::int8 ORDER BY version`;
  const keysByTeam = `SELECT ${selectList(KEY_COLUMNS)} FROM ${s}.gov_keys WHERE team_id = $1::text ORDER BY created_at, id`;
  const keyFrom = (row: PgRow) => keyFromRow(readRow(row, KEY_COLUMNS) as KeyRow);
  const teamFrom = (row: PgRow) => teamFromRow(readRow(row, TEAM_COLUMNS) as TeamRow);
  const keys = table(s, { kind: 'key', name: 'gov_keys', columns: KEY_COLUMNS, params: keyParams, fromRow: keyFrom });
  const teams = table(s, { kind: 'team', name: 'gov_teams', columns: TEAM_COLUMNS, params: teamParams, fromRow: teamFrom });

  const query = (db: Pg, text: string, params: Array<string | number | null> = []) => db.unsafe<PgRow[]>(text, params, { prepare: true });
  const versionOf = (rows: readonly PgRow[]): number => Number(rows[0]?.['version']);

  /**
   * One write transaction: the version bump first (writers take turns there), then `work`. Its result
   * is wrapped because begin() awaits a returned array as a list of queries.
   */
  async function write<T>(work: (tx: TransactionSql, version: number) => Promise<T>): Promise<T> {
    return (await sql.begin(async (tx) => [await work(tx, versionOf(await query(tx, bump)))]))[0] as T;
  }

  let closed = false;
  let migrated = false;
  let migrating: Promise<void> | null = null;
  const closedError = () => new Error('costwise: the governance store is closed');

  function ready(): Promise<void> {
    if (closed) return Promise.reject(closedError());
    if (migrated) return Promise.resolve();
    migrating ??= migrate(sql, schema).then(
      () => void (migrated = true),
      (err: unknown) => {
        migrating = null;
        throw err;
      },
    );
    return migrating;
  }

  /** Runs `work` once the schema is ready, unless the store is closed. */
  async function run<T>(work: () => Promise<T>): Promise<T> {
    if (closed) throw closedError();
    if (!migrated) await ready();
    return work();
  }

  async function changesSince(since: number): Promise<ChangeSet> {
    const [state, keyRows, teamRows, removed] = await sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) => [
      query(tx, readVersion),
      query(tx, keys.since, [since]),
      query(tx, teams.since, [since]),
      query(tx, removedSince, [since]),
    ]);
    const gone = (kind: string) => removed.filter((r) => r['kind'] === kind).map((r) => String(r['id']));
    return {
      version: versionOf(state),
      keys: keyRows.map(keyFrom),
      teams: teamRows.map(teamFrom),
      removedKeys: gone('key'),
      removedTeams: gone('team'),
    };
  }

  /** Write operations of one table, each in its own transaction. */
  function writes<R, N extends { id: string }>(t: ReturnType<typeof table<R, N>>) {
    return {
      insert: (record: N) =>
        run(() =>
          write(async (tx, version) => {
            const rows = await unique(t.kind, record.id, query(tx, t.insert, [...t.params(record), version]));
            return t.fromRow(rows[0]!);
          }),
        ),
      replace: (record: N, expected: number) =>
        run(() =>
          write(async (tx, version) => {
            const rows = await unique(t.kind, record.id, query(tx, t.update, [...t.params(record), version, expected]));
            if (rows[0] !== undefined) return t.fromRow(rows[0]);
            // Thrown errors roll the version bump back.
            if ((await query(tx, t.exists, [record.id])).length === 0) throw new GovernanceError('not_found', `no ${t.kind} ${record.id}`);
            throw new GovernanceError('conflict', `${t.kind} ${record.id} changed since version ${expected}; read it again`);
          }),
        ),
      remove: (id: string) =>
        run(() =>
          write(async (tx, version) => {
            if ((await query(tx, t.remove, [id, version])).length === 0) throw new Unchanged();
            return true;
          }).catch((err: unknown) => {
            if (err instanceof Unchanged) return false;
            throw err;
          }),
        ),
      get: (id: string) => run(async () => (await query(sql, t.select, [id])).map(t.fromRow)[0] ?? null),
      all: () => run(async () => (await query(sql, t.selectAll)).map(t.fromRow)),
    };
  }

  const keyOps = writes(keys);
  const teamOps = writes(teams);
  return {
    ready,
    insertKey: (key: NewKey) => keyOps.insert(key),
    replaceKey: (key: NewKey, expectedVersion: number) => keyOps.replace(key, expectedVersion),
    deleteKey: (id: string) => keyOps.remove(id),
    getKey: (id: string) => keyOps.get(id),
    listKeys: (filter = {}) => {
      if (filter.teamId === undefined) return keyOps.all();
      const teamId = filter.teamId;
      return run(async () => (await query(sql, keysByTeam, [teamId])).map(keyFrom));
    },
    insertTeam: (team: NewTeam) => teamOps.insert(team),
    replaceTeam: (team: NewTeam, expectedVersion: number) => teamOps.replace(team, expectedVersion),
    deleteTeam: (id: string) => teamOps.remove(id),
    getTeam: (id: string) => teamOps.get(id),
    listTeams: () => teamOps.all(),
    version: () => run(async () => versionOf(await query(sql, readVersion))),
    changesSince: (version: number) => run(() => changesSince(version)),
    async close() {
      if (closed) return;
      closed = true;
      if (owned) await sql.end({ timeout: 5 });
    },
  };
}

/** Statement texts and parameter order of one record table (the version is bound after the columns). */
function table<R, N>(s: string, spec: TableSpec<R, N>) {
  const t = `${s}.${spec.name}`;
  const list = selectList(spec.columns);
  const names = spec.columns.map(([name]) => name);
  const values = parameterList(spec.columns);
  const n = names.length;
  if (names[0] !== 'id') throw new Error(`costwise: ${spec.name}: the id must be the first column`);
  return {
    kind: spec.kind,
    fromRow: spec.fromRow,
    params: (record: N): Array<string | number | null> => {
      const p = spec.params(record) as Record<string, string | number | null>;
      return names.map((name) => p[name] ?? null);
    },
    select: `SELECT ${list} FROM ${t} WHERE id = $1::text`,
    selectAll: `SELECT ${list} FROM ${t} ORDER BY created_at, id`,
    since: `SELECT ${list} FROM ${t} WHERE version > $1::int8 ORDER BY version`,
    exists: `SELECT 1 FROM ${t} WHERE id = $1::text`,
    // A re-created id is no longer removed; $1 is the id.
    insert: `WITH revived AS (DELETE FROM ${s}.gov_removed WHERE kind = '${spec.kind}' AND id = $1::text)
      INSERT INTO ${t} (${names.join(', ')}, version) VALUES (${values.join(', ')}, $${n + 1}::int8) RETURNING ${list}`,
    update: `UPDATE ${t} SET ${names
      .slice(1)
      .map((name, i) => `${name} = ${values[i + 1]!}`)
      .join(', ')}, version = $${n + 1}::int8 WHERE id = $1::text AND version = $${n + 2}::int8 RETURNING ${list}`,
    remove: `WITH gone AS (DELETE FROM ${t} WHERE id = $1::text RETURNING id)
      INSERT INTO ${s}.gov_removed (kind, id, version) SELECT '${spec.kind}', id, $2::int8 FROM gone
      ON CONFLICT (kind, id) DO UPDATE SET version = excluded.version RETURNING id`,
  };
}

/** Awaits a write, turning a uniqueness violation into GovernanceError('conflict'). */
async function unique<T>(kind: string, id: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    const { code, constraint_name: constraint } = err as { code?: unknown; constraint_name?: unknown };
    if (code !== '23505') throw err;
    if (typeof constraint === 'string' && constraint.endsWith('_pkey')) throw new GovernanceError('conflict', `${kind} ${id} already exists`);
    throw new GovernanceError('conflict', `${kind} ${id}: its secret hash is already in use`);
  }
}
