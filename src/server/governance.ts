// Builds the gateway's governance at start-up: the key and team store in the ledger's database, the
// key resolver that follows it, and the budget ledger and rate limiter — in this process, or on the
// Redis every replica shares (`storage.state: {kind: redis}`). Budget counters are seeded from the
// durable ledger's spend, so a restart or a Redis that lost its data starts from the real figure.
import type { Sql } from 'postgres';
import { Redis } from 'ioredis';
import type { Config } from '../config/schema.js';
import {
  createBudgetGuard,
  createGovernanceAdmin,
  createKeyResolver,
  createMemoryBudgetLedger,
  createMemoryRateLimiter,
  createRedisBudgetLedger,
  createRedisRateLimiter,
  openPostgresGovernanceStore,
  openSqliteGovernanceStore,
  teamChain,
  usdToPico,
  type Budget,
  type BudgetLedger,
  type BudgetScope,
  type BudgetStatus,
  type GovernanceAdmin,
  type GovernanceStore,
  type RateLimiter,
} from '../governance/index.js';
import { createBudgetAlerts } from '../governance/alerts.js';
import type { AuthMode, Governance } from '../pipeline/governance.js';
import type { DurableStore } from '../storage/types.js';

export interface RunningGovernance {
  governance: Governance;
  admin: GovernanceAdmin;
  store: GovernanceStore;
  /** A budget's spend and reservations now (its counter seeded from the ledger first if needed). */
  status(scope: BudgetScope): Promise<BudgetStatus>;
  /** The ledger's spend of a subject in [from, to). */
  spent(q: { subject: string; from: number; to: number | null }): Promise<bigint>;
  close(): Promise<void>;
}

export interface GovernanceOptions {
  config: Config;
  /** Whether the gateway listens on a loopback address only. */
  loopback: boolean;
  /** The durable ledger (budget counters are seeded from its spend). */
  ledger: DurableStore;
  /** The gateway's shared client for a PostgreSQL ledger (the key store then uses it). */
  postgres?: Sql;
  log?: (message: string) => void;
}

