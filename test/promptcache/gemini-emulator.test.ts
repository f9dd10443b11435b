// The emulator's Gemini `cachedContents` resource over real HTTP, on an injected clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { parseSse } from '../../src/wire/sse.js';
import { longText, postJson } from '../emulator/helpers.js';
import { present } from '../helpers/assert.js';
import { parseJson, shaped } from '../helpers/json.js';
import { GeminiCache, GeminiChunk, GeminiErrorBody, GeminiReply } from '../helpers/wire-json.js';

let emu: RunningEmulator;
let clock = Date.parse('2026-01-01T00:00:00Z');
beforeAll(async () => {
  emu = await startEmulator({ now: () => clock });
});
afterAll(() => emu.close());

const KEY = { 'x-goog-api-key': 'k' };
const DOC = longText(1500, 'gemini-cache');
const system = { parts: [{ text: DOC }] };
const question = (q: string) => [{ role: 'user', parts: [{ text: q }] }];

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${emu.url}/v1beta/${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...KEY },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

const generate = (model: string, body: unknown) => postJson(`${emu.url}/v1beta/models/${model}:generateContent`, body, KEY);

describe('Gemini cachedContents in the emulator', () => {
  it('create → get → generate with it → list → patch → expiry → 403', async () => {
    const created = await call('POST', 'cachedContents', { model: 'models/gemini-2.5-flash', systemInstruction: system, ttl: '300s', displayName: 'doc' });
    expect(created.status).toBe(200);
    const cache = shaped(created.json, GeminiCache);
    expect(cache.name).toMatch(/^cachedContents\/[a-z0-9]+$/);
    expect(cache.model).toBe('models/gemini-2.5-flash');
    expect(cache.displayName).toBe('doc');
    expect(Date.parse(cache.expireTime) - Date.parse(cache.createTime)).toBe(300_000);
    const cachedTokens = cache.usageMetadata.totalTokenCount;
    expect(cachedTokens).toBeGreaterThanOrEqual(1500);

    const got = await call('GET', cache.name);
    expect(got.json).toEqual(cache);

    const full = await generate('gemini-2.5-flash', { systemInstruction: system, contents: question('Summarise.') });
    const viaCache = await generate('gemini-2.5-flash', { cachedContent: cache.name, contents: question('Summarise.') });
    expect(viaCache.status).toBe(200);
    const [fullReply, viaCacheReply] = [shaped(full.json, GeminiReply), shaped(viaCache.json, GeminiReply)];
    // The same prompt, so the same size and the same answer; the cached part is reported.
    expect(viaCacheReply.usageMetadata.promptTokenCount).toBe(fullReply.usageMetadata.promptTokenCount);
    expect(viaCacheReply.usageMetadata.cachedContentTokenCount).toBe(cachedTokens);
    expect(fullReply.usageMetadata.cachedContentTokenCount).toBeUndefined();
    expect(viaCacheReply.candidates[0].content).toEqual(fullReply.candidates[0].content);

    const res = await fetch(`${emu.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...KEY },
      body: JSON.stringify({ cachedContent: cache.name, contents: question('Summarise.') }),
    });
    const chunks = [];
    for await (const e of parseSse(present(res.body, 'a response body'))) chunks.push(parseJson(e.data, GeminiChunk));
    expect(chunks.at(-1)?.usageMetadata?.cachedContentTokenCount).toBe(cachedTokens);

    const listed = await call('GET', 'cachedContents');
    expect(shaped(listed.json, z.object({ cachedContents: z.array(GeminiCache) })).cachedContents.map((c) => c.name)).toEqual([cache.name]);

    clock += 200_000;
    const patched = await call('PATCH', cache.name, { ttl: '600s' });
    expect(patched.status).toBe(200);
    const patchedCache = shaped(patched.json, GeminiCache);
    expect(Date.parse(patchedCache.expireTime)).toBe(clock + 600_000);
    expect(patchedCache.updateTime).toBe(new Date(clock).toISOString());

    clock += 599_000;
    expect((await generate('gemini-2.5-flash', { cachedContent: cache.name, contents: question('Still there?') })).status).toBe(200);
    clock += 1_000;
    const expired = await generate('gemini-2.5-flash', { cachedContent: cache.name, contents: question('Still there?') });
    expect(expired.status).toBe(403);
    const expiredError = shaped(expired.json, GeminiErrorBody).error;
    expect(expiredError).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
    expect(expiredError.message).toContain('CachedContent not found');
    expect((await call('GET', cache.name)).status).toBe(403);
    expect(await call('GET', 'cachedContents')).toEqual({ status: 200, json: {} });
  });

  it('delete removes it at once', async () => {
    const cache = shaped((await call('POST', 'cachedContents', { model: 'models/gemini-2.5-flash', contents: question(DOC) })).json, GeminiCache);
    expect(cache.usageMetadata.totalTokenCount).toBeGreaterThan(1500);
    expect(Date.parse(cache.expireTime) - Date.parse(cache.createTime)).toBe(3_600_000); // default 1 h
    expect(await call('DELETE', cache.name)).toEqual({ status: 200, json: {} });
    expect((await generate('gemini-2.5-flash', { cachedContent: cache.name, contents: question('Hi') })).status).toBe(403);
    expect((await call('DELETE', cache.name)).status).toBe(403);
  });

  it('refuses a cache under the model minimum (1,024 Flash, 4,096 Pro)', async () => {
    const small = await call('POST', 'cachedContents', { model: 'models/gemini-2.5-flash', systemInstruction: { parts: [{ text: 'Be brief.' }] } });
    expect(small.status).toBe(400);
    const smallError = shaped(small.json, GeminiErrorBody).error;
    expect(smallError.status).toBe('INVALID_ARGUMENT');
    expect(smallError.message).toMatch(/too small.*min_total_token_count=1024/);
    const pro = await call('POST', 'cachedContents', { model: 'models/gemini-2.5-pro', systemInstruction: system });
    expect(pro.status).toBe(400);
    expect(shaped(pro.json, GeminiErrorBody).error.message).toContain('min_total_token_count=4096');
    const bigDoc = { parts: [{ text: longText(4200, 'pro') }] };
    expect((await call('POST', 'cachedContents', { model: 'models/gemini-2.5-pro', systemInstruction: bigDoc })).status).toBe(200);
  });

  it('rejects a request that also sets systemInstruction or tools, another model, and bad ttl or patches', async () => {
    const cache = shaped((await call('POST', 'cachedContents', { model: 'models/gemini-2.5-flash', systemInstruction: system, ttl: '60s' })).json, GeminiCache);
    const both = await generate('gemini-2.5-flash', { cachedContent: cache.name, systemInstruction: { parts: [{ text: 'x' }] }, contents: question('Hi') });
    expect(both.status).toBe(400);
    expect(shaped(both.json, GeminiErrorBody).error.message).toContain('system_instruction, tools or tool_config');
    const tools = [{ functionDeclarations: [{ name: 'f' }] }];
    expect((await generate('gemini-2.5-flash', { cachedContent: cache.name, tools, contents: question('Hi') })).status).toBe(400);
    const other = await generate('gemini-2.5-pro', { cachedContent: cache.name, contents: question('Hi') });
    expect(other.status).toBe(400);
    expect(shaped(other.json, GeminiErrorBody).error.message).toContain('has to be the same');
    expect((await generate('gemini-2.5-flash', { cachedContent: 'cachedContents/nope', contents: question('Hi') })).status).toBe(403);
    expect((await call('POST', 'cachedContents', { model: 'models/gemini-2.5-flash', systemInstruction: system, ttl: '5m' })).status).toBe(400);
    expect(
      (await call('POST', 'cachedContents', { model: 'models/gemini-2.5-flash', systemInstruction: system, ttl: '5s', expireTime: '2030-01-01T00:00:00Z' }))
        .status,
    ).toBe(400);
    expect((await call('PATCH', cache.name, { contents: question('x') })).status).toBe(400);
    const until = new Date(clock + 90_000).toISOString();
    expect(shaped((await call('PATCH', cache.name, { expireTime: until })).json, GeminiCache).expireTime).toBe(until);
  });
});
