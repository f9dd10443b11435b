// The admin API's JSON, as the server declares and builds it: src/server/admin-api.ts is the one
// source of truth (type-only, so Vite erases the import). Money is an exact decimal string in USD.
export type * from '../../src/server/admin-api.js';
