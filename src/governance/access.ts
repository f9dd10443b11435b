// What an authenticated key may do: its team chain, its tenant, the models it may use.
import { MAX_TEAM_DEPTH } from './admin.js';
import type { KeyRecord, TeamRecord } from './schema.js';

/**
 * The key's team and its ancestors, nearest first. A missing parent ends the chain; a cycle or a
 * chain deeper than MAX_TEAM_DEPTH (impossible through admin.ts, possible in a hand-edited store)
 * is cut where it repeats.
 */
export function teamChain(teamId: string | null, teams: ReadonlyMap<string, TeamRecord>): TeamRecord[] {
  const chain: TeamRecord[] = [];
  for (let id = teamId; id !== null && chain.length < MAX_TEAM_DEPTH;) {
    const team = teams.get(id);
    if (team === undefined || chain.includes(team)) break;
    chain.push(team);
    id = team.parentId;
  }
  return chain;
}

export type TenantResult =
  | { ok: true; tenant: string; source: 'key' | 'header' }
  /** The header was sent but the key may not choose its tenant: tell the caller, do not guess. */
  | { ok: false; reason: 'tenant_header_not_allowed' | 'invalid_tenant_header' };

const TENANT = /^[\x21-\x7e]{1,128}$/;

/** The tenant a request runs as: the key's, or the `x-costwise-tenant` header when the key allows it. */
export function resolveTenant(query: { key: KeyRecord; header: string | undefined }): TenantResult {
  const { key, header } = query;
  if (header === undefined || header === '') return { ok: true, tenant: key.tenant, source: 'key' };
  if (!key.allowTenantHeader) return { ok: false, reason: 'tenant_header_not_allowed' };
  if (!TENANT.test(header)) return { ok: false, reason: 'invalid_tenant_header' };
  return { ok: true, tenant: header, source: 'header' };
}

/** Whether the key may use `model` (by name, or by its tier when the model has one). */
export function isModelAllowed(query: { key: KeyRecord; model: string; tier?: string }): boolean {
  const { models } = query.key;
  if (models.length === 0) return true;
  return models.includes(query.model) || (query.tier !== undefined && models.includes(query.tier));
}
