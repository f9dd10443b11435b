// One conformance suite over the cloud provider kinds (Azure OpenAI, Bedrock with cross-region
// inference profiles, Vertex AI Claude and Gemini): chat, stream, tools, usage and the exact cost,
// through the official OpenAI and Anthropic SDKs against the gateway, the emulator playing each
// cloud with its own URLs and credential checks (SigV4, api-key, service-account JWT).
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startTestEnv, usdToPico, type TestEnv } from '../helpers/env.js';
import { DEFAULT_CLOUD_CREDENTIALS } from '../../src/emulator/cloud-auth.js';
import { rowsTagged } from './gateway.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { DEFAULT_CONFIG } from '../../src/config/defaults.js';

const SERVICE_ACCOUNT = 'costwise-test@costwise-test.iam.gserviceaccount.com';

/** Hand-written list prices, USD per million tokens (genai-prices' aws / azure / google tables). */
interface Prices {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  /** The 1-hour cache write, where the case can ask for it. */
  cacheWrite1h?: number;
}

interface Case {
  kind: string;
  model: string;
  prices: Prices;
}

const CASES: Case[] = [
  { kind: 'azure-openai', model: 'azure-gpt-4o-mini', prices: { input: 0.15, output: 0.6, cacheRead: 0.075, cacheWrite: 0.15 } },
  // A US cross-region profile bills the regional price (10% over list)…
  { kind: 'bedrock (us. profile)', model: 'bedrock-haiku-us', prices: { input: 1.1, output: 5.5, cacheRead: 0.11, cacheWrite: 1.375 } },
  // …the global profile the list price.
  // Claude through InvokeModel with Anthropic's own body (SSE events in event-stream chunks).
  {
    kind: 'bedrock InvokeModel (us. profile)',
    model: 'bedrock-invoke-haiku-us',
    prices: { input: 1.1, output: 5.5, cacheRead: 0.11, cacheWrite: 1.375, cacheWrite1h: 2.2 },
  },
  { kind: 'bedrock (global. profile)', model: 'bedrock-haiku-global', prices: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 } },
  { kind: 'vertex (Claude)', model: 'vertex-claude-haiku', prices: { input: 1, output: 5, cacheRead: 0.1, cacheWrite: 1.25 } },
  { kind: 'vertex (Gemini)', model: 'vertex-gemini-flash', prices: { input: 0.3, output: 2.5, cacheRead: 0.03, cacheWrite: 0.3 } },
];

function pico(tokens: number, usdPerMTok: number): bigint {
  return BigInt(tokens) * BigInt(Math.round(usdPerMTok * 1_000_000));
}

function serviceAccountFile(dir: string, name: string, privateKey: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({ type: 'service_account', project_id: 'costwise-test', private_key_id: 'k1', private_key: privateKey, client_email: SERVICE_ACCOUNT }),
  );
  return file;
}

