// Response caching where it is off: a scope whose requests repeat exactly (equal prompt hashes on
// the ledger: the exact-cache key of the request) within the cache's lifetime, while the response
// cache was never consulted for them. Each repeat would have been answered from the cache at no
// cost, so the saving is what the repeats cost.
import { stringify } from 'yaml';
import { formatUsd } from '../cost/money.js';
import type { LedgerRow } from '../storage/types.js';
import { ledgerCost, monthly, pct, round, ruleName, type ScopeModel } from './scope.js';
import type { Recommendation } from './types.js';

/** Share of a scope's requests that repeat an earlier one, from which the cache is proposed. */
export const MIN_REPEAT_SHARE = 0.1;
/** Fewer repeats than this are no evidence of a pattern. */
export const MIN_REPEATS = 10;

export interface ResponseCacheOptions {
  days: number;
  /** The cache's entry lifetime: a repeat counts only within it of the previous identical request. */
  ttlMs: number;
}

export function responseCaching(g: ScopeModel, opts: ResponseCacheOptions): Recommendation | undefined {
  if (g.tag === null) return undefined;
  // Only requests the cache never saw: where it was consulted, it is on and hits already show.
  const uncached = g.rows.filter((r) => r.cache === null && r.promptHash !== null).sort((a, b) => a.ts - b.ts);
  const repeats = repeatsWithin(uncached, opts.ttlMs);
  const share = uncached.length ? repeats.length / uncached.length : 0;
  if (repeats.length < MIN_REPEATS || share < MIN_REPEAT_SHARE) return undefined;
  const current = ledgerCost(g.rows);
  const saved = ledgerCost(repeats);
  const ttlSeconds = Math.round(opts.ttlMs / 1000);
  return {
    kind: 'response_cache',
    scope: g.scope,
    current_model: g.served,
    recommended_model: g.served,
    monthly_saving_usd: formatUsd(monthly(saved, opts.days)),
    evidence: {
      requests: g.rows.length,
      window_days: opts.days,
      current_cost_usd: formatUsd(current),
      repriced_cost_usd: formatUsd(current - saved),
      repeats: { uncached_requests: uncached.length, exact_repeats: repeats.length, repeat_share: round(share), ttl_seconds: ttlSeconds },
      note: `${repeats.length} of ${uncached.length} requests (${pct(share)}) repeated an identical request within ${ttlSeconds} s, with the response cache off for them; they would have been answered from it. With policy always, a repeat gets the first answer again: right for lookups and classification, not for requests that should sample anew`,
    },
    rule: stringify([{ name: ruleName('cache', g), match: { tags: g.tag }, policy: 'always', ttlSeconds }]),
  };
}

/** The requests (in time order) whose identical request came before them within `ttlMs`. */
function repeatsWithin(rows: readonly LedgerRow[], ttlMs: number): LedgerRow[] {
  const lastSeen = new Map<string, number>();
  const repeats: LedgerRow[] = [];
  for (const r of rows) {
    const before = lastSeen.get(r.promptHash!);
    if (before !== undefined && r.ts - before <= ttlMs) repeats.push(r);
    // A cache entry lives from the answer it stores: a hit does not extend it.
    if (before === undefined || r.ts - before > ttlMs) lastSeen.set(r.promptHash!, r.ts);
  }
  return repeats;
}
