// Governance: virtual keys, budgets and rate limits — the library the gateway calls.
//
// Request path (per request, in this order):
//   1. resolver.authenticate(secret)          → key + team chain, or unknown/revoked/expired/disabled
//   2. resolveTenant / isModelAllowed         → tenant, model access
//   3. limiter.acquire({ limits, tokens })    → rate limits (rateLimits() builds the list)
//   4. guard.reserve({ scopes, amountPico })  → budgets (budgetScopes() builds the scopes)
//   5. after the response: ledger.settle(reservation, actual) or release(reservation);
//      limiter.adjust(permit, actualTokens)
// Spend that never had a reservation (fail-open while the store was down, batches billed later)
// goes through ledger.charge.
// What to build once at start-up: a GovernanceStore (openSqliteGovernanceStore), a KeyResolver over
// it, a BudgetLedger (memory or Redis) wrapped in a BudgetGuard, a RateLimiter (memory or Redis).

export { createGovernanceAdmin, MAX_TEAM_DEPTH, type CreatedKey, type GovernanceAdmin, type GovernanceAdminOptions } from './admin.js';
export { isModelAllowed, resolveTenant, teamChain, type TenantResult } from './access.js';
export { createBudgetGuard, type BudgetGuard, type BudgetGuardOptions } from './budget-guard.js';
export { counterId } from './budget-input.js';
export { createMemoryBudgetLedger, type MemoryBudgetLedgerOptions } from './budget-memory.js';
export { createRedisBudgetLedger, type RedisBudgetLedgerOptions } from './budget-redis.js';
export type {
  BudgetLedger,
  BudgetLedgerOptions,
  BudgetScope,
  BudgetStatus,
  ChargeRequest,
  ChargeStatus,
  ReleaseStatus,
  Reservation,
  ReserveRequest,
  ReserveResult,
  SeedRequest,
  SettleStatus,
} from './budget-types.js';
export { GovernanceError, isGovernanceError, type FieldIssue, type GovernanceErrorKind } from './errors.js';
export { BUDGET_PERIODS, periodWindow, type BudgetPeriod, type PeriodQuery, type PeriodWindow } from './periods.js';
export { MAX_PICO, toPico, usdToPico, type Pico } from './pico.js';
export { rateLimitHeaders } from './ratelimit-headers.js';
export { createMemoryRateLimiter, type MemoryRateLimiterOptions } from './ratelimit-memory.js';
export { createRedisRateLimiter, type RedisRateLimiterOptions } from './ratelimit-redis.js';
export type { AcquireRequest, AcquireResult, AdjustStatus, LimitState, Permit, RateLimit, RateLimitKind, RateLimiter } from './ratelimit-types.js';
export { createKeyResolver, type AuthFailure, type AuthResult, type KeyResolver, type KeyResolverOptions, type ResolverHealth } from './resolver.js';
export {
  budgetSchema,
  keyInputSchema,
  keyPatchSchema,
  teamInputSchema,
  teamPatchSchema,
  type Budget,
  type KeyInput,
  type KeyPatch,
  type KeyRecord,
  type Metadata,
  type OnBudget,
  type TeamInput,
  type TeamPatch,
  type TeamRecord,
} from './schema.js';
export { budgetScopes, rateLimits, type BudgetScopeQuery } from './scopes.js';
export { displayPrefix, generateSecret, hashSecret, isWellFormedSecret } from './secret.js';
export { openPostgresGovernanceStore, type PostgresGovernanceStore, type PostgresGovernanceStoreOptions } from './postgres-store.js';
export { openSqliteGovernanceStore, type SqliteGovernanceStoreOptions } from './sqlite-store.js';
export { migrateGovernanceDatabase } from './migrate.js';
export type { ChangeSet, GovernanceStore, NewKey, NewTeam } from './store.js';
