// GET /metrics through the official SDKs: requests of every kind (chat, messages, a stream, a cache
// hit, a refused request, a cascade that escalates) move the Prometheus counters by exactly what
// the ledger rows say, to the pico-dollar, and by what the price table says the tokens cost.
// Budgets remaining per key, the key label (opt-in), the admin guard and metrics.enabled: false.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import OpenAI from 'openai';
import { z } from 'zod';
import { expectedPico, ledger, startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { scrape, usdToPicoNumber, type Scrape } from '../helpers/prometheus.js';
import { fetchJson } from '../helpers/json.js';
import type { LedgerRowJson } from '../helpers/api-json.js';

type Row = LedgerRowJson;
const seven = { 'x-emulator-output-tokens': '7' };

/** Σ of a money counter over the series whose labels include `labels`, in pico-dollars. */
const pico = (s: Scrape, name: string, labels: Record<string, string> = {}): number => usdToPicoNumber(s.value(name, labels));

describe.each(BACKENDS)('metrics equal the ledger (%s ledger)', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnvOn(backend, {
      config: {
        routing: {
          routers: { score: { kind: 'cascade', steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'], checks: [{ kind: 'score_band', ambiguous: [0.35, 0.65] }] } },
        },
      },
    });
  });
  afterAll(() => env.close());

  it('one chat request moves cost, baseline, tokens and requests by exactly its ledger row', async () => {
    const before = await scrape(env.gateway.url);
    const { data, response } = await env.openai.chat.completions
      .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'How far is the moon?' }] }, { headers: seven })
      .withResponse();
    const after = await scrape(env.gateway.url);
    const row = (await ledger(env)).find((r) => r.requestId === response.headers.get('x-costwise-request-id'))!;
    const series = { model: 'gpt-4.1-mini', provider: 'openai' };
    const cost = expectedPico('gpt-4.1-mini', { input: data.usage!.prompt_tokens, output: 7 });
    expect(BigInt(row.costPico)).toBe(cost);
    expect(pico(after, 'costwise_cost_usd_total', series) - pico(before, 'costwise_cost_usd_total', series)).toBe(row.costPico);
    expect(pico(after, 'costwise_baseline_usd_total', series) - pico(before, 'costwise_baseline_usd_total', series)).toBe(row.baselinePico);
    const tokens = (s: Scrape, c: string): number => s.value('costwise_tokens_total', { ...series, class: c });
    expect(tokens(after, 'input') - tokens(before, 'input')).toBe(data.usage!.prompt_tokens);
    expect(tokens(after, 'output') - tokens(before, 'output')).toBe(7);
    const requests = { ...series, status_class: '2xx', surface: 'openai' };
    expect(after.value('costwise_requests_total', requests) - before.value('costwise_requests_total', requests)).toBe(1);
    expect(after.count('costwise_upstream_duration_seconds', { ...series, outcome: 'ok' })).toBeGreaterThan(
      before.count('costwise_upstream_duration_seconds', { ...series, outcome: 'ok' }),
    );
    expect(after.value('costwise_requests_in_flight')).toBe(0);
  });

  it('after a mix of requests every series sums its ledger rows exactly', async () => {
    // Anthropic, streamed, with time to first token.
    const stream = env.anthropic.messages.stream(
      { model: 'claude-haiku-4-5', max_tokens: 30, messages: [{ role: 'user', content: 'Count to five.' }] },
      { headers: seven },
    );
    await stream.finalMessage();
    // A response-cache hit: the second one costs nothing and saves the first's cost.
    const cached = { model: 'gpt-4.1-nano', temperature: 0, messages: [{ role: 'user' as const, content: `Capital of France? ${Date.now()}` }] };
    await env.openai.chat.completions.create(cached, { headers: seven });
    const hit = await env.openai.chat.completions.create(cached, { headers: seven }).withResponse();
    expect(hit.response.headers.get('x-costwise-cache')).toBe('hit-exact');
    // A cascade that escalates: a rejected step's row (a sub-call) besides the answer's.
    await env.openai.chat.completions.create(
      { model: 'router/score', max_completion_tokens: 50, messages: [{ role: 'user', content: 'Score: 0.5' }] },
      { headers: { 'x-emulator-echo': '1' } },
    );
    // A refused request (unknown model): a 4xx and an error by type.
    await expect(env.openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] })).rejects.toThrow();

    const s = await scrape(env.gateway.url);
    const rows = await ledger(env);
    const sum = (pick: (r: Row) => number, keep: (r: Row) => boolean = () => true): number => rows.filter(keep).reduce((a, r) => a + pick(r), 0);

    // Every (model, provider, technique) money series equals its rows' sum, and nothing else is counted.
    const groups = new Map<string, Row[]>();
    for (const r of rows) {
      const k = JSON.stringify([r.servedModel || r.requestedModel, r.provider, r.technique ?? 'none']);
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const [k, group] of groups) {
      const [model, provider, technique] = JSON.parse(k) as [string, string, string];
      const labels = { model, provider, technique };
      expect(pico(s, 'costwise_cost_usd_total', labels), k).toBe(group.reduce((a, r) => a + r.costPico, 0));
      expect(pico(s, 'costwise_baseline_usd_total', labels), k).toBe(group.reduce((a, r) => a + r.baselinePico, 0));
    }
    expect(s.family('costwise_cost_usd_total').samples).toHaveLength(groups.size);
    expect(pico(s, 'costwise_cost_usd_total')).toBe(sum((r) => r.costPico));
    expect(BigInt(pico(s, 'costwise_cost_usd_total'))).toBe(rows.reduce((a, r) => a + usdToPico(r.cost_usd), 0n));

    // Net saving by technique, and prompt caching's share.
    for (const technique of ['none', 'cache_exact', 'cascade']) {
      const net = sum(
        (r) => r.baselinePico - r.costPico,
        (r) => (r.technique ?? 'none') === technique,
      );
      expect(pico(s, 'costwise_saving_usd', { technique }), technique).toBe(net);
    }
    expect(pico(s, 'costwise_saving_usd', { technique: 'cascade' })).toBeLessThan(0); // it escalated: a loss
    expect(pico(s, 'costwise_prompt_cache_saving_usd')).toBe(sum((r) => r.promptCachePico));

    // Tokens by class, over every row (sub-calls included).
    const classes: Array<[string, (r: Row) => number]> = [
      ['input', (r) => r.inputTokens],
      ['cache_read', (r) => r.cacheReadTokens],
      ['cache_write_5m', (r) => r.cacheWrite5mTokens],
      ['cache_write_1h', (r) => r.cacheWrite1hTokens],
      ['output', (r) => r.outputTokens],
      ['reasoning', (r) => r.reasoningTokens],
    ];
    for (const [c, pick] of classes) expect(s.value('costwise_tokens_total', { class: c }), c).toBe(sum(pick));

    // Requests: one per request row, not per sub-call; by status class.
    const top = (r: Row): boolean => r.parentId === null;
    expect(s.value('costwise_requests_total')).toBe(sum(() => 1, top));
    expect(s.value('costwise_requests_total', { status_class: '4xx' })).toBe(
      sum(
        () => 1,
        (r) => top(r) && r.status >= 400 && r.status < 500,
      ),
    );
    expect(s.value('costwise_requests_total', { status_class: '4xx' })).toBeGreaterThanOrEqual(1);
    expect(s.value('costwise_requests_total', { surface: 'anthropic' })).toBe(
      sum(
        () => 1,
        (r) => top(r) && r.ingress === 'anthropic',
      ),
    );
    const errorKinds = new Set(rows.filter(top).flatMap((r) => (r.errorKind ? [r.errorKind] : [])));
    for (const type of errorKinds)
      expect(s.value('costwise_errors_total', { type }), type).toBe(
        sum(
          () => 1,
          (r) => top(r) && r.errorKind === type,
        ),
      );
    expect(s.value('costwise_response_cache_lookups_total', { result: 'hit_exact' })).toBe(
      sum(
        () => 1,
        (r) => top(r) && r.cache === 'hit-exact',
      ),
    );
    expect(s.value('costwise_response_cache_lookups_total', { result: 'miss' })).toBe(
      sum(
        () => 1,
        (r) => top(r) && r.cache === 'miss',
      ),
    );

    // The stream's time to first token was observed.
    expect(s.count('costwise_time_to_first_token_seconds', { model: 'claude-haiku-4-5' })).toBeGreaterThanOrEqual(1);
    // Labels stay bounded: no key label unless asked for.
    expect(s.family('costwise_requests_total').samples.every((m) => m.labels['key'] === undefined)).toBe(true);
  });
});