let env: TestEnv;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'costwise-clouds-'));
  const good = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = (k: typeof good.privateKey): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
  const goodFile = serviceAccountFile(dir, 'good', pem(good.privateKey));
  const badFile = serviceAccountFile(dir, 'bad', pem(stranger.privateKey));
  const aws = DEFAULT_CLOUD_CREDENTIALS.aws;
  const config: Partial<ConfigInput> = {
    // In `providers` (not addProviders), so that the test environment points `emulator` at its own emulator.
    providers: [
      ...structuredClone(DEFAULT_CONFIG.providers),
      { name: 'azure', kind: 'azure-openai', baseUrl: 'emulator', apiKey: DEFAULT_CLOUD_CREDENTIALS.azureApiKey },
      { name: 'azure-badkey', kind: 'azure-openai', baseUrl: 'emulator', apiKey: 'not-the-key' },
      { name: 'bedrock', kind: 'bedrock', baseUrl: 'emulator', region: 'us-east-1', aws },
      { name: 'bedrock-badsig', kind: 'bedrock', baseUrl: 'emulator', region: 'us-east-1', aws: { ...aws, secretAccessKey: 'wrong-secret' } },
      { name: 'vertex', kind: 'vertex', baseUrl: 'emulator', region: 'us-east5', googleCredentialsFile: goodFile },
      { name: 'vertex-badkey', kind: 'vertex', baseUrl: 'emulator', region: 'us-east5', googleCredentialsFile: badFile },
    ],
    addModels: [
      { name: 'azure-gpt-4o-mini', provider: 'azure', upstreamModel: 'gpt-4o-mini', deployment: 'gpt-4o-mini' },
      { name: 'azure-badkey-gpt', provider: 'azure-badkey', upstreamModel: 'gpt-4o-mini' },
      { name: 'bedrock-haiku-us', provider: 'bedrock', upstreamModel: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'us-east-1' },
      {
        name: 'bedrock-invoke-haiku-us',
        provider: 'bedrock',
        upstreamModel: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
        region: 'us-east-1',
        api: 'invoke',
      },
      { name: 'bedrock-haiku-global', provider: 'bedrock', upstreamModel: 'global.anthropic.claude-haiku-4-5-20251001-v1:0', region: 'us-west-2' },
      { name: 'bedrock-badsig-invoke', provider: 'bedrock-badsig', upstreamModel: 'us.anthropic.claude-haiku-4-5-20251001-v1:0', api: 'invoke' },
      { name: 'bedrock-badsig-haiku', provider: 'bedrock-badsig', upstreamModel: 'us.anthropic.claude-haiku-4-5-20251001-v1:0' },
      { name: 'vertex-claude-haiku', provider: 'vertex', upstreamModel: 'claude-haiku-4-5@20251001' },
      { name: 'vertex-gemini-flash', provider: 'vertex', upstreamModel: 'gemini-2.5-flash', region: 'global' },
      { name: 'vertex-badkey-gemini', provider: 'vertex-badkey', upstreamModel: 'gemini-2.5-flash' },
    ],
  };
  env = await startTestEnv({
    config,
    emulator: { cloud: { googleServiceAccounts: { [SERVICE_ACCOUNT]: good.publicKey.export({ type: 'spki', format: 'pem' }).toString() } } },
  });
  openai = env.openai;
  anthropic = env.anthropic;
});

afterAll(async () => {
  await env.close();
});

/** The case's one ledger row and its cost, checked against the hand-computed one. */
async function expectExactCost(tag: string, c: Case, reported: { input: number; output: number }): Promise<void> {
  const [row] = await rowsTagged({ url: env.gateway.url } as Parameters<typeof rowsTagged>[0], tag);
  expect(row!.status).toBe(200);
  expect(row!.servedModel).toBe(c.model);
  expect(row!.inputTokens + row!.cacheReadTokens + row!.cacheWrite5mTokens + row!.cacheWrite1hTokens).toBe(reported.input);
  expect(row!.outputTokens).toBe(reported.output);
  const expected =
    pico(row!.inputTokens, c.prices.input) +
    pico(row!.cacheReadTokens, c.prices.cacheRead) +
    pico(row!.cacheWrite5mTokens, c.prices.cacheWrite) +
    (row!.cacheWrite1hTokens > 0 ? pico(row!.cacheWrite1hTokens, c.prices.cacheWrite1h ?? Number.NaN) : 0n) +
    pico(row!.outputTokens, c.prices.output);
  expect(BigInt(row!.costPico)).toBe(expected);
  expect(usdToPico(row!.cost_usd)).toBe(expected);
}

const tagHeaders = (tag: string, outputTokens?: number): Record<string, string> => ({
  'x-costwise-tags': tag,
  ...(outputTokens !== undefined ? { 'x-emulator-output-tokens': String(outputTokens) } : {}),
});

