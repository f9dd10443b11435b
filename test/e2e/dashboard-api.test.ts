// The dashboard's admin endpoints over HTTP, against ledger rows written through the gateway's
// store: time buckets, the saving split, search filters, one request with its sub-calls,
// percentiles, routing and cache rates, the estimator, the admin key, and the static files; on a
// SQLite and on a PostgreSQL ledger.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { z } from 'zod';
import type { TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { readJson } from '../helpers/json.js';
import type { LedgerRow } from '../../src/storage/types.js';
import { uiRoot } from '../../src/server/ui.js';

const HOUR = 3_600_000;
// Two whole hours, far enough back that nothing the gateway itself records falls in them.
const H0 = Math.floor(Date.UTC(2025, 2, 3, 10) / HOUR) * HOUR;

function row(id: string, overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    requestId: id,
    ts: H0,
    tenant: 't',
    keyId: 'key_a',
    tags: [],
    ingress: 'openai',
    endpoint: '/v1/chat/completions',
    requestedModel: 'claude-sonnet-4-5',
    servedModel: 'claude-sonnet-4-5',
    provider: 'anthropic',
    inputTokens: 10,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 5,
    reasoningTokens: 0,
    costPico: 1_000_000,
    baselinePico: 1_000_000,
    promptCachePico: 0,
    promptTokensRemoved: 0,
    promptHash: null,
    maxTokens: null,
    stopReason: null,
    latencyMs: 10,
    status: 200,
    stream: false,
    errorKind: null,
    route: 'requested',
    technique: null,
    parentId: null,
    attempts: null,
    cache: null,
    ...overrides,
  };
}

const ROWS: LedgerRow[] = [
  // hour 0: a routed request that also saved by prompt caching, a cache hit, a plain miss
  row('r-routed', {
    requestedModel: 'claude-sonnet-4-5',
    servedModel: 'gpt-4.1-nano',
    route: 'rule:x->gpt-4.1-nano',
    technique: 'routing',
    costPico: 2_000_000,
    baselinePico: 10_000_000,
    promptCachePico: 3_000_000,
    cache: 'miss',
    latencyMs: 5,
  }),
  row('r-hit', { ts: H0 + 60_000, technique: 'cache_exact', cache: 'hit-exact', route: 'cache:exact', costPico: 0, baselinePico: 4_000_000, latencyMs: 1 }),
  row('r-miss', { ts: H0 + 120_000, cache: 'miss', latencyMs: 30 }),
  // hour 1: a cascade that escalated, with its rejected first step; a fallback that failed
  row('r-cascade', {
    ts: H0 + HOUR + 5,
    route: 'cascade:cascade:escalated->claude-sonnet-4-5',
    technique: 'cascade',
    costPico: 5_000_000,
    baselinePico: 5_000_000,
    latencyMs: 40,
  }),
  row('r-cascade.step1', {
    ts: H0 + HOUR + 5,
    servedModel: 'claude-haiku-4-5',
    route: 'cascade:cascade:step1',
    technique: 'cascade',
    parentId: 'r-cascade',
    costPico: 700_000,
    baselinePico: 0,
  }),
  row('r-fallback', {
    ts: H0 + HOUR + 10,
    route: 'requested; fallback:529->gpt-4.1',
    servedModel: 'gpt-4.1',
    status: 529,
    errorKind: 'overloaded',
    latencyMs: 50,
    attempts: [
      { deployment: 'claude-sonnet-4-5@anthropic', status: 529, error: 'overloaded', ms: 3 },
      { deployment: 'gpt-4.1@openai', status: 529, error: 'overloaded', ms: 4 },
    ],
  }),
];

let env: TestEnv;
const get = async <S extends z.ZodType>(path: string, schema: S, init?: RequestInit): Promise<{ status: number; body: z.output<S> }> => {
  const res = await fetch(`${env.gateway.url}${path}`, init);
  return { status: res.status, body: await readJson(res, schema) };
};
const range = `from=${H0}&to=${H0 + 2 * HOUR}`;

describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
    for (const r of ROWS) env.gateway.deps.store.appendLedger(r);
  });
  afterAll(() => env.close());

  describe('GET /api/timeseries', () => {
    it('buckets by hour with the saving split by technique, prompt caching on its own', async () => {
      const Body = z.object({
        total: z.record(z.string(), z.unknown()),
        data: z.array(
          z.object({
            t: z.number(),
            requests: z.number(),
            cost_usd: z.string(),
            saving_usd: z.string(),
            saving_by_technique: z.record(z.string(), z.string()),
          }),
        ),
      });
      const { status, body } = await get(`/api/timeseries?bucket=hour&${range}`, Body);
      expect(status).toBe(200);
      expect(body.data.map((p) => p.t)).toEqual([H0, H0 + HOUR]);
      expect(body.data[0]).toMatchObject({ requests: 3, cost_usd: '0.000003', saving_usd: '0.000012' });
      expect(body.data[0]!.saving_by_technique).toEqual({ routing: '0.000005', cache_exact: '0.000004', prompt_caching: '0.000003' });
      // The sub-call adds its cost, not a request; the cascade's net saving is a loss.
      expect(body.data[1]).toMatchObject({ requests: 2, cost_usd: '0.0000067' });
      expect(body.data[1]!.saving_by_technique).toEqual({ cascade: '-0.0000007', prompt_caching: '0' });
      expect(body.total).toMatchObject({ requests: 5, cost_usd: '0.0000097', baseline_usd: '0.000021', saving_usd: '0.0000113' });
    });

    it('fills empty buckets in a bounded range and groups by model', async () => {
      const Body = z.object({ data: z.array(z.object({ t: z.number(), requests: z.number(), by: z.record(z.string(), z.object({ requests: z.number() })) })) });
      const { body } = await get(`/api/timeseries?bucket=hour&group_by=model&from=${H0 - HOUR}&to=${H0 + 3 * HOUR}`, Body);
      expect(body.data.map((p) => p.requests)).toEqual([0, 3, 2, 0]);
      expect(body.data[1]!.by['gpt-4.1-nano']!.requests).toBe(1);
      const days = await get(`/api/timeseries?bucket=day&${range}`, Body);
      expect(days.body.data).toHaveLength(1);
    });

    it('rejects a bad parameter with a 400 naming it', async () => {
      const { status, body } = await get('/api/timeseries?bucket=week', z.object({ error: z.object({ param: z.string() }) }));
      expect(status).toBe(400);
      expect(body.error.param).toBe('bucket');
    });
  });

  describe('GET /api/requests with filters', () => {
    const Body = z.object({ data: z.array(z.object({ requestId: z.string(), saving_usd: z.string() })), has_more: z.boolean() });
    const ids = async (q: string) => (await get(`/api/requests?${range}&${q}`, Body)).body.data.map((r) => r.requestId);

    it('filters by model, status, technique, cache and text, newest first', async () => {
      expect(await ids('top_level=1')).toEqual(['r-fallback', 'r-cascade', 'r-miss', 'r-hit', 'r-routed']);
      expect(await ids('top_level=0')).toContain('r-cascade.step1');
      expect(await ids('model=gpt-4.1-nano')).toEqual(['r-routed']);
      expect(await ids('status=error')).toEqual(['r-fallback']);
      expect(await ids('status=529')).toEqual(['r-fallback']);
      expect(await ids('technique=none&top_level=1')).toEqual(['r-fallback', 'r-miss']);
      expect(await ids('cache=miss')).toEqual(['r-miss', 'r-routed']);
      expect(await ids('cache=hit-exact')).toEqual(['r-hit']);
      expect(await ids('q=FALLBACK:529')).toEqual(['r-fallback']);
      expect(await ids('q=r-cas')).toEqual(['r-cascade.step1', 'r-cascade']);
      expect(await ids('q=100%25')).toEqual([]); // % is literal, not a wildcard
    });

    it('pages with has_more instead of a count', async () => {
      const first = await get(`/api/requests?${range}&top_level=1&limit=2`, Body);
      expect(first.body.has_more).toBe(true);
      const last = await get(`/api/requests?${range}&top_level=1&limit=2&offset=4`, Body);
      expect(last.body.data.map((r) => r.requestId)).toEqual(['r-routed']);
      expect(last.body.has_more).toBe(false);
      expect(first.body.data[0]!.saving_usd).toBe('0');
    });

    it('returns one request with its sub-calls and net saving, or 404', async () => {
      const { status, body } = await get(
        '/api/requests/r-cascade',
        z.object({ requestId: z.string(), sub_calls: z.array(z.object({ requestId: z.string() })), total_cost_usd: z.string(), net_saving_usd: z.string() }),
      );
      expect(status).toBe(200);
      expect(body.sub_calls.map((s) => s.requestId)).toEqual(['r-cascade.step1']);
      expect(body.total_cost_usd).toBe('0.0000057');
      expect(body.net_saving_usd).toBe('-0.0000007');
      expect((await get('/api/requests/nope', z.unknown())).status).toBe(404);
    });
  });

  describe('stats', () => {
    it('GET /api/stats/latency-cost gives nearest-rank percentiles of top-level requests', async () => {
      const Body = z.object({
        population: z.number(),
        sampled: z.boolean(),
        data: z.array(
          z.object({
            model: z.string(),
            requests: z.number(),
            cost_usd: z.object({ p50: z.string(), max: z.string() }),
            latency_ms: z.object({ p50: z.number(), p99: z.number() }),
          }),
        ),
      });
      const { body } = await get(`/api/stats/latency-cost?${range}`, Body);
      expect(body.population).toBe(5);
      expect(body.sampled).toBe(false);
      const all = body.data.find((g) => g.model === '(all)')!;
      expect(all.requests).toBe(5);
      expect(all.latency_ms).toMatchObject({ p50: 30, p90: 50, max: 50 }); // 1, 5, 30, 40, 50
      expect(all.cost_usd).toMatchObject({ p50: '0.000001', max: '0.000005' });
    });

    it('GET /api/routing gives the mix, fallback and escalation rates', async () => {
      const Body = z.object({
        requests: z.number(),
        by_model: z.array(z.object({ model: z.string(), tier: z.string().nullable() })),
        by_tier: z.array(z.object({ tier: z.string(), requests: z.number() })),
        fallbacks: z.number(),
        fallback_rate: z.number(),
        escalations: z.number(),
        cascade_requests: z.number(),
        escalation_rate: z.number(),
      });
      const { body } = await get(`/api/routing?${range}`, Body);
      expect(body.requests).toBe(5);
      expect(body.fallbacks).toBe(1);
      expect(body.fallback_rate).toBeCloseTo(0.2);
      expect(body).toMatchObject({ escalations: 1, cascade_requests: 1, escalation_rate: 1 });
      expect(body.by_model.find((m) => m.model === 'gpt-4.1-nano')!.tier).toBe('cheap');
      expect(body.by_tier.find((t) => t.tier === 'mid')!.requests).toBe(3);
    });

    it('GET /api/caching gives hit rates and what caching saved', async () => {
      const { body } = await get(
        `/api/caching?${range}`,
        z.object({ response_cache: z.record(z.string(), z.unknown()), prompt_cache: z.object({ saving_usd: z.string() }) }),
      );
      expect(body.response_cache).toMatchObject({ lookups: 3, hits_exact: 1, hits_semantic: 0, misses: 2, saving_usd: '0.000004' });
      expect(body.response_cache['hit_rate']).toBeCloseTo(1 / 3);
      expect(body.prompt_cache.saving_usd).toBe('0.000003');
    });
  });

  describe('POST /api/estimate', () => {
    it('prices a prompt on every chat model, cheapest first', async () => {
      const Body = z.object({ models: z.array(z.object({ model: z.string(), input_tokens: z.number(), output_tokens: z.number(), cost_usd: z.string() })) });
      const { status, body } = await get('/api/estimate', Body, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Summarise our refund policy.', output_tokens: 100 }),
      });
      expect(status).toBe(200);
      const costs = body.models.map((m) => Number(m.cost_usd));
      expect(costs).toEqual([...costs].sort((a, b) => a - b));
      expect(body.models.map((m) => m.model)).toContain('claude-opus-4-5');
      expect(body.models.map((m) => m.model)).not.toContain('text-embedding-3-small');
      const nano = body.models.find((m) => m.model === 'gpt-4.1-nano')!;
      // gpt-4.1-nano: $0.10 / $0.40 per million tokens.
      expect(Number(nano.cost_usd)).toBeCloseTo((nano.input_tokens * 0.1 + 100 * 0.4) / 1e6, 15);
    });

    it('rejects an empty prompt and a GET', async () => {
      expect((await get('/api/estimate', z.unknown(), { method: 'POST', body: '{"prompt":""}' })).status).toBe(400);
      expect((await get('/api/estimate', z.unknown())).status).toBe(405);
    });
  });

  describe('admin key', () => {
    it('guards every dashboard endpoint; the page itself is a 401 login shell', async () => {
      env.gateway.deps.config.server.adminKey = 'sekret';
      try {
        for (const path of ['/api/timeseries', '/api/requests?q=x', '/api/requests/r-hit', '/api/stats/latency-cost', '/api/routing', '/api/caching']) {
          expect((await fetch(`${env.gateway.url}${path}`)).status, path).toBe(401);
        }
        expect((await fetch(`${env.gateway.url}/api/estimate`, { method: 'POST', body: '{"prompt":"x"}' })).status).toBe(401);
        const ok = await fetch(`${env.gateway.url}/api/routing`, { headers: { authorization: 'Bearer sekret' } });
        expect(ok.status).toBe(200);
        if (existsSync(`${uiRoot()}/index.html`)) {
          // The page is the login shell: sent, with a 401, so the browser can ask for the key.
          const page = await fetch(`${env.gateway.url}/ui/requests`);
          expect(page.status).toBe(401);
          expect(await page.text()).toContain('<div id="app">');
          expect((await fetch(`${env.gateway.url}/ui/requests`, { headers: { authorization: 'Bearer sekret' } })).status).toBe(200);
          const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(await (await fetch(`${env.gateway.url}/ui/`)).text())?.[1];
          expect((await fetch(`${env.gateway.url}${asset}`)).status).toBe(200);
        }
      } finally {
        delete env.gateway.deps.config.server.adminKey;
      }
    });
  });

  describe('/ui static files', () => {
    it.skipIf(!existsSync(`${uiRoot()}/index.html`))('serves index.html for pages, hashed assets for good, 404 for missing files', async () => {
      const page = await fetch(`${env.gateway.url}/ui/requests/abc`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('cache-control')).toBe('no-cache');
      const html = await page.text();
      const asset = /src="(\/ui\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const js = await fetch(`${env.gateway.url}${asset}`);
      expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(js.headers.get('cache-control')).toContain('immutable');
      expect((await fetch(`${env.gateway.url}/ui/assets/missing.js`)).status).toBe(404);
      expect((await fetch(`${env.gateway.url}/ui/%2e%2e/%2e%2e/package.json`)).status).toBe(404);
    });
  });

  // Last: its rows, a day before H0, would change the all-time answers above.
  describe('GET /api/timeseries?group_by=key&top=', () => {
    const D = H0 - 24 * HOUR;
    const window = `from=${D}&to=${D + 2 * HOUR}`;
    const Money = z.object({ requests: z.number(), cost_usd: z.string() });
    const Body = z.object({ top: z.number().nullable(), total: Money, data: z.array(z.object({ t: z.number(), by: z.record(z.string(), Money) })) });

    beforeAll(async () => {
      // 25 keys, key_00 the cheapest: key_i costs (i + 1) µ$ an hour, in two hours.
      for (let i = 0; i < 25; i++)
        for (const h of [0, 1])
          env.gateway.deps.store.appendLedger(
            row(`top-${i}-${h}`, { ts: D + h * HOUR, keyId: `key_${String(i).padStart(2, '0')}`, costPico: (i + 1) * 1_000_000 }),
          );
      await env.gateway.deps.store.flush();
    });

    it('keeps the 20 costliest keys by default and sums the rest exactly as (other)', async () => {
      const { status, body } = await get(`/api/timeseries?bucket=hour&group_by=key&${window}`, Body);
      expect(status).toBe(200);
      expect(body.top).toBe(20);
      for (const p of body.data) {
        expect(Object.keys(p.by)).toHaveLength(21);
        expect(p.by['key_04']).toBeUndefined();
        expect(p.by['key_05']).toBeDefined();
        expect(p.by['(other)']).toMatchObject({ requests: 5, cost_usd: '0.000015' }); // keys 00–04: 1 + 2 + 3 + 4 + 5 µ$
      }
      expect(body.total).toMatchObject({ requests: 50, cost_usd: '0.00065' });
    });

    it('takes top=N, or top=0 for every key, and rejects a bad one', async () => {
      const two = await get(`/api/timeseries?bucket=day&group_by=key&top=2&${window}`, Body);
      expect(two.body.top).toBe(2);
      expect(Object.keys(two.body.data[0]!.by).sort()).toEqual(['(other)', 'key_23', 'key_24']);
      expect(two.body.data[0]!.by['(other)']).toMatchObject({ requests: 46, cost_usd: '0.000552' });
      const kept = await get(`/api/timeseries?bucket=day&group_by=key&top=25&${window}`, Body);
      expect(Object.keys(kept.body.data[0]!.by)).toHaveLength(25); // every key kept: no (other)
      const all = await get(`/api/timeseries?bucket=hour&group_by=key&top=0&${window}`, Body);
      expect(all.body.top).toBeNull();
      expect(Object.keys(all.body.data[0]!.by)).toHaveLength(25);
      const models = await get(`/api/timeseries?bucket=hour&group_by=model&${window}`, Body);
      expect(models.body.top).toBeNull();
      const bad = await get(`/api/timeseries?group_by=key&top=-1`, z.object({ error: z.object({ param: z.string() }) }));
      expect(bad.status).toBe(400);
      expect(bad.body.error.param).toBe('top');
    });
  });
});
