// OpenAI-side prompt caching through the gateway: the automatic cache stays warm (a derived
// prompt_cache_key), and prefix churn — a timestamp at the start of the system prompt — is
// detected and costed per route in GET /api/promptcache.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledger, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import type { AdviceResponse } from '../../src/server/admin-api.js';
import { adaptToProviderCache } from '../../src/pipeline/prompt-cache.js';
import { createContext } from '../../src/pipeline/context.js';
import { extractFeatures } from '../../src/routing/policy/features.js';

let env: TestEnv;

const POLICY = Array.from(
  { length: 120 },
  (_, i) => `Rule ${i}: answer council residents politely, cite the bylaw section and never guess opening hours.`,
).join('\n');

describe.each(BACKENDS)('OpenAI prompt caching (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  it('a long stable system prompt is read from the cache on the next request', async () => {
    const ask = (q: string) =>
      env.openai.chat.completions.create(
        {
          model: 'gpt-4.1-mini',
          messages: [
            { role: 'system', content: POLICY },
            { role: 'user', content: q },
          ],
        },
        { headers: { 'x-costwise-tenant': 'stable' } },
      );
    const first = await ask('When is bulky waste collected?');
    const second = await ask('Where do I renew a parking permit?');
    expect(first.usage!.prompt_tokens).toBeGreaterThan(1024);
    expect(second.usage!.prompt_tokens_details?.cached_tokens).toBeGreaterThan(1024);
  });

  it('derives prompt_cache_key from tenant and stable prefix when the caller set none (OpenAI deployments only)', () => {
    const ctx = createContext({
      requestId: 'r',
      ingress: 'openai',
      endpoint: '/v1/chat/completions',
      caller: { tenant: 't1', keyId: 'k', tags: [] },
      forwardHeaders: {},
    });
    const long = {
      ...ctx.request,
      model: 'gpt-4.1-mini',
      system: [{ type: 'text' as const, text: POLICY }],
      messages: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'q1' }] }],
    };
    ctx.features = extractFeatures(long, ctx.caller);
    const openai = env.gateway.deps.catalog.get('gpt-4.1-mini')!;
    const claude = env.gateway.deps.catalog.get('claude-haiku-4-5')!;
    const a = adaptToProviderCache(long, openai, ctx);
    const b = adaptToProviderCache({ ...long, messages: [{ role: 'user', content: [{ type: 'text', text: 'another question' }] }] }, openai, ctx);
    expect(a.promptCacheKey).toMatch(/^cw-[0-9a-f]{16}$/);
    expect(b.promptCacheKey).toBe(a.promptCacheKey);
    expect(adaptToProviderCache({ ...long, promptCacheKey: 'mine' }, openai, ctx).promptCacheKey).toBe('mine');
    expect(adaptToProviderCache(long, claude, ctx).promptCacheKey).toBeUndefined();
    const otherTenant = { ...ctx, caller: { ...ctx.caller, tenant: 't2' } };
    expect(adaptToProviderCache(long, openai, otherTenant).promptCacheKey).not.toBe(a.promptCacheKey);
  });

  it('prefix churn (a timestamp first in the system prompt) defeats the cache; GET /api/promptcache reports it with its cost', async () => {
    const usages = [];
    for (let i = 0; i < 4; i++) {
      const stamp = `Current time: 2026-11-26T23:5${i}:0${i}Z. Request id ${1000 + i}.`;
      const r = await env.openai.chat.completions
        .create(
          {
            model: 'gpt-4.1-mini',
            messages: [
              { role: 'system', content: `${stamp}\n${POLICY}` },
              { role: 'user', content: 'Opening hours?' },
            ],
          },
          { headers: { 'x-costwise-tenant': 'churny' } },
        )
        .withResponse();
      usages.push(r.data.usage!);
    }
    for (const u of usages) expect(u.prompt_tokens_details?.cached_tokens ?? 0).toBe(0); // the cache never helps
    const body = (await (await fetch(`${env.gateway.url}/api/promptcache`)).json()) as {
      churn_scope: string;
      churn: Array<{
        route: string;
        requests: number;
        churned_requests: number;
        tokens_lost: number;
        cost_lost_usd: string;
        example: string;
        first_difference_at_char: number;
      }>;
    };
    // SQLite: one process, its own report; PostgreSQL: every replica's, this one's included
    expect(body.churn_scope).toBe(backend === 'postgres' ? 'all_replicas' : 'replica');
    const route = body.churn.find((r) => r.route === 'churny:gpt-4.1-mini')!;
    expect(route.requests).toBe(4);
    expect(route.churned_requests).toBe(3);
    expect(route.first_difference_at_char).toBe('Current time: 2026-11-26T23:5'.length);
    expect(route.example).toMatch(/^3:03Z\. Request id 1003/);
    expect(route.tokens_lost).toBeGreaterThan(3 * 1000);
    // gpt-4.1-mini: $0.40 input − $0.10 cache read = $0.30 per million tokens lost
    expect(usdToPico(route.cost_lost_usd)).toBe(BigInt(route.tokens_lost) * 300_000n);
    // the stable route shows no churn
    expect(body.churn.find((r) => r.route === 'stable:gpt-4.1-mini')).toMatchObject({ churned_requests: 0 });
    expect((await ledger(env)).length).toBeGreaterThan(0);
  });

  it('GET /api/advice turns the churn into a prompt-caching recommendation at the window volume', async () => {
    const churn = (await (await fetch(`${env.gateway.url}/api/promptcache`)).json()) as { churn: Array<{ route: string; cost_lost_usd: string }> };
    const lost = usdToPico(churn.churn.find((r) => r.route === 'churny:gpt-4.1-mini')!.cost_lost_usd);
    const advice = (await (await fetch(`${env.gateway.url}/api/advice?days=1`)).json()) as AdviceResponse;
    const rec = advice.recommendations.find((r) => r.kind === 'prompt_cache' && r.scope === 'route:churny:gpt-4.1-mini')!;
    // 4 requests seen by the detector, 4 in the window: the loss as observed, scaled from 1 day to 30.
    expect(rec.evidence.requests).toBe(4);
    expect(usdToPico(rec.monthly_saving_usd)).toBe(lost * 30n);
    expect(rec.rule).toContain(`differs at character ${'Current time: 2026-11-26T23:5'.length}`);
    expect(advice.recommendations.some((r) => r.scope.startsWith('route:stable'))).toBe(false);
  });
});
