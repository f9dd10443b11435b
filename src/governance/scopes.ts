// What applies to a request: the budget scopes (key, team chain, tags) and rate limits (key, team
// chain) of an authenticated key, in the subject naming the ledgers and limiters share.
import type { BudgetScope } from './budget-types.js';
import { periodWindow } from './periods.js';
import type { RateLimit } from './ratelimit-types.js';
import type { Budget, KeyRecord, TeamRecord } from './schema.js';

export interface BudgetScopeQuery {
  key: Readonly<KeyRecord>;
  /** The key's team chain, nearest first (AuthResult.teams). */
  teams: readonly Readonly<TeamRecord>[];
  /** Tags the request is attributed to; those in `tagBudgets` add their budgets. */
  tags?: readonly string[];
  tagBudgets?: ReadonlyMap<string, readonly Budget[]>;
  /** When the request arrived (epoch ms): picks the period windows. */
  at: number;
  /** IANA zone of the budget calendar (default UTC). */
  timeZone?: string;
}

export function budgetScopes(query: BudgetScopeQuery): BudgetScope[] {
  const { at, timeZone = 'UTC' } = query;
  const scopes: BudgetScope[] = [];
  const add = (subject: string, budgets: readonly Budget[]): void => {
    for (const b of budgets) scopes.push({ subject, limitPico: b.limitPico, window: periodWindow({ period: b.period, at, timeZone }) });
  };
  add(`key:${query.key.id}`, query.key.budgets);
  for (const team of query.teams) add(`team:${team.id}`, team.budgets);
  if (query.tagBudgets !== undefined) {
    for (const tag of new Set(query.tags ?? [])) {
      const budgets = query.tagBudgets.get(tag);
      if (budgets !== undefined) add(`tag:${tag}`, budgets);
    }
  }
  return scopes;
}

/** The key's and its teams' rpm/tpm limits over a 60 s window. */
export function rateLimits(query: { key: Readonly<KeyRecord>; teams: readonly Readonly<TeamRecord>[] }): RateLimit[] {
  const limits: RateLimit[] = [];
  const add = (subject: string, owner: { rpm: number | null; tpm: number | null }): void => {
    if (owner.rpm !== null) limits.push({ subject, kind: 'requests', limit: owner.rpm, windowMs: 60_000 });
    if (owner.tpm !== null) limits.push({ subject, kind: 'tokens', limit: owner.tpm, windowMs: 60_000 });
  };
  add(`key:${query.key.id}`, query.key);
  for (const team of query.teams) add(`team:${team.id}`, team);
  return limits;
}
