// The durable key/team store: plain persistence, no policy (validation, secrets and references
// live in admin.ts, so every backend shares them). Every write bumps one store-wide change
// version and stamps it on the row it wrote, so replicas poll `version()` (one cheap query) and
// fetch only what changed. SQLite implements it now (sqlite-store.ts); PostgreSQL can follow with
// the same tables, a sequence for the version and REPEATABLE READ for `changesSince`.
import type { KeyRecord, TeamRecord } from './schema.js';

/** Everything written after a version, read in one consistent snapshot. */
export interface ChangeSet {
  /** The store version this snapshot reflects; pass it to the next `changesSince`. */
  version: number;
  /** Keys inserted or replaced since (their latest state). */
  keys: KeyRecord[];
  teams: TeamRecord[];
  /** Ids deleted since. */
  removedKeys: string[];
  removedTeams: string[];
}

/** A record without its version: the store assigns it. */
export type NewKey = Omit<KeyRecord, 'version'>;
export type NewTeam = Omit<TeamRecord, 'version'>;

export interface GovernanceStore {
  /** Throws GovernanceError('conflict') when the id or hash exists. Resolves with the stored record. */
  insertKey(key: NewKey): Promise<KeyRecord>;
  /**
   * Replaces the key with `key.id` if its stored version is still `expectedVersion` (optimistic
   * concurrency): 'conflict' when it moved, 'not_found' when absent.
   */
  replaceKey(key: NewKey, expectedVersion: number): Promise<KeyRecord>;
  /** Whether a key was deleted. Revocation (replaceKey with revokedAt) is the usual way out. */
  deleteKey(id: string): Promise<boolean>;
  getKey(id: string): Promise<KeyRecord | null>;
  listKeys(filter?: { teamId?: string }): Promise<KeyRecord[]>;

  insertTeam(team: NewTeam): Promise<TeamRecord>;
  replaceTeam(team: NewTeam, expectedVersion: number): Promise<TeamRecord>;
  deleteTeam(id: string): Promise<boolean>;
  getTeam(id: string): Promise<TeamRecord | null>;
  listTeams(): Promise<TeamRecord[]>;

  /** The current change version (0 for an empty store). Must be cheap: replicas poll it. */
  version(): Promise<number>;
  changesSince(version: number): Promise<ChangeSet>;
  close(): Promise<void>;
}
