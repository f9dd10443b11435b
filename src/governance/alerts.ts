// Budget alerts: once a budget's spend crosses one of the thresholds (default 50%, 80%, 100% of its
// limit), a webhook is POSTed — once per budget, period window and threshold over every replica
// (`once` is an atomic first-writer check in the shared state). Spend is read after settling, at
// most once a second per budget and replica (and once more at the end of that second), so a
// crossing is reported within about a second.
import type { BudgetLedger, BudgetScope } from './budget-types.js';
import { formatUsd } from '../cost/money.js';

export interface BudgetAlerts {
  /** Looks at these budgets after a request settled on them; never throws, never waits for the webhook. */
  check(scopes: readonly BudgetScope[]): void;
}

export interface BudgetAlertOptions {
  ledger: BudgetLedger;
  /** Fractions of the limit, e.g. [0.5, 0.8, 1]. */
  thresholds: readonly number[];
  webhookUrl: string | undefined;
  /** True for the first caller with this key within ttlMs, on any replica. */
  once(key: string, ttlMs: number): Promise<boolean>;
  now?: () => number;
  post?: (url: string, body: string) => Promise<unknown>;
  log?: (message: string) => void;
}

export interface BudgetAlertEvent {
  type: 'budget.threshold';
  subject: string;
  period: string;
  window: string;
  threshold: number;
  limit_usd: string;
  spent_usd: string;
  at: string;
}

const CHECK_EVERY_MS = 1_000;
const KEEP_MS = 40 * 86_400_000;

export function createBudgetAlerts(o: BudgetAlertOptions): BudgetAlerts {
  const thresholds = [...new Set(o.thresholds)].sort((a, b) => a - b);
  if (o.webhookUrl === undefined || thresholds.length === 0) return { check: () => undefined };
  const url = o.webhookUrl;
  const now = o.now ?? Date.now;
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const post = o.post ?? ((to: string, body: string) => fetch(to, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
  const lastChecked = new Map<string, number>();
  const fired = new Set<string>();

  async function look(scope: BudgetScope): Promise<void> {
    const status = await o.ledger.status(scope);
    if (status.limitPico === 0n) return;
    for (const t of thresholds) {
      // spent / limit ≥ t, in integers: spent · 10⁶ ≥ t · 10⁶ · limit.
      if (status.spentPico * 1_000_000n < BigInt(Math.round(t * 1_000_000)) * status.limitPico) break;
      const id = `${scope.subject}|${scope.window.key}|${t}`;
      if (fired.has(id)) continue;
      fired.add(id);
      if (!(await o.once(`alert:${id}`, KEEP_MS))) continue;
      const event: BudgetAlertEvent = {
        type: 'budget.threshold',
        subject: scope.subject,
        period: scope.window.period,
        window: scope.window.key,
        threshold: t,
        limit_usd: formatUsd(status.limitPico),
        spent_usd: formatUsd(status.spentPico),
        at: new Date(now()).toISOString(),
      };
      await post(url, JSON.stringify(event));
    }
  }

  const trailing = new Set<string>();
  const run = (scope: BudgetScope): void => {
    look(scope).catch((err: unknown) => log(`costwise: budget alert for ${scope.subject}: ${err instanceof Error ? err.message : String(err)}`));
  };

  return {
    check(scopes) {
      const t = now();
      for (const scope of scopes) {
        const id = `${scope.subject}|${scope.window.key}`;
        const last = lastChecked.get(id) ?? -Infinity;
        if (last > t - CHECK_EVERY_MS) {
          // Checked less than a second ago: look once more when the second is over, so the last
          // crossing of a burst is not missed.
          if (!trailing.has(id)) {
            trailing.add(id);
            setTimeout(
              () => {
                trailing.delete(id);
                lastChecked.set(id, now());
                run(scope);
              },
              last + CHECK_EVERY_MS - t,
            ).unref();
          }
          continue;
        }
        lastChecked.set(id, t);
        if (lastChecked.size > 100_000) lastChecked.clear();
        run(scope);
      }
    },
  };
}
