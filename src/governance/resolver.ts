// Authenticates a secret against an in-memory copy of the key store: a SHA-256 and a map lookup on
// the hot path, no I/O. The copy follows the store by polling its change version (default every
// 500 ms) and applying only what changed, so a revocation reaches every replica within about one
// poll interval plus the query time. If the store cannot be read, the last copy keeps serving and
// `health()` says how stale it is (the integrator decides when stale is too stale).
import { teamChain } from './access.js';
import type { KeyRecord, TeamRecord } from './schema.js';
import { hashSecret, isWellFormedSecret } from './secret.js';
import type { ChangeSet, GovernanceStore } from './store.js';

export type AuthFailure = 'unknown' | 'revoked' | 'expired' | 'disabled';

export type AuthResult =
  | { ok: true; key: Readonly<KeyRecord>; /** The key's team and its ancestors, nearest first. */ teams: readonly Readonly<TeamRecord>[] }
  | { ok: false; reason: AuthFailure; /** Set when the secret matched a key. */ keyId?: string };

export interface ResolverHealth {
  /** Store version the copy reflects. */
  version: number;
  /** Epoch ms of the last successful poll. */
  lastRefreshAt: number;
  /** Message of the last failed poll, cleared by a successful one. */
  lastError: string | null;
  keys: number;
  teams: number;
}

export interface KeyResolver {
  /** Synchronous: answers from memory. */
  authenticate(secret: string): AuthResult;
  /** A key by id with its team chain, whatever its state (for billing work done under it); undefined when unknown. */
  byId(keyId: string): { key: Readonly<KeyRecord>; teams: readonly Readonly<TeamRecord>[] } | undefined;
  /** Polls now (after an admin write on this replica, to make it visible at once). */
  refresh(): Promise<void>;
  health(): ResolverHealth;
  close(): void;
}

export interface KeyResolverOptions {
  store: GovernanceStore;
  /** Default 500 ms. */
  pollIntervalMs?: number;
  now?: () => number;
  /** Called with each failed poll (default: one stderr line per failure streak). */
  onError?: (err: unknown) => void;
}

/** Loads the whole store, then follows it. Rejects if the first load fails. */
export async function createKeyResolver(opts: KeyResolverOptions): Promise<KeyResolver> {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  const pollIntervalMs = opts.pollIntervalMs ?? 500;
  const onError =
    opts.onError ??
    ((err: unknown) => {
      if (health.lastError === null) process.stderr.write(`costwise: key store poll failed, serving the last copy: ${String(err)}\n`);
    });

  const byHash = new Map<string, KeyRecord>();
  const byId = new Map<string, KeyRecord>();
  const teams = new Map<string, TeamRecord>();
  // Team chains, computed on first use and dropped whenever any team changes.
  let chains = new Map<string, readonly TeamRecord[]>();
  const health: ResolverHealth = { version: -1, lastRefreshAt: 0, lastError: null, keys: 0, teams: 0 };

  function apply(changes: ChangeSet): void {
    for (const id of changes.removedKeys) removeKey(id);
    for (const key of changes.keys) {
      removeKey(key.id);
      byId.set(key.id, key);
      byHash.set(key.hash, key);
    }
    for (const id of changes.removedTeams) teams.delete(id);
    for (const team of changes.teams) teams.set(team.id, team);
    if (changes.teams.length > 0 || changes.removedTeams.length > 0) chains = new Map();
    health.version = changes.version;
    health.keys = byId.size;
    health.teams = teams.size;
  }

  function removeKey(id: string): void {
    const old = byId.get(id);
    if (old === undefined) return;
    byId.delete(id);
    if (byHash.get(old.hash) === old) byHash.delete(old.hash);
  }

  function chainOf(teamId: string | null): readonly TeamRecord[] {
    if (teamId === null) return [];
    let chain = chains.get(teamId);
    if (chain === undefined) {
      chain = Object.freeze(teamChain(teamId, teams));
      chains.set(teamId, chain);
    }
    return chain;
  }

  let inFlight: Promise<void> | null = null;
  async function poll(): Promise<void> {
    const version = await store.version();
    if (version !== health.version) apply(await store.changesSince(Math.max(0, health.version)));
    health.lastRefreshAt = now();
    health.lastError = null;
  }
  /** One poll at a time; concurrent callers share it. */
  function refresh(): Promise<void> {
    inFlight ??= poll().finally(() => (inFlight = null));
    return inFlight;
  }

  await refresh();

  let closed = false;
  let timer: NodeJS.Timeout | null = null;
  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => {
      refresh()
        .catch((err: unknown) => {
          onError(err);
          health.lastError = err instanceof Error ? err.message : String(err);
        })
        .finally(schedule);
    }, pollIntervalMs);
    timer.unref();
  };
  schedule();

  return {
    authenticate(secret: string): AuthResult {
      if (!isWellFormedSecret(secret)) return { ok: false, reason: 'unknown' };
      const key = byHash.get(hashSecret(secret));
      if (key === undefined) return { ok: false, reason: 'unknown' };
      if (key.revokedAt !== null) return { ok: false, reason: 'revoked', keyId: key.id };
      if (!key.enabled) return { ok: false, reason: 'disabled', keyId: key.id };
      if (key.expiresAt !== null && key.expiresAt <= now()) return { ok: false, reason: 'expired', keyId: key.id };
      return { ok: true, key, teams: chainOf(key.teamId) };
    },
    byId(keyId) {
      const key = byId.get(keyId);
      return key === undefined ? undefined : { key, teams: chainOf(key.teamId) };
    },
    refresh,
    health: () => ({ ...health }),
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
    },
  };
}
