// Ledger rows like a routed, cached production gateway writes them, shared by the ledger and
// dashboard benchmarks: misses and hits, routed and cascaded requests, fallbacks, errors, tags.
import type { LedgerRow } from '../src/storage/types.js';

const SIX_MODELS = ['gpt-4.1-nano', 'gpt-4.1-mini', 'gpt-4.1', 'claude-haiku-4-5', 'claude-sonnet-4-5', 'gemini-2.5-flash'];

/** Twelve served models, for ledgers with a wider model mix. */
export const TWELVE_MODELS = [...SIX_MODELS, 'gpt-4o', 'gpt-4o-mini', 'o4-mini', 'claude-opus-4-1', 'gemini-2.5-pro', 'mistral-large-latest'] as const;

export interface RowMix {
  /** Arrival time of row 0; rows are spread evenly over [t0, t0 + spanMs). */
  t0: number;
  spanMs: number;
  /** Rows in the whole ledger (row i arrives at t0 + i / total × spanMs). */
  total: number;
  /** Distinct key ids (default 50). */
  keys?: number;
  /** Distinct `team-<n>` tags; a key always belongs to the same team (default 7). */
  teams?: number;
  /** Served models (default six). */
  models?: readonly string[];
  /** Every row carries its team's tag (and a quarter of them `batch` too); default: a quarter of the rows carry both. */
  tagEveryRow?: boolean;
}

/** Row i of a ledger with this mix. 1% are cascade escalations: see `cascadeStep` for their billed first step. */
export function gatewayRow(i: number, mix: RowMix): LedgerRow {
  const models = mix.models ?? SIX_MODELS;
  const keys = mix.keys ?? 50;
  const teams = mix.teams ?? 7;
  const ts = mix.t0 + Math.floor((i / mix.total) * mix.spanMs);
  const served = models[i % models.length]!;
  const key = i % keys;
  const team = `team-${key % teams}`;
  const kind = i % 100;
  const hit = kind < 10 ? 'hit-exact' : kind < 12 ? 'hit-semantic' : kind < 80 ? 'miss' : null;
  const routed = kind >= 40 && kind < 70;
  const cascade = kind >= 70 && kind < 75;
  const route =
    hit !== null && hit !== 'miss'
      ? `cache:${hit.slice(4)}`
      : cascade
        ? `cascade:score:${kind < 72 ? 'escalated' : 'accepted'}->claude-sonnet-4-5`
        : routed
          ? `rule:cheap->${served}`
          : kind === 99
            ? `requested; fallback:529->${served}`
            : 'requested';
  const tags = mix.tagEveryRow === true ? (i % 4 === 0 ? ['batch', team] : [team]) : i % 4 === 0 ? ['batch', team] : [];
  return {
    requestId: `cw_${ts.toString(36)}${i.toString(16).padStart(8, '0')}`,
    ts,
    tenant: 'default',
    keyId: `key_${key}`,
    tags,
    ingress: i % 3 === 0 ? 'anthropic' : 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: routed ? 'gpt-4.1' : served,
    servedModel: served,
    provider: 'emulator',
    inputTokens: 500 + (i % 1000),
    cacheReadTokens: i % 3 === 0 ? 1024 : 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 100 + (i % 300),
    reasoningTokens: 0,
    costPico: hit !== null && hit !== 'miss' ? 0 : 1_000_000 + (i % 997) * 1000,
    baselinePico: 1_200_000 + (i % 997) * 1000,
    promptCachePico: i % 3 === 0 ? 50_000 : 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: 5 + (i % 400),
    status: kind === 98 ? 500 : 200,
    stream: i % 2 === 0,
    errorKind: kind === 98 ? 'upstream' : null,
    route,
    technique: hit === 'hit-exact' ? 'cache_exact' : hit === 'hit-semantic' ? 'cache_semantic' : routed ? 'routing' : cascade ? 'cascade' : null,
    parentId: null,
    attempts:
      kind === 99
        ? [
            { deployment: 'claude-sonnet-4-5@anthropic', status: 529, error: 'overloaded', ms: 30 },
            { deployment: `${served}@openai`, status: 200, ms: 400 },
          ]
        : null,
    cache: hit,
  };
}

/** The cascade's rejected first step: a billed sub-call of an escalated row. */
export function cascadeStep(parent: LedgerRow): LedgerRow {
  return {
    ...parent,
    requestId: `${parent.requestId}.step1`,
    servedModel: 'claude-haiku-4-5',
    route: 'cascade:score:step1',
    parentId: parent.requestId,
    baselinePico: 0,
    cache: null,
    attempts: null,
  };
}

/** Appends row i, and its cascade step when it escalated; the number of rows appended (1 or 2). */
export function appendGatewayRow(append: (row: LedgerRow) => void, i: number, mix: RowMix): number {
  const row = gatewayRow(i, mix);
  append(row);
  if (!row.route.includes(':escalated')) return 1;
  append(cascadeStep(row));
  return 2;
}

/** The q-th quantile of ascending numbers (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
