// /api/spend totals are exact at budget scale (beyond 2^53 pico-dollars ≈ $9,007 per bucket), on
// either ledger backend.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { fetchJson } from '../helpers/json.js';
import { SpendPage } from '../helpers/api-json.js';

describe.each(BACKENDS)('spend API at budget scale on %s', (backend) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  it('adds $5,000.000000000001 three times exactly', async () => {
    const now = Date.now();
    for (let i = 0; i < 3; i++) {
      env.gateway.deps.store.appendLedger({
        requestId: `big-${i}`,
        ts: now,
        tenant: 'gov',
        keyId: 'key_big',
        tags: ['annual'],
        ingress: 'openai',
        endpoint: '/v1/chat/completions',
        requestedModel: 'gpt-4.1',
        servedModel: 'gpt-4.1',
        provider: 'openai',
        inputTokens: 1,
        cacheReadTokens: 0,
        cacheWrite5mTokens: 0,
        cacheWrite1hTokens: 0,
        outputTokens: 1,
        reasoningTokens: 0,
        costPico: 5_000_000_000_000_001,
        baselinePico: 6_000_000_000_000_000,
        latencyMs: 1,
        status: 200,
        stream: false,
        errorKind: null,
        route: 'requested',
        technique: null,
        parentId: null,
        attempts: null,
        cache: null,
        promptCachePico: 0,
        promptTokensRemoved: 0,
        promptHash: null,
        maxTokens: null,
        stopReason: null,
      });
    }
    const body = await fetchJson(`${env.gateway.url}/api/spend?group_by=tag`, SpendPage);
    expect(body.data.find((d) => d.tag === 'annual')?.cost_usd).toBe('15000.000000000003');
    expect(body.total).toEqual({ cost_usd: '15000.000000000003', baseline_usd: '18000', saving_usd: '2999.999999999997' });
  });
});