const KeyCreated = z.object({ id: z.string(), key: z.string() });

describe('budgets, the key label and the admin guard', () => {
  let env: TestEnv;
  const admin = { authorization: 'Bearer admin-secret-1' };
  beforeAll(async () => {
    env = await startTestEnv({ config: { server: { adminKey: 'admin-secret-1' }, metrics: { keyLabel: true } } });
  });
  afterAll(() => env.close());

  it('/metrics needs the admin key, like /api', async () => {
    const res = await fetch(`${env.gateway.url}/metrics`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(`${env.gateway.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('a key’s budget remaining and its own series, exact after a request', async () => {
    const created = await fetchJson(`${env.gateway.url}/api/keys`, KeyCreated, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...admin },
      body: JSON.stringify({ name: 'team-a', budget_usd: 5, budget_period: 'month' }),
    });
    const client = new OpenAI({ apiKey: created.key, baseURL: `${env.gateway.url}/v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hello' }] }, { headers: seven })
      .withResponse();
    const cost = usdToPico(response.headers.get('x-costwise-cost-usd')!);
    expect(cost).toBe(expectedPico('gpt-4.1-mini', { input: data.usage!.prompt_tokens, output: 7 }));
    const s = await scrape(env.gateway.url, admin);
    expect(BigInt(pico(s, 'costwise_cost_usd_total', { key: created.id }))).toBe(cost);
    expect(s.value('costwise_requests_total', { key: created.id, status_class: '2xx' })).toBe(1);
    // The budget is settled to the exact cost just after the answer.
    await vi.waitFor(
      async () => {
        const now = await scrape(env.gateway.url, admin);
        expect(BigInt(pico(now, 'costwise_budget_remaining_usd', { key: created.id, name: 'team-a', period: 'month' }))).toBe(5_000_000_000_000n - cost);
      },
      { timeout: 5000, interval: 50 },
    );
  });
});

describe('metrics.enabled: false', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startTestEnv({ config: { metrics: { enabled: false } } });
  });
  afterAll(() => env.close());

  it('answers 404 naming the setting, and requests still work', async () => {
    await env.openai.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });
    const res = await fetch(`${env.gateway.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('metrics.enabled: false');
  });
});
