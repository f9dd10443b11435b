// What the authenticate, admit and reserve stages use: the key resolver, the rate limiter and the
// budget ledger (in this process, or on Redis shared by every replica), built once at start-up
// (src/server/governance.ts).
import type { Config } from '../config/schema.js';
import type { Budget, BudgetGuard, BudgetLedger, KeyResolver, RateLimiter } from '../governance/index.js';
import type { BudgetAlerts } from '../governance/alerts.js';

export type AuthMode = 'keys' | 'open';

export interface Governance {
  /** Decided per request: unset `server.auth` means open only on a loopback bind while no key exists. */
  authMode(): AuthMode;
  resolver: KeyResolver;
  limiter: RateLimiter;
  /** Settles, releases and charges. */
  budgets: BudgetLedger;
  /** Reserves, seeding counters from the durable ledger first when needed. */
  guard: BudgetGuard;
  settings: Config['governance'];
  /** `governance.tagBudgets`, as budgets. */
  tagBudgets: ReadonlyMap<string, readonly Budget[]>;
  alerts: BudgetAlerts;
}
