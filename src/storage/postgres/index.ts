// The PostgreSQL durable store: one ledger shared by every gateway replica (store.ts says how).
export { openPostgresStore, connectPostgresStore, type PostgresStore, type PostgresStoreOptions, type PostgresStoreStats } from './store.js';
export { MIGRATIONS as POSTGRES_MIGRATIONS, NewerSchemaError } from './schema.js';
export { applyTableMigrations, migrateTablesAt, quotedSchema, type TableMigrations } from './migrations.js';
