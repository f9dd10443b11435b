// Re-ranking of the semantic cache by the full USE-lite model (worker thread), through the official
// OpenAI SDK against the emulator: the re-ranker's cosine decides, and a re-ranking past its
// budget is a miss.
import { afterEach, describe, expect, it } from 'vitest';
import { ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn, type Backend } from '../helpers/backend-env.js';
import { createBuiltinEmbedder } from '../../src/cache/semantic/builtin-embedder.js';
import { createVerifier } from '../../src/cache/semantic/verifier.js';
import { startGateway } from '../../src/server/gateway.js';
import { parseConfig } from '../../src/config/load.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';

const CACHED = 'How do I renew my parking permit online?';
/** A paraphrase: the re-ranker's cosine with CACHED is about 0.99. */
const PARAPHRASE = 'How can I renew my parking permit online?';
/**
 * Another question (it asks what was done, not how to do it) with the same word stems: the
 * built-in embedder puts it at similarity 1 and the verifier accepts it; the re-ranker gives 0.91.
 */
const PAST = 'How did I renew my parking permit online?';
const FLOOR = 0.9;
const RERANK_THRESHOLD = 0.95;

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.close();
  env = undefined;
});

async function start(backend: Backend, budgetMs: number): Promise<TestEnv> {
  env = await startEnvOn(backend, {
    config: {
      cache: {
        semantic: {
          enabled: true,
          threshold: FLOOR,
          verify: { enabled: false },
          rerank: { enabled: true, candidates: 5, floor: FLOOR, threshold: RERANK_THRESHOLD, budgetMs },
        },
      },
    },
  });
  return env;
}

const ask = (e: TestEnv, content: string) =>
  e.openai.chat.completions
    .create({ model: 'gpt-4.1-mini', temperature: 0, messages: [{ role: 'user', content }] }, { headers: { 'x-emulator-output-tokens': '9' } })
    .withResponse();

/** Stores CACHED's answer and waits until its question is indexed. */
async function seed(e: TestEnv): Promise<string> {
  const first = await ask(e, CACHED);
  expect(first.response.headers.get('x-costwise-cache')).toBe('miss');
  await expect.poll(() => e.gateway.deps.responseCache.semantic?.size).toBe(1);
  return first.data.choices[0]!.message.content!;
}

describe('the texts', () => {
  it('the rejected question passes the first stage: only the re-ranker can turn it down', async () => {
    const embedder = createBuiltinEmbedder();
    const [a, b] = await embedder.embed([CACHED, PAST]);
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let i = 0; i < a!.length; i++) {
      dot += a![i]! * b![i]!;
      na += a![i]! ** 2;
      nb += b![i]! ** 2;
    }
    expect(dot / Math.sqrt(na * nb)).toBeGreaterThanOrEqual(FLOOR);
    expect(createVerifier().verify(PAST, CACHED).accept).toBe(true);
  });
});

describe('start-up', () => {
  it('refuses re-ranking without a threshold for it, before anything is opened, naming the field', async () => {
    // No calibration ships for static-use re-ranked.
    const cache = { semantic: { enabled: true, embedder: 'static-use' as const, rerank: { enabled: true } } };
    const { config } = parseConfig({ ...structuredClone(DEFAULT_CONFIG), cache }, 'test', {});
    await expect(startGateway({ config })).rejects.toThrow(/^cache\.semantic\.rerank\.calibration: calibration .*calibration-static-use-rerank\.json/);
  });
});

describe.each(BACKENDS)('semantic cache re-ranked by USE-lite (%s ledger)', (backend) => {
  it('serves the paraphrase the re-ranker accepts and sends the candidate it rejects upstream', async () => {
    const e = await start(backend, 2000);
    const answer = await seed(e);

    const near = await ask(e, PARAPHRASE);
    expect(near.response.headers.get('x-costwise-cache')).toBe('hit-semantic');
    expect(near.data.choices[0]!.message.content).toBe(answer);
    const upstreamBefore = e.emulator.stats().requests;

    const other = await ask(e, PAST);
    expect(other.response.headers.get('x-costwise-cache')).toBe('miss');
    expect(e.emulator.stats().requests).toBe(upstreamBefore + 1);

    const rows = await ledger(e);
    const row = (id: string | null) => rows.find((r) => r['requestId'] === id)!;
    expect(row(near.response.headers.get('x-costwise-request-id'))).toMatchObject({ cache: 'hit-semantic', technique: 'cache_semantic', costPico: 0 });
    expect(row(other.response.headers.get('x-costwise-request-id'))).toMatchObject({ cache: 'miss' });
    expect(row(other.response.headers.get('x-costwise-request-id'))['costPico']).toBeGreaterThan(0);
  }, 60_000);

  it('a re-ranking that does not answer within its budget is a miss', async () => {
    // 1 ms: the worker needs several ms to embed the query, so the lookup gives up on it.
    const e = await start(backend, 1);
    await seed(e);
    const upstreamBefore = e.emulator.stats().requests;
    const near = await ask(e, PARAPHRASE);
    expect(near.response.headers.get('x-costwise-cache')).toBe('miss');
    expect(e.emulator.stats().requests).toBe(upstreamBefore + 1);
  }, 60_000);
});
