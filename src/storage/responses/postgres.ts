// The response store in a PostgreSQL ledger's schema (`responses`, with its own version table and
// migration lock), shared by every replica. Expired responses are deleted as new ones are written.
import postgres, { type Sql } from 'postgres';
import { applyTableMigrations, migrateTablesAt, quotedSchema, type TableMigrations } from '../postgres/migrations.js';
import type { SchemaVersions } from '../types.js';
import { toStored } from './sqlite.js';
import { RESPONSE_TTL_MS, type ResponseOwner, type ResponseStore, type StoredResponse } from './types.js';

// Append-only; `%s` is the quoted schema.
export const RESPONSE_TABLES: TableMigrations = {
  what: 'response store',
  lockClass: 0x72657370,
  versionTable: 'responses_schema_version',
  migrations: [
    `CREATE TABLE %s.responses (
       id         text COLLATE "C" PRIMARY KEY,
       tenant     text COLLATE "C" NOT NULL,
       key_id     text COLLATE "C" NOT NULL,
       created_at bigint NOT NULL,
       expires_at bigint NOT NULL,
       response   text NOT NULL,
       input      text NOT NULL
     );
     CREATE INDEX responses_expiry ON %s.responses (expires_at);`,
  ],
};

/** `costwise migrate`: the response store's tables on a connection of their own. */
export function migrateResponsesDatabase(url: string, schema: string): Promise<SchemaVersions> {
  return migrateTablesAt(url, schema, RESPONSE_TABLES);
}

export class PostgresResponseStore implements ResponseStore {
  private readonly table: string;

  private constructor(
    private readonly sql: Sql,
    schema: string,
    private readonly now: () => number,
    private readonly ownsClient: boolean,
  ) {
    this.table = `${quotedSchema(schema)}.responses`;
  }

  /**
   * Connects and migrates (under the set's lock, so replicas starting together migrate once). With
   * `sql`, the store uses that client (the gateway's one pool) and leaves closing it to its owner.
   */
  static async open(opts: { url: string; schema: string; now?: () => number; sql?: Sql }): Promise<PostgresResponseStore> {
    const owned = opts.sql === undefined;
    const sql = opts.sql ?? postgres(opts.url, { max: 4, onnotice: () => undefined });
    try {
      await applyTableMigrations(sql, opts.schema, RESPONSE_TABLES);
    } catch (err) {
      if (owned) await sql.end({ timeout: 5 });
      throw err;
    }
    return new PostgresResponseStore(sql, opts.schema, opts.now ?? Date.now, owned);
  }

  async put(r: StoredResponse): Promise<void> {
    await this.sql.unsafe(`DELETE FROM ${this.table} WHERE expires_at <= $1`, [this.now()]);
    await this.sql.unsafe(
      `INSERT INTO ${this.table} (id, tenant, key_id, created_at, expires_at, response, input) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id) DO UPDATE SET response = EXCLUDED.response, input = EXCLUDED.input`,
      [r.id, r.tenant, r.keyId, r.createdAt, r.createdAt + RESPONSE_TTL_MS, JSON.stringify(r.response), JSON.stringify(r.input)],
    );
  }

  async get(id: string, owner: ResponseOwner): Promise<StoredResponse | null> {
    const rows = await this.sql.unsafe<Array<{ id: string; tenant: string; key_id: string; created_at: string; response: string; input: string }>>(
      `SELECT id, tenant, key_id, created_at, response, input FROM ${this.table} WHERE id = $1 AND tenant = $2 AND key_id = $3 AND expires_at > $4`,
      [id, owner.tenant, owner.keyId, this.now()],
    );
    const row = rows[0];
    return row ? toStored({ ...row, created_at: Number(row.created_at) }) : null;
  }

  async delete(id: string, owner: ResponseOwner): Promise<boolean> {
    const rows = await this.sql.unsafe(`DELETE FROM ${this.table} WHERE id = $1 AND tenant = $2 AND key_id = $3 RETURNING id`, [id, owner.tenant, owner.keyId]);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.sql.end({ timeout: 5 });
  }
}
