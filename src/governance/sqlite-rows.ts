// Row ↔ record mapping of the SQLite key/team store. Lists and budgets are JSON columns; money in
// them is a decimal string (JSON numbers cannot hold every pico amount).
import type { Budget, KeyRecord, Metadata, TeamRecord } from './schema.js';
import type { NewKey, NewTeam } from './store.js';
import type { BudgetPeriod } from './periods.js';

export interface KeyRow {
  id: string;
  hash: string;
  display_prefix: string;
  name: string;
  team_id: string | null;
  tenant: string;
  allow_tenant_header: number;
  models: string;
  budgets: string;
  rpm: number | null;
  tpm: number | null;
  tags: string;
  expires_at: number | null;
  enabled: number;
  on_budget: string;
  created_at: number;
  revoked_at: number | null;
  metadata: string;
  version: number;
}

export interface TeamRow {
  id: string;
  name: string;
  parent_id: string | null;
  budgets: string;
  rpm: number | null;
  tpm: number | null;
  created_at: number;
  metadata: string;
  version: number;
}

function encodeBudgets(budgets: readonly Budget[]): string {
  return JSON.stringify(budgets.map((b) => ({ limitPico: b.limitPico.toString(), period: b.period })));
}

function decodeBudgets(text: string): Budget[] {
  return (JSON.parse(text) as Array<{ limitPico: string; period: BudgetPeriod }>).map((b) => ({ limitPico: BigInt(b.limitPico), period: b.period }));
}

/** Named parameters for INSERT/UPDATE of gov_keys (the version is bound separately). */
export function keyParams(key: NewKey): Omit<KeyRow, 'version'> {
  return {
    id: key.id,
    hash: key.hash,
    display_prefix: key.displayPrefix,
    name: key.name,
    team_id: key.teamId,
    tenant: key.tenant,
    allow_tenant_header: key.allowTenantHeader ? 1 : 0,
    models: JSON.stringify(key.models),
    budgets: encodeBudgets(key.budgets),
    rpm: key.rpm,
    tpm: key.tpm,
    tags: JSON.stringify(key.tags),
    expires_at: key.expiresAt,
    enabled: key.enabled ? 1 : 0,
    on_budget: key.onBudget,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    metadata: JSON.stringify(key.metadata),
  };
}

export function keyFromRow(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    hash: row.hash,
    displayPrefix: row.display_prefix,
    teamId: row.team_id,
    tenant: row.tenant,
    allowTenantHeader: row.allow_tenant_header === 1,
    models: JSON.parse(row.models) as string[],
    budgets: decodeBudgets(row.budgets),
    rpm: row.rpm,
    tpm: row.tpm,
    tags: JSON.parse(row.tags) as string[],
    expiresAt: row.expires_at,
    enabled: row.enabled === 1,
    onBudget: row.on_budget === 'downgrade' ? 'downgrade' : 'refuse',
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    metadata: JSON.parse(row.metadata) as Metadata,
    version: row.version,
  };
}

export function teamParams(team: NewTeam): Omit<TeamRow, 'version'> {
  return {
    id: team.id,
    name: team.name,
    parent_id: team.parentId,
    budgets: encodeBudgets(team.budgets),
    rpm: team.rpm,
    tpm: team.tpm,
    created_at: team.createdAt,
    metadata: JSON.stringify(team.metadata),
  };
}

export function teamFromRow(row: TeamRow): TeamRecord {
  return {
    id: row.id,
    name: row.name,
    parentId: row.parent_id,
    budgets: decodeBudgets(row.budgets),
    rpm: row.rpm,
    tpm: row.tpm,
    createdAt: row.created_at,
    metadata: JSON.parse(row.metadata) as Metadata,
    version: row.version,
  };
}