describe.each(CASES)('$kind', (c) => {
  it('answers a chat through the OpenAI SDK, priced exactly', async () => {
    const tag = `chat-${c.model}`;
    const res = await openai.chat.completions.create(
      { model: c.model, messages: [{ role: 'user', content: 'Name three rivers in Europe.' }], max_completion_tokens: 100 },
      { headers: tagHeaders(tag, 17) },
    );
    expect(res.choices[0]!.message.content!.length).toBeGreaterThan(0);
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage!.completion_tokens).toBe(17);
    await expectExactCost(tag, c, { input: res.usage!.prompt_tokens, output: res.usage!.completion_tokens });
  });

  it('streams through the Anthropic SDK with usage, priced exactly', async () => {
    const tag = `stream-${c.model}`;
    const stream = anthropic.messages.stream(
      { model: c.model, max_tokens: 200, messages: [{ role: 'user', content: 'Write two sentences about the sea.' }] },
      { headers: tagHeaders(tag, 23) },
    );
    let text = '';
    stream.on('text', (t) => (text += t));
    const final = await stream.finalMessage();
    expect(text.length).toBeGreaterThan(0);
    expect(final.content[0]).toMatchObject({ type: 'text', text });
    expect(final.usage.output_tokens).toBe(23);
    const input = final.usage.input_tokens + (final.usage.cache_read_input_tokens ?? 0) + (final.usage.cache_creation_input_tokens ?? 0);
    await expectExactCost(tag, c, { input, output: final.usage.output_tokens });
  });

  it('calls a tool, streamed through the OpenAI SDK, priced exactly', async () => {
    const tag = `tools-${c.model}`;
    const stream = await openai.chat.completions.create(
      {
        model: c.model,
        stream: true,
        stream_options: { include_usage: true },
        messages: [{ role: 'user', content: 'What is the weather in Lisbon?' }],
        tools: [
          {
            type: 'function',
            function: {
              name: 'get_weather',
              description: 'Weather for a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        ],
        tool_choice: 'required',
      },
      { headers: tagHeaders(tag) },
    );
    let name = '';
    let args = '';
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      for (const call of choice?.delta.tool_calls ?? []) {
        name += call.function?.name ?? '';
        args += call.function?.arguments ?? '';
      }
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(name).toBe('get_weather');
    expect(typeof (JSON.parse(args) as { city?: unknown }).city).toBe('string');
    expect(finish).toBe('tool_calls');
    await expectExactCost(tag, c, { input: usage!.prompt_tokens, output: usage!.completion_tokens });
  });
});

describe('refused upstream credentials', () => {
  it.each([
    ['bedrock-badsig-haiku', 'bedrock-badsig', /InvalidSignatureException/],
    ['azure-badkey-gpt', 'azure-badkey', /Access denied/],
    ['vertex-badkey-gemini', 'vertex-badkey', /invalid authentication credentials/],
  ])('%s: a wrongly signed upstream call is a 502 naming the provider, not a 401', async (model, provider, detail) => {
    const err = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(502);
    expect(e.message).toContain(provider);
    expect(e.message).toMatch(detail);
  });
});

describe('Azure OpenAI content filter', () => {
  it('a filtered prompt is a 400 saying so, with the categories', async () => {
    const err = await openai.chat.completions
      .create({ model: 'azure-gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-emulator-fault': 'content_filter' } })
      .catch((e: unknown) => e);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(400);
    expect(e.code).toBe('content_filter');
    expect(e.message).toMatch(/content filter of Azure OpenAI provider azure \(violence\)/);
  });
});

describe('Bedrock cache points', () => {
  it('a cache_control breakpoint becomes a cache point; the second call reads the cache at the cache-read price', async () => {
    const c = CASES[1]!;
    const system = 'You are a meticulous assistant for river geography. '.repeat(600);
    const ask = (tag: string) =>
      anthropic.messages.create(
        {
          model: c.model,
          max_tokens: 50,
          system: [{ type: 'text', text: system, cache_control: { type: 'ephemeral' } }],
          messages: [{ role: 'user', content: 'Longest river?' }],
        },
        { headers: tagHeaders(tag, 9) },
      );
    const first = await ask('cache-1');
    const second = await ask('cache-2');
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(4096);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    for (const [tag, m] of [
      ['cache-1', first],
      ['cache-2', second],
    ] as const) {
      await expectExactCost(tag, c, {
        input: m.usage.input_tokens + (m.usage.cache_read_input_tokens ?? 0) + (m.usage.cache_creation_input_tokens ?? 0),
        output: 9,
      });
    }
    const [row] = await rowsTagged({ url: env.gateway.url } as Parameters<typeof rowsTagged>[0], 'cache-2');
    expect(row!.cacheReadTokens).toBe(second.usage.cache_read_input_tokens);
  });
});

describe('Bedrock InvokeModel (Anthropic body)', () => {
  const c = CASES.find((x) => x.model === 'bedrock-invoke-haiku-us')!;

  it('a 1-hour cache_control breakpoint, which Converse cannot carry, is written at the 1-hour price and read back', async () => {
    const system = 'You keep the tide tables of every Atlantic harbour, and answer briefly. '.repeat(500);
    const ask = (tag: string, stream: boolean) => {
      const body = {
        model: c.model,
        max_tokens: 50,
        system: [{ type: 'text' as const, text: system, cache_control: { type: 'ephemeral' as const, ttl: '1h' as const } }],
        messages: [{ role: 'user' as const, content: 'High tide in Porto?' }],
      };
      return stream
        ? anthropic.messages.stream(body, { headers: tagHeaders(tag, 11) }).finalMessage()
        : anthropic.messages.create(body, { headers: tagHeaders(tag, 11) });
    };
    const first = await ask('invoke-1h-1', false);
    const second = await ask('invoke-1h-2', true);
    expect(first.usage.cache_creation_input_tokens).toBeGreaterThan(4096);
    expect(second.usage.cache_read_input_tokens).toBe(first.usage.cache_creation_input_tokens);
    const rows = [];
    for (const [tag, m] of [
      ['invoke-1h-1', first],
      ['invoke-1h-2', second],
    ] as const) {
      await expectExactCost(tag, c, {
        input: m.usage.input_tokens + (m.usage.cache_read_input_tokens ?? 0) + (m.usage.cache_creation_input_tokens ?? 0),
        output: 11,
      });
      rows.push((await rowsTagged({ url: env.gateway.url } as Parameters<typeof rowsTagged>[0], tag))[0]!);
    }
    expect([rows[0]!.cacheWrite1hTokens, rows[0]!.cacheWrite5mTokens]).toEqual([first.usage.cache_creation_input_tokens, 0]);
    expect(rows[1]!.cacheReadTokens).toBe(second.usage.cache_read_input_tokens);
    // By hand: the 1-hour write at $2.20 per million tokens on the us. profile.
    expect(BigInt(rows[0]!.costPico)).toBe(BigInt(rows[0]!.inputTokens) * 1_100_000n + BigInt(rows[0]!.cacheWrite1hTokens) * 2_200_000n + 11n * 5_500_000n);
  });

  it("a wrong signature on InvokeModel is Bedrock's 403, a 502 naming the provider", async () => {
    const err = await anthropic.messages
      .create({ model: 'bedrock-badsig-invoke', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    const e = err as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(502);
    expect(e.message).toMatch(/bedrock-badsig/);
    expect(e.message).toMatch(/InvalidSignatureException/);
  });
});

describe.each(CASES.filter((c) => /bedrock|vertex \(Claude\)/.test(c.kind)))('planned cache breakpoints on $kind', (c) => {
  it('a long system prompt without cache_control gets a planned breakpoint: written, then read, priced exactly', async () => {
    const system = Array.from({ length: 220 }, (_, i) => `Rule ${i} for ${c.model}: quote the harbour bylaw and never guess tide times.`).join('\n');
    const ask = (tag: string) =>
      anthropic.messages
        .create({ model: c.model, max_tokens: 50, system, messages: [{ role: 'user', content: `Question ${tag}?` }] }, { headers: tagHeaders(tag, 9) })
        .withResponse();
    const first = await ask(`planned-1-${c.model}`);
    const second = await ask(`planned-2-${c.model}`);
    expect(first.response.headers.get('x-costwise-prompt-cache')).toMatch(/^planned:(5m|1h)/);
    expect(first.data.usage.cache_creation_input_tokens).toBeGreaterThan(4096);
    expect(second.data.usage.cache_read_input_tokens).toBeGreaterThan(4096);
    for (const [tag, m] of [
      [`planned-1-${c.model}`, first.data],
      [`planned-2-${c.model}`, second.data],
    ] as const) {
      await expectExactCost(tag, c, {
        input: m.usage.input_tokens + (m.usage.cache_read_input_tokens ?? 0) + (m.usage.cache_creation_input_tokens ?? 0),
        output: 9,
      });
    }
    const [row] = await rowsTagged({ url: env.gateway.url } as Parameters<typeof rowsTagged>[0], `planned-1-${c.model}`);
    // Converse's cache point has no TTL: only 5-minute writes are planned there.
    if (!c.model.includes('invoke') && c.kind.startsWith('bedrock')) expect(row!.cacheWrite1hTokens).toBe(0);
  });
});
