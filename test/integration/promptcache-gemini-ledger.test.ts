// Gemini context-cache storage is billed: a storage row per cache, counted against prompt
// caching, next to the requests whose cache reads it made cheaper.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';
import { longText } from '../emulator/helpers.js';
import { present } from '../helpers/assert.js';
import { fetchJson } from '../helpers/json.js';
import { SpendPage } from '../helpers/api-json.js';
import { GeminiCache } from '../helpers/wire-json.js';

let env: TestEnv;

describe.each(BACKENDS)('Gemini context-cache storage on the ledger (%s ledger)', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(() => env.close());

  it('bills the storage of a created cache ($1.00 per MTok-hour for 2.5 Flash, 300 s) as a prompt-caching cost', async () => {
    const system = longText(2500, 'ledger-gemini-cache');
    for (const q of ['first?', 'second?', 'third?']) {
      await env.openai.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: q },
        ],
      });
    }
    const rows = await ledger(env);
    const storage = rows.filter((r) => r['technique'] === 'prompt_cache');
    expect(storage).toHaveLength(1);
    const caches = await fetchJson(`${env.emulator.url}/v1beta/cachedContents`, z.object({ cachedContents: z.array(GeminiCache) }), {
      headers: { 'x-goog-api-key': 'k' },
    });
    const cache = present(caches.cachedContents[0], 'a Gemini context cache');
    const tokens = cache.usageMetadata.totalTokenCount;
    // $1.00 / 1e6 tokens / hour = 1e6 pico per token-hour; 300 s = 1/12 h
    const expected = Math.round((tokens * 1_000_000) / 12);
    expect(storage[0]).toMatchObject({
      route: 'storage:create',
      costPico: expected,
      baselinePico: 0,
      promptCachePico: -expected,
      parentId: cache.name,
      servedModel: 'gemini-2.5-flash',
    });
    // the requests that read the cache saved more than the storage cost
    const reads = rows.filter((r) => r['servedModel'] === 'gemini-2.5-flash' && r['cacheReadTokens'] > 0);
    expect(reads.length).toBeGreaterThanOrEqual(2);
    const saved = reads.reduce((s, r) => s + r['promptCachePico'], 0);
    expect(saved).toBeGreaterThan(expected);
    const spend = await fetchJson(`${env.gateway.url}/api/spend?group_by=technique`, SpendPage);
    expect(spend.data.find((d) => d.technique === 'prompt_cache')?.requests).toBe(0); // a charge, not a request
  });
});
