// Tables of the PostgreSQL key/team store. They live in the ledger's schema (src/storage/postgres)
// next to its tables, under a `gov_` prefix, with their own schema version table and their own
// migration lock, so the ledger's migrations never see them. The columns are SQLite's
// (sqlite-schema.ts) with native types: booleans, bigint for epoch ms, limits and versions, and
// json (kept verbatim, so metadata keeps its key order) for lists, budgets and metadata. Money only
// appears in budgets, as decimal strings of pico-dollars: exact at any size, never a float.
import type { Sql } from 'postgres';
import { applyTableMigrations, quotedSchema, type TableMigrations } from '../storage/postgres/migrations.js';
import type { SchemaVersions } from '../storage/types.js';

// Append-only: a released migration is never edited; a schema change is a new entry. Each runs in
// the transaction that holds the migration lock; table names are schema-qualified by `%s`.
const MIGRATIONS: readonly string[] = [
  // gov_state holds the one change version. Every write first bumps it (UPDATE … RETURNING), which
  // locks the row until commit: writers take turns, so versions commit in order and a reader that
  // sees version n sees every write up to n. gov_removed remembers deletions (tombstones).
  `CREATE TABLE %s.gov_state (id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL);
   INSERT INTO %s.gov_state (id, version) VALUES (1, 0);
   CREATE TABLE %s.gov_keys (
     id                  text COLLATE "C" PRIMARY KEY,
     hash                text COLLATE "C" NOT NULL UNIQUE,
     display_prefix      text NOT NULL,
     name                text NOT NULL,
     team_id             text COLLATE "C",
     tenant              text COLLATE "C" NOT NULL,
     allow_tenant_header boolean NOT NULL,
     models              json NOT NULL CHECK (json_typeof(models) = 'array'),
     budgets             json NOT NULL CHECK (json_typeof(budgets) = 'array'),
     rpm                 bigint,
     tpm                 bigint,
     tags                json NOT NULL CHECK (json_typeof(tags) = 'array'),
     expires_at          bigint,
     enabled             boolean NOT NULL,
     on_budget           text NOT NULL CHECK (on_budget IN ('refuse', 'downgrade')),
     created_at          bigint NOT NULL,
     revoked_at          bigint,
     metadata            json NOT NULL CHECK (json_typeof(metadata) = 'object'),
     version             bigint NOT NULL
   );
   CREATE INDEX gov_keys_version ON %s.gov_keys (version);
   CREATE INDEX gov_keys_team ON %s.gov_keys (team_id) WHERE team_id IS NOT NULL;
   CREATE TABLE %s.gov_teams (
     id         text COLLATE "C" PRIMARY KEY,
     name       text NOT NULL,
     parent_id  text COLLATE "C",
     budgets    json NOT NULL CHECK (json_typeof(budgets) = 'array'),
     rpm        bigint,
     tpm        bigint,
     created_at bigint NOT NULL,
     metadata   json NOT NULL CHECK (json_typeof(metadata) = 'object'),
     version    bigint NOT NULL
   );
   CREATE INDEX gov_teams_version ON %s.gov_teams (version);
   CREATE TABLE %s.gov_removed (
     kind    text NOT NULL CHECK (kind IN ('key', 'team')),
     id      text COLLATE "C" NOT NULL,
     version bigint NOT NULL,
     PRIMARY KEY (kind, id)
   );
   CREATE INDEX gov_removed_version ON %s.gov_removed (version);`,
];

export const GOVERNANCE_MIGRATIONS = MIGRATIONS.length;

/** How a column travels: its SQL type, and how it is read back into sqlite-rows.ts' row shape. */
type ColumnType = 'text' | 'bool' | 'int8' | 'json';

export const KEY_COLUMNS: ReadonlyArray<readonly [string, ColumnType]> = [
  ['id', 'text'],
  ['hash', 'text'],
  ['display_prefix', 'text'],
  ['name', 'text'],
  ['team_id', 'text'],
  ['tenant', 'text'],
  ['allow_tenant_header', 'bool'],
  ['models', 'json'],
  ['budgets', 'json'],
  ['rpm', 'int8'],
  ['tpm', 'int8'],
  ['tags', 'json'],
  ['expires_at', 'int8'],
  ['enabled', 'bool'],
  ['on_budget', 'text'],
  ['created_at', 'int8'],
  ['revoked_at', 'int8'],
  ['metadata', 'json'],
];

export const TEAM_COLUMNS: ReadonlyArray<readonly [string, ColumnType]> = [
  ['id', 'text'],
  ['name', 'text'],
  ['parent_id', 'text'],
  ['budgets', 'json'],
  ['rpm', 'int8'],
  ['tpm', 'int8'],
  ['created_at', 'int8'],
  ['metadata', 'json'],
];

/**
 * The select list of a table: booleans as 0/1, json as its text, and int8 (which postgres.js returns
 * as a string unless told otherwise) as text too, so rows read the same whatever the client's types.
 */
export function selectList(columns: ReadonlyArray<readonly [string, ColumnType]>): string {
  const read = (name: string, type: ColumnType) => (type === 'text' ? name : type === 'bool' ? `${name}::int4 AS ${name}` : `${name}::text AS ${name}`);
  return [...columns.map(([name, type]) => read(name, type)), 'version::text AS version'].join(', ');
}

/** `$n` with a cast per column (from sqlite-rows.ts' parameters: booleans 0/1, json as text), from `$first`. */
export function parameterList(columns: ReadonlyArray<readonly [string, ColumnType]>, first = 1): string[] {
  const cast: Record<ColumnType, string> = { text: 'text', bool: 'int4::boolean', int8: 'int8', json: 'text::json' };
  return columns.map(([, type], i) => `$${first + i}::${cast[type]}`);
}

export { quotedSchema };

/** The key store's tables: their own version table and migration lock ('gov '). */
export const GOVERNANCE_TABLES: TableMigrations = { what: 'governance', lockClass: 0x676f7620, versionTable: 'gov_schema_version', migrations: MIGRATIONS };

/** Applies the key store's migrations this schema has not seen yet (see applyTableMigrations). */
export function migrate(sql: Sql, schema: string, now: () => number = Date.now): Promise<SchemaVersions> {
  return applyTableMigrations(sql, schema, GOVERNANCE_TABLES, now);
}

/**
 * A row as selected by `selectList`, in sqlite-rows.ts' shape (int8 text to numbers), so both
 * stores share one record mapping. Epoch ms, limits and versions are safe integers.
 */
export function readRow(row: Readonly<Record<string, unknown>>, columns: ReadonlyArray<readonly [string, ColumnType]>): unknown {
  const out: Record<string, unknown> = { ...row, version: safeInteger(row['version'], 'version') };
  for (const [name, type] of columns) if (type === 'int8') out[name] = row[name] === null ? null : safeInteger(row[name], name);
  return out;
}

function safeInteger(value: unknown, column: string): number {
  const n = typeof value === 'string' || typeof value === 'bigint' || typeof value === 'number' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new Error(`costwise: governance column ${column} holds ${String(value)}, not a safe integer`);
  return n;
}
