// The pipeline's promise (src/pipeline/index.ts): however a request ends — answered, refused,
// failed upstream, cut off by its caller, served from the cache — it leaves exactly one ledger row,
// with the request id the caller was given; a deferred request leaves none until its job runs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledger, type TestEnv } from '../helpers/env.js';
import { BACKENDS, startEnvOn } from '../helpers/backend-env.js';

let env: TestEnv;

describe.each(BACKENDS)('on a %s ledger', (backend) => {
  beforeAll(async () => {
    env = await startEnvOn(backend);
  });
  afterAll(async () => {
    await env.close();
  });

  const chat = (body: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${env.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test-key', ...headers },
      body,
      ...(signal ? { signal } : {}),
    });

  const ask = (extra: Record<string, unknown> = {}) =>
    JSON.stringify({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: `pipeline ${Math.random()}` }], max_tokens: 16, ...extra });

  async function rowsOf(requestId: string) {
    await env.gateway.deps.store.flush();
    return (await ledger(env)).filter((r) => r.requestId === requestId);
  }

  async function oneRow(res: Response) {
    await res.arrayBuffer().catch(() => undefined);
    const id = res.headers.get('x-costwise-request-id');
    expect(id).toBeTruthy();
    const rows = await rowsOf(id!);
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }

  describe('every exit leaves exactly one ledger row', () => {
    it('an answer', async () => {
      const res = await chat(ask());
      expect(res.status).toBe(200);
      const row = await oneRow(res);
      expect(row).toMatchObject({ status: 200, stream: false, servedModel: 'gpt-4.1-mini', errorKind: null });
      expect(row.costPico).toBeGreaterThan(0);
    });

    it('a streamed answer', async () => {
      const res = await chat(ask({ stream: true }));
      expect(res.status).toBe(200);
      const row = await oneRow(res);
      // The cap asked for, and how it ended from the stream's finish event: the emulator's answer is longer than 16 tokens.
      expect(row).toMatchObject({ status: 200, stream: true, maxTokens: 16, stopReason: 'max_tokens', outputTokens: 16 });
      expect(row.outputTokens).toBeGreaterThan(0);
    });

    it('a body that is not JSON', async () => {
      const res = await chat('{"model": ');
      expect(res.status).toBe(400);
      expect(await oneRow(res)).toMatchObject({ status: 400, errorKind: 'invalid_request', costPico: 0 });
    });

    it('a model that does not exist', async () => {
      const res = await chat(ask({ model: 'no-such-model' }));
      expect(res.status).toBe(404);
      expect(await oneRow(res)).toMatchObject({ status: 404, requestedModel: 'no-such-model', costPico: 0 });
    });

    it('an upstream failure', async () => {
      const res = await chat(ask(), { 'x-emulator-fault': '500' });
      expect(res.status).toBeGreaterThanOrEqual(500);
      const row = await oneRow(res);
      expect(row.status).toBe(res.status);
      expect(row.errorKind).not.toBeNull();
    });

    it('a caller that goes away before the answer (499)', async () => {
      const abort = new AbortController();
      const pending = chat(ask(), { 'x-emulator-fault': 'slow', 'x-emulator-slow-ms': '2000' }, abort.signal).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 300));
      abort.abort();
      await pending;
      // The gateway writes the row once it has seen the close; wait for it.
      let rows: Awaited<ReturnType<typeof ledger>> = [];
      for (let i = 0; i < 50 && rows.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        await env.gateway.deps.store.flush();
        rows = (await ledger(env)).filter((r) => r.status === 499);
      }
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 499, costPico: 0 });
    });

    it('an answer from the response cache', async () => {
      const body = ask({ temperature: 0 });
      await oneRow(await chat(body));
      const hit = await chat(body);
      expect(hit.headers.get('x-costwise-cache')).toBe('hit-exact');
      expect(await oneRow(hit)).toMatchObject({ status: 200, cache: 'hit-exact', costPico: 0 });
    });

    it('a deferred request: none until its job has run', async () => {
      const res = await chat(ask(), { 'x-costwise-defer': '1h' });
      expect(res.status).toBe(202);
      await res.arrayBuffer();
      const id = res.headers.get('x-costwise-request-id')!;
      expect(id).toMatch(/:job_cw/);
      expect(await rowsOf(id)).toHaveLength(0);
    });
  });
});
