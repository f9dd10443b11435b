// Calibration: a scenario built from real ledger rows. The window is the last `days` days of the
// ledger (ending at its newest row, so an exported or older ledger works too). Each model callers
// asked for becomes a request type: its share of requests, its tokens per request (from requests
// that went upstream), the model that served it most often, its response-cache hit rates (the
// `cache` column) and its prompt-cache prefix share and reuse (cache-read vs cache-write tokens).
import { totalInputTokens } from '../core/canonical.js';
import type { Catalog } from '../config/catalog.js';
import type { DurableStore, LedgerRow } from '../storage/types.js';
import { fitPopularity } from './fit-popularity.js';
import type { AssumptionsInput, ScenarioInput } from './schema.js';
import { RESPONSE_CACHE_TTL_SECONDS } from './scenario.js';

export const DAY_MS = 86_400_000;
const DAYS_PER_MONTH = 30;
const PAGE = 5_000;

/** Billed requests (not a cascade's sub-calls, not failures) of the last `days` days, oldest first. */
export async function readLedgerWindow(store: DurableStore, days: number): Promise<LedgerRow[]> {
  const out: LedgerRow[] = [];
  let from = -Infinity;
  for (let offset = 0; ; offset += PAGE) {
    const page = await store.ledgerRows({ limit: PAGE, offset });
    if (offset === 0 && page[0]) from = page[0].ts - days * DAY_MS;
    for (const r of page) if (r.ts > from && r.parentId === null && r.status >= 200 && r.status < 300) out.push(r);
    if (page.length < PAGE || page[page.length - 1]!.ts <= from) break;
  }
  return out.reverse();
}

export interface LedgerSummary {
  requests: number;
  observedDays: number;
  firstTs: number;
  lastTs: number;
}

export interface DerivedScenario {
  input: ScenarioInput;
  summary: LedgerSummary;
}

export interface DeriveOptions {
  days: number;
  months: number;
  /** Monthly growth as a fraction. */
  growth: number;
  catalog: Catalog;
  /** Config file whose catalog prices the scenario ('' for the embedded default). */
  config: string;
  name?: string;
  /** The response cache's TTL (config `cache.ttlSeconds`), for the popularity fit. */
  responseCacheTtlSeconds?: number;
}

const round = (v: number, digits = 6): number => +v.toFixed(digits);

function mostFrequent(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: string | undefined;
  for (const [v, n] of counts) if (best === undefined || n > counts.get(best)! || (n === counts.get(best)! && v < best)) best = v;
  return best;
}

const isHit = (r: LedgerRow): boolean => r.cache === 'hit-exact' || r.cache === 'hit-semantic';

/**
 * Key popularity behind the observed hits (fit-popularity.ts), so the projection can derive each
 * month's rates from its traffic: exact-cache keys from all the type's requests, shared prefixes
 * from its upstream requests that read or wrote a cached prefix.
 */
function popularityOf(rows: readonly LedgerRow[], responseTtl: number, ttl: '5m' | '1h'): Pick<AssumptionsInput, 'response_cache' | 'prompt_cache'> {
  const exact = fitPopularity(
    rows.map((r) => ({ ts: r.ts, hit: r.cache === 'hit-exact' })),
    { ttlSeconds: responseTtl, kind: 'from-write' },
  );
  const prefixEvents = rows
    .filter((r) => !isHit(r) && r.cacheReadTokens + r.cacheWrite5mTokens + r.cacheWrite1hTokens > 0)
    .map((r) => ({ ts: r.ts, hit: r.cacheReadTokens > 0 }));
  const prefix = fitPopularity(prefixEvents, { ttlSeconds: ttl === '1h' ? 3600 : 300, kind: 'refresh-on-hit' });
  return {
    ...(exact ? { response_cache: { popularity: { zipf_exponent: exact.zipfExponent, catalogue_size: exact.catalogueSize, ttl_seconds: responseTtl } } } : {}),
    ...(prefix ? { prompt_cache: { popularity: { zipf_exponent: prefix.zipfExponent, catalogue_size: prefix.catalogueSize } } } : {}),
  };
}

