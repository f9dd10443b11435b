// A provider's rate limit is back-pressure, not a failure (issue 14): a deployment that answered 429
// is held back until its retry-after, traffic moves to the model's other deployment meanwhile, and
// its circuit breaker stays closed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn, type Backend } from '../helpers/backend-env.js';

let env: TestEnv;

async function start(backend: Backend): Promise<TestEnv> {
  const config: Partial<ConfigInput> = {
    ...structuredClone(DEFAULT_CONFIG),
    providers: [
      // A region whose quota is spent: every call answers 429 (the emulator's retry-after).
      { name: 'openai-limited', kind: 'openai', baseUrl: 'emulator', apiKey: 'k', headers: { 'x-emulator-fault': '429' } },
      { name: 'openai', kind: 'openai', baseUrl: 'emulator', apiKey: 'k' },
    ],
    models: [
      // The limited deployment is the cheaper one, so lowest-cost balancing tries it first.
      { name: 'gpt-4.1-nano', provider: 'openai-limited', region: 'limited', pricing: { input: 0.05, output: 0.2 } },
      { name: 'gpt-4.1-nano', provider: 'openai', region: 'main' },
    ],
    routing: { retry: { maxRetries: 0 }, breaker: { failureThreshold: 1, coolDownMs: 60_000 }, routers: {} },
  };
  return startEnvOn(backend, { config });
}

describe.each(BACKENDS)('a deployment that answered 429 (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await start(backend);
  });
  afterAll(() => env.close());

  it('is held back while traffic moves to the other deployment, and its breaker stays closed', async () => {
    const ask = () =>
      env.openai.chat.completions.create({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], max_completion_tokens: 4 }).withResponse();
    const first = await ask();
    expect(first.response.headers.get('x-costwise-route')).toBe('requested; fallback:429->gpt-4.1-nano');
    const second = await ask();
    expect(second.response.headers.get('x-costwise-route')).toBe('requested');
    await env.gateway.deps.store.flush();
    const rows = await ledger(env);
    const rowOf = (id: string | null) => rows.find((r) => r.requestId === id);
    expect(rowOf(first.response.headers.get('x-costwise-request-id'))?.attempts?.map((a) => [a.deployment, a.status])).toEqual([
      ['gpt-4.1-nano@openai-limited/limited', 429],
      ['gpt-4.1-nano@openai/main', 200],
    ]);
    // Held back: the second request went straight to the deployment with room.
    const second_ = rowOf(second.response.headers.get('x-costwise-request-id'));
    expect(second_?.provider).toBe('openai');
    expect(second_?.attempts).toBeNull();
    // With a failure threshold of 1, a 429 counted as a failure would have opened the circuit.
    expect(env.gateway.deps.resilience.breaker.isAvailable('gpt-4.1-nano@openai-limited/limited')).toBe(true);
  });
});
