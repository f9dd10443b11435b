// Administration of keys and teams over any GovernanceStore: input validation, secret generation,
// team references and hierarchy checks. Writes use the record's version (optimistic concurrency),
// so two administrators editing one key never silently overwrite each other.
import { GovernanceError } from './errors.js';
import {
  keyInputSchema,
  keyPatchSchema,
  parseInput,
  teamInputSchema,
  teamPatchSchema,
  type KeyInput,
  type KeyPatch,
  type KeyRecord,
  type TeamInput,
  type TeamPatch,
  type TeamRecord,
} from './schema.js';
import { displayPrefix, generateSecret, hashSecret, newId } from './secret.js';
import type { GovernanceStore } from './store.js';

/** Deepest team hierarchy accepted (org → division → … → team). */
export const MAX_TEAM_DEPTH = 8;

export interface CreatedKey {
  key: KeyRecord;
  /** The secret, shown once: it is not stored and cannot be recovered. */
  secret: string;
}

export interface GovernanceAdmin {
  createKey(input: KeyInput): Promise<CreatedKey>;
  updateKey(id: string, patch: KeyPatch): Promise<KeyRecord>;
  /** Stops the key at once on this replica's next refresh and on every other within a poll. Idempotent. */
  revokeKey(id: string): Promise<KeyRecord>;
  /** A new secret for the same key (same id, budgets, spend); the old secret stops working. */
  rotateKey(id: string): Promise<CreatedKey>;
  createTeam(input: TeamInput): Promise<TeamRecord>;
  updateTeam(id: string, patch: TeamPatch): Promise<TeamRecord>;
  /** Refuses (conflict) while keys or child teams refer to the team. */
  deleteTeam(id: string): Promise<void>;
}

export interface GovernanceAdminOptions {
  store: GovernanceStore;
  /** Clock in epoch ms (default Date.now). */
  now?: () => number;
}

export function createGovernanceAdmin(opts: GovernanceAdminOptions): GovernanceAdmin {
  const { store } = opts;
  const now = opts.now ?? Date.now;

  async function existingKey(id: string): Promise<KeyRecord> {
    const key = await store.getKey(id);
    if (key === null) throw new GovernanceError('not_found', `no key ${id}`);
    return key;
  }

  async function existingTeam(id: string): Promise<TeamRecord> {
    const team = await store.getTeam(id);
    if (team === null) throw new GovernanceError('not_found', `no team ${id}`);
    return team;
  }

  async function assertTeamExists(teamId: string | null, field: string): Promise<void> {
    if (teamId !== null && (await store.getTeam(teamId)) === null) {
      throw new GovernanceError('invalid', `${field}: no team ${teamId}`, [{ path: field, message: `no team ${teamId}` }]);
    }
  }

  /** The parent chain from `parentId` must exist, stay shallow and never come back to `teamId`. */
  async function assertParent(teamId: string, parentId: string | null): Promise<void> {
    let depth = 1;
    for (let id = parentId; id !== null; depth++) {
      if (id === teamId)
        throw new GovernanceError('invalid', `parentId: team ${teamId} would become its own ancestor`, [{ path: 'parentId', message: 'cycle' }]);
      if (depth >= MAX_TEAM_DEPTH)
        throw new GovernanceError('invalid', `parentId: hierarchy deeper than ${MAX_TEAM_DEPTH}`, [{ path: 'parentId', message: 'too deep' }]);
      const parent = await store.getTeam(id);
      if (parent === null) throw new GovernanceError('invalid', `parentId: no team ${id}`, [{ path: 'parentId', message: `no team ${id}` }]);
      id = parent.parentId;
    }
  }

  async function issue(key: Omit<KeyRecord, 'hash' | 'displayPrefix' | 'version'>, write: (record: Omit<KeyRecord, 'version'>) => Promise<KeyRecord>) {
    const secret = generateSecret();
    const stored = await write({ ...key, hash: hashSecret(secret), displayPrefix: displayPrefix(secret) });
    return { key: stored, secret };
  }

  return {
    async createKey(input) {
      const fields = parseInput(keyInputSchema, input, 'key');
      await assertTeamExists(fields.teamId, 'teamId');
      return issue({ ...fields, id: newId('key'), createdAt: now(), revokedAt: null }, (record) => store.insertKey(record));
    },

    async updateKey(id, patch) {
      const fields = parseInput(keyPatchSchema, patch, 'key update');
      if (fields.teamId !== undefined) await assertTeamExists(fields.teamId, 'teamId');
      const current = await existingKey(id);
      const { version, ...rest } = current;
      return store.replaceKey({ ...rest, ...defined(fields) }, version);
    },

    async revokeKey(id) {
      const current = await existingKey(id);
      if (current.revokedAt !== null) return current;
      const { version, ...rest } = current;
      return store.replaceKey({ ...rest, revokedAt: now() }, version);
    },

    async rotateKey(id) {
      const current = await existingKey(id);
      if (current.revokedAt !== null) throw new GovernanceError('conflict', `key ${id} is revoked`);
      const { version, ...rest } = current;
      return issue(rest, (record) => store.replaceKey(record, version));
    },

    async createTeam(input) {
      const { id: chosen, ...fields } = parseInput(teamInputSchema, input, 'team');
      const id = chosen ?? newId('team');
      await assertParent(id, fields.parentId);
      return store.insertTeam({ ...fields, id, createdAt: now() });
    },

    async updateTeam(id, patch) {
      const fields = parseInput(teamPatchSchema, patch, 'team update');
      const current = await existingTeam(id);
      if (fields.parentId !== undefined) await assertParent(id, fields.parentId);
      const { version, ...rest } = current;
      return store.replaceTeam({ ...rest, ...defined(fields) }, version);
    },

    async deleteTeam(id) {
      await existingTeam(id);
      const [keys, teams] = await Promise.all([store.listKeys({ teamId: id }), store.listTeams()]);
      const children = teams.filter((t) => t.parentId === id);
      if (keys.length > 0 || children.length > 0) {
        throw new GovernanceError('conflict', `team ${id} still has ${keys.length} key(s) and ${children.length} child team(s)`);
      }
      await store.deleteTeam(id);
    },
  };
}

/** The fields of a patch that were given (an explicit `undefined` changes nothing). */
function defined<T extends object>(patch: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}
