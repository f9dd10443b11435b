// The emulator's cloud routes answer credential problems in each cloud's own shape: Bedrock's 403
// with `x-amzn-errortype`, Azure's 401, Vertex's 401 UNAUTHENTICATED; a signed Bedrock call works.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type RunningEmulator } from '../../src/emulator/server.js';
import { DEFAULT_CLOUD_CREDENTIALS } from '../../src/emulator/cloud-auth.js';
import { signRequest } from '../../src/providers/aws-sigv4.js';

let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
});

afterAll(async () => {
  await emu.close();
});

const MODEL_PATH = `/model/${encodeURIComponent('eu.anthropic.claude-haiku-4-5-20251001-v1:0')}/converse`;
const BODY = JSON.stringify({ messages: [{ role: 'user', content: [{ text: 'hi' }] }], inferenceConfig: { maxTokens: 20 } });

async function converse(credentials: { accessKeyId: string; secretAccessKey: string }, extra: Record<string, string> = {}): Promise<Response> {
  const url = new URL(emu.url);
  const headers = await signRequest({
    credentials,
    region: 'eu-central-1',
    url,
    path: MODEL_PATH,
    headers: { 'content-type': 'application/json' },
    body: BODY,
  });
  return fetch(`${emu.url}${MODEL_PATH}`, { method: 'POST', headers: { ...headers, ...extra }, body: BODY });
}

describe('Bedrock', () => {
  it('a correctly signed Converse call answers with usage', async () => {
    const res = await converse(DEFAULT_CLOUD_CREDENTIALS.aws, { 'x-emulator-output-tokens': '4' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toBeTruthy();
    const body = (await res.json()) as { stopReason: string; usage: { outputTokens: number; inputTokens: number; totalTokens: number } };
    expect(body.stopReason).toBe('end_turn');
    expect(body.usage.outputTokens).toBe(4);
    expect(body.usage.totalTokens).toBe(body.usage.inputTokens + 4);
  });

  it.each([
    [
      'an unknown key id',
      { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'x' },
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ],
    ['a wrong secret', { ...DEFAULT_CLOUD_CREDENTIALS.aws, secretAccessKey: 'wrong' }, 'InvalidSignatureException', /signature we calculated does not match/],
  ])('%s is a 403 in the shape Bedrock sends', async (_what, credentials, type, message) => {
    const res = await converse(credentials);
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toMatch(new RegExp(`^${type}:`));
    expect(((await res.json()) as { message: string }).message).toMatch(message);
  });

  it('a body changed after signing fails the signature; an unsigned call is MissingAuthenticationToken', async () => {
    const url = new URL(emu.url);
    const headers = await signRequest({ credentials: DEFAULT_CLOUD_CREDENTIALS.aws, region: 'eu-central-1', url, path: MODEL_PATH, headers: {}, body: BODY });
    const tampered = await fetch(`${emu.url}${MODEL_PATH}`, { method: 'POST', headers, body: BODY.replace('hi', 'ho') });
    expect([tampered.status, tampered.headers.get('x-amzn-errortype')?.split(':')[0]]).toEqual([403, 'InvalidSignatureException']);
    const unsigned = await fetch(`${emu.url}${MODEL_PATH}`, { method: 'POST', body: BODY });
    expect([unsigned.status, unsigned.headers.get('x-amzn-errortype')?.split(':')[0]]).toEqual([403, 'MissingAuthenticationTokenException']);
  });

  it('an injected 429 is a ThrottlingException', async () => {
    const res = await converse(DEFAULT_CLOUD_CREDENTIALS.aws, { 'x-emulator-fault': '429' });
    expect([res.status, res.headers.get('x-amzn-errortype')?.split(':')[0]]).toEqual([429, 'ThrottlingException']);
  });
});

describe('Bedrock InvokeModel (Claude)', () => {
  const path = (action: string) => `/model/${encodeURIComponent('us.anthropic.claude-haiku-4-5-20251001-v1:0')}/${action}`;
  async function invoke(action: string, body: unknown): Promise<Response> {
    const text = JSON.stringify(body);
    const headers = await signRequest({
      credentials: DEFAULT_CLOUD_CREDENTIALS.aws,
      region: 'us-east-1',
      url: new URL(emu.url),
      path: path(action),
      headers: { 'content-type': 'application/json' },
      body: text,
    });
    return fetch(`${emu.url}${path(action)}`, { method: 'POST', headers: { ...headers, 'x-emulator-output-tokens': '5' }, body: text });
  }
  const messages = [{ role: 'user', content: 'hi' }];

  it("answers Anthropic's body; the stream is event-stream chunks of base64 Messages events", async () => {
    const whole = await invoke('invoke', { anthropic_version: 'bedrock-2023-05-31', max_tokens: 20, messages });
    expect(whole.status).toBe(200);
    expect(((await whole.json()) as { type: string; usage: { output_tokens: number } }).usage.output_tokens).toBe(5);
    const streamed = await invoke('invoke-with-response-stream', { anthropic_version: 'bedrock-2023-05-31', max_tokens: 20, messages });
    expect(streamed.headers.get('content-type')).toBe('application/vnd.amazon.eventstream');
    const { decodeEventStream } = await import('../../src/wire/bedrock/event-stream.js');
    const types: string[] = [];
    for await (const m of decodeEventStream(
      (async function* () {
        yield new Uint8Array(await streamed.arrayBuffer());
      })(),
    )) {
      expect(m.name).toBe('chunk');
      types.push((JSON.parse(Buffer.from((JSON.parse(m.payload) as { bytes: string }).bytes, 'base64').toString('utf8')) as { type: string }).type);
    }
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
  });

  it.each([
    [{ max_tokens: 20, messages }, /required key \[anthropic_version\] not found/],
    [{ anthropic_version: 'bedrock-2023-05-31', model: 'claude', max_tokens: 20, messages }, /extraneous key \[model\]/],
    [{ anthropic_version: 'bedrock-2023-05-31', stream: true, max_tokens: 20, messages }, /extraneous key \[stream\]/],
  ])('a malformed body is a 400 ValidationException (%#)', async (body, message) => {
    const res = await invoke('invoke', body);
    expect([res.status, res.headers.get('x-amzn-errortype')?.split(':')[0]]).toEqual([400, 'ValidationException']);
    expect(((await res.json()) as { message: string }).message).toMatch(message);
  });
});

describe('Azure OpenAI and Vertex', () => {
  it('Azure: a wrong api-key is 401; a missing api-version is 404', async () => {
    const path = '/openai/deployments/gpt-4o-mini/chat/completions';
    const body = JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] });
    const denied = await fetch(`${emu.url}${path}?api-version=2024-10-21`, { method: 'POST', headers: { 'api-key': 'nope' }, body });
    expect(denied.status).toBe(401);
    expect(((await denied.json()) as { error: { message: string } }).error.message).toMatch(/Access denied due to invalid subscription key/);
    const noVersion = await fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'api-key': 'emulated' }, body });
    expect(noVersion.status).toBe(404);
    const ok = await fetch(`${emu.url}${path}?api-version=2024-10-21`, { method: 'POST', headers: { 'api-key': 'emulated' }, body });
    expect(((await ok.json()) as { model: string }).model).toBe('gpt-4o-mini');
  });

  it('Vertex: a bearer that is no service-account JWT is 401 UNAUTHENTICATED', async () => {
    const res = await fetch(`${emu.url}/v1/projects/p/locations/global/publishers/google/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { authorization: 'Bearer ya29.not-a-jwt' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { status: string } }).error.status).toBe('UNAUTHENTICATED');
  });
});