function assumptionsOf(rows: readonly LedgerRow[], responseTtl: number): AssumptionsInput {
  const misses = rows.filter((r) => !isHit(r));
  let input = 0;
  let read = 0;
  let write5m = 0;
  let write1h = 0;
  for (const r of misses) {
    input += totalInputTokens(r);
    read += r.cacheReadTokens;
    write5m += r.cacheWrite5mTokens;
    write1h += r.cacheWrite1hTokens;
  }
  const cached = read + write5m + write1h;
  const batched = misses.filter((r) => r.technique === 'batch' || r.technique === 'batching').length;
  const ttl = write1h > write5m ? '1h' : '5m';
  const fitted = popularityOf(rows, responseTtl, ttl);
  return {
    response_cache: {
      exact_hit_rate: round(rows.filter((r) => r.cache === 'hit-exact').length / rows.length),
      semantic_hit_rate: round(rows.filter((r) => r.cache === 'hit-semantic').length / rows.length),
      ...fitted.response_cache,
    },
    prompt_cache: {
      prefix_share: input > 0 ? round(cached / input) : 0,
      reuse_rate: cached > 0 ? round(read / cached) : 0,
      ttl,
      ...fitted.prompt_cache,
    },
    batchable_share: misses.length ? round(batched / misses.length) : 0,
  };
}

export function deriveScenario(rows: readonly LedgerRow[], opts: DeriveOptions): DerivedScenario {
  if (rows.length === 0) throw new Error(`the ledger has no successful requests in the last ${opts.days} days`);
  const firstTs = rows[0]!.ts;
  const lastTs = rows[rows.length - 1]!.ts;
  const observedDays = Math.min(opts.days, Math.max(1, Math.ceil((lastTs - firstTs) / DAY_MS)));

  const groups = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const list = groups.get(r.requestedModel);
    if (list) list.push(r);
    else groups.set(r.requestedModel, [r]);
  }
  const isChat = (name: string): boolean => opts.catalog.get(name)?.kind === 'chat';
  const mix: ScenarioInput['mix'] = [];
  for (const [requested, list] of [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))) {
    const upstream = list.filter((r) => r.cache !== 'hit-exact' && r.cache !== 'hit-semantic');
    const served = mostFrequent(upstream.map((r) => r.servedModel)) ?? mostFrequent(list.map((r) => r.servedModel))!;
    const avg = (f: (r: LedgerRow) => number): number => (upstream.length ? Math.round(upstream.reduce((s, r) => s + f(r), 0) / upstream.length) : 0);
    mix.push({
      name: requested,
      share: round(list.length / rows.length),
      input_tokens: avg(totalInputTokens),
      output_tokens: avg((r) => r.outputTokens),
      serve: { model: served },
      // A request for `auto`, a tier or a router has no model of its own: a naive deployment is taken
      // to send it to the model that served it.
      naive_model: isChat(requested) ? requested : served,
      assumptions: assumptionsOf(list, opts.responseCacheTtlSeconds ?? RESPONSE_CACHE_TTL_SECONDS),
    });
  }
  // Rounded shares can miss 1 by a few millionths: the largest type absorbs the difference.
  const drift = 1 - mix.reduce((s, t) => s + t.share, 0);
  mix[0]!.share = round(mix[0]!.share + drift, 9);

  const input: ScenarioInput = {
    name: opts.name ?? `Calibrated from the ledger (${rows.length} requests over ${observedDays} days)`,
    ...(opts.config ? { config: opts.config } : {}),
    months: opts.months,
    volume: { launch: Math.round((rows.length * DAYS_PER_MONTH) / observedDays), growth: opts.growth },
    mix,
  };
  return { input, summary: { requests: rows.length, observedDays, firstTs, lastTs } };
}