export async function startGovernance(o: GovernanceOptions): Promise<RunningGovernance> {
  const { config } = o;
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const settings = config.governance;
  const store = openGovernanceStore(config, o.postgres);
  const resolver = await createKeyResolver({ store, pollIntervalMs: settings.keyPollMs });
  const state = config.storage.state;
  let redis: Redis | undefined;
  let budgets: BudgetLedger;
  let limiter: RateLimiter;
  let once: (key: string, ttlMs: number) => Promise<boolean>;
  if (state.kind === 'redis') {
    const client = new Redis(state.url, { maxRetriesPerRequest: 1, commandTimeout: 1_000, lazyConnect: false });
    client.on('error', () => {}); // failures surface per call (fail mode decides)
    redis = client;
    budgets = createRedisBudgetLedger({ client, prefix: state.prefix });
    limiter = createRedisRateLimiter({ client, prefix: state.prefix });
    once = async (key, ttlMs) => (await client.set(`${state.prefix}${key}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
  } else {
    budgets = createMemoryBudgetLedger();
    limiter = createMemoryRateLimiter();
    const seen = new Map<string, number>();
    once = (key, ttlMs) => {
      const now = Date.now();
      const until = seen.get(key);
      if (until !== undefined && until > now) return Promise.resolve(false);
      seen.set(key, now + ttlMs);
      return Promise.resolve(true);
    };
  }
  const guard = createBudgetGuard({ ledger: budgets, loadSpent: (scope) => spentInWindow(scope, o.ledger, store) });
  const explicit = config.server.auth;
  if (explicit === 'open' && !o.loopback) {
    log('costwise: WARNING: server.auth is "open" on a non-loopback address: anyone who can reach this gateway spends its provider keys');
  }
  const authMode = (): AuthMode => explicit ?? (o.loopback && resolver.health().keys === 0 ? 'open' : 'keys');
  const governance: Governance = {
    authMode,
    resolver,
    limiter,
    budgets,
    guard,
    settings,
    tagBudgets: new Map(Object.entries(settings.tagBudgets).map(([tag, list]) => [tag, list.map(toBudget)])),
    alerts: createBudgetAlerts({ ledger: budgets, thresholds: settings.alerts.thresholds, webhookUrl: settings.alerts.webhookUrl, once, log }),
  };
  return {
    governance,
    admin: createGovernanceAdmin({ store }),
    store,
    async status(scope) {
      try {
        const now = await budgets.status(scope);
        if (now.seeded) return now;
        await budgets.seed({ scope, spentPico: await spentInWindow(scope, o.ledger, store) });
        return await budgets.status(scope);
      } catch {
        // The shared state is unreachable: the ledger's figure, with nothing known in flight.
        const spentPico = await spentInWindow(scope, o.ledger, store);
        const left = scope.limitPico - spentPico;
        return {
          subject: scope.subject,
          periodKey: scope.window.key,
          limitPico: scope.limitPico,
          spentPico,
          reservedPico: 0n,
          remainingPico: left > 0n ? left : 0n,
          periodStart: scope.window.start,
          periodEnd: scope.window.end,
          seeded: false,
        };
      }
    },
    spent: (q) => spentInLedger(q, o.ledger, store),
    async close() {
      resolver.close();
      await Promise.allSettled([budgets.close(), limiter.close()]);
      if (redis !== undefined) redis.disconnect();
      await store.close();
    },
  };
}

/** Keys and teams live beside the ledger: in its SQLite file, or in its PostgreSQL schema. */
function openGovernanceStore(config: Config, sql: Sql | undefined): GovernanceStore {
  const l = config.storage.ledger;
  if (l.kind === 'sqlite') return openSqliteGovernanceStore({ path: l.path === '' ? ':memory:' : l.path });
  return sql === undefined ? openPostgresGovernanceStore({ url: l.url, schema: l.schema }) : openPostgresGovernanceStore({ sql, schema: l.schema });
}

function toBudget(b: { usd: number; period: Budget['period'] }): Budget {
  return { limitPico: usdToPico(b.usd.toFixed(12)), period: b.period };
}

/**
 * The durable ledger's spend for a budget's subject within its window: a key's rows; a team's keys
 * (its own and its sub-teams', as the teams are now); a tag's rows. Rows still queued are written
 * first.
 */
function spentInWindow(scope: BudgetScope, ledger: DurableStore, store: GovernanceStore): Promise<bigint> {
  return spentInLedger({ subject: scope.subject, from: scope.window.start, to: scope.window.end }, ledger, store);
}

/** The durable ledger's spend of a subject (`key:…`, `team:…`, `tag:…`) in [from, to); to null: no end. */
export async function spentInLedger(q: { subject: string; from: number; to: number | null }, ledger: DurableStore, store: GovernanceStore): Promise<bigint> {
  await ledger.flush();
  const range = { from: q.from, ...(q.to !== null ? { to: q.to } : {}) };
  const [kind, ...rest] = q.subject.split(':');
  const id = rest.join(':');
  if (kind === 'tag') {
    const buckets = await ledger.spend({ groupBy: 'tag', ...range });
    return buckets.find((b) => b.key === id)?.exact.costPico ?? 0n;
  }
  let keyIds: Set<string>;
  if (kind === 'key') keyIds = new Set([id]);
  else {
    const teams = new Map((await store.listTeams()).map((t) => [t.id, t]));
    keyIds = new Set((await store.listKeys()).filter((k) => teamChain(k.teamId, teams).some((t) => t.id === id)).map((k) => k.id));
  }
  let sum = 0n;
  for (const b of await ledger.spend({ groupBy: 'key', ...range })) if (keyIds.has(b.key)) sum += b.exact.costPico;
  return sum;
}
