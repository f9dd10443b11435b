// The provider emulator: one node:http server speaking the OpenAI, Anthropic, Gemini and Bedrock
// Converse wire formats, under the direct APIs' and the clouds' (Azure OpenAI, Vertex AI) URLs.
// Per request, in order:
//   1. route by method + path (404 in the likely provider's shape when nothing matches);
//   2. auth (401 when `requireAuth` and the provider's key header is missing);
//   3. body read + JSON parse (400 on bad JSON, 413 above 32 MB); the cloud routes (Azure OpenAI,
//      Vertex, Bedrock: ./cloud-routes.ts) check their credentials here, SigV4 covering the body;
//   4. fault choice (header or seeded rate): status faults answer here, `slow`/`cut` ride along;
//   5. the handler: validate → count prompt → reply → rate limit → cache → JSON or SSE.
// Anything a handler throws is answered in the route's provider error shape; nothing crashes.
//
// Request headers the emulator obeys (besides each provider's own):
//   x-emulator-output-tokens: N   exactly N output tokens (text replies; still capped by max tokens)
//   x-emulator-echo: 1            reply = the last user message's text
//   x-emulator-fault: 429|500|503|529|slow|cut   (529 is sent as 503 outside Anthropic)
//   x-emulator-slow-ms: MS        delay for `slow` (default 2000)
//   x-emulator-context-window: N  answer 400 "context too long" above N prompt tokens (a smaller deployment)
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAnthropicCountTokens, handleAnthropicMessages } from './anthropic.js';
import { handleOpenAIEmbeddings } from './embeddings.js';
import { batchRoute } from './batch/routes.js';
import { stopBatches } from './batch/registry.js';
import { EmuError, type Provider } from './errors.js';
import { Exchange } from './exchange.js';
import { chooseFault, faultError } from './faults.js';
import { cloudRoute } from './cloud-routes.js';
import { handleCountTokens, handleEmbed, handleGenerate } from './gemini.js';
import { geminiCacheRoute } from './gemini-cache.js';
import { anthropicModel, anthropicModelList, geminiModelList, openaiModel, openaiModelList } from './models.js';
import { handleOpenAIChat } from './openai.js';
import { handleOpenAIResponses } from './openai-responses.js';
import { exhaustedHeaders } from './ratelimit.js';
import { createState, type EmulatorOptions, type EmulatorState } from './state.js';

export type { EmulatorOptions } from './state.js';

export interface RunningEmulator {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  close(): Promise<void>;
  stats(): { requests: number; byPath: Record<string, number> };
  /** Entries currently held by the prompt caches (for tests). */
  cacheSizes(): { openai: number; anthropic: number };
  clearCaches(): void;
}

interface Route {
  provider: Provider;
  /** Needs a JSON body. */
  body: boolean;
  run(ex: Exchange, body: unknown): Promise<void> | void;
}

const MAX_BODY = 32 * 1024 * 1024;
const GEMINI_PATH = /^\/v1(?:beta)?\/models\/([^/:]+):(\w+)$/;

function route(method: string, path: string, query: string, req: IncomingMessage): Route | null {
  const cached = geminiCacheRoute(method, path, query);
  if (cached) return cached;
  const batch = batchRoute(method, path, query);
  if (batch) return batch;
  if (method === 'POST') {
    if (path === '/v1/chat/completions') return { provider: 'openai', body: true, run: handleOpenAIChat };
    if (path === '/v1/responses') return { provider: 'openai', body: true, run: handleOpenAIResponses };
    if (path === '/v1/embeddings') return { provider: 'openai', body: true, run: handleOpenAIEmbeddings };
    if (path === '/v1/messages') return { provider: 'anthropic', body: true, run: handleAnthropicMessages };
    if (path === '/v1/messages/count_tokens') return { provider: 'anthropic', body: true, run: handleAnthropicCountTokens };
    const g = GEMINI_PATH.exec(path);
    if (g) {
      const model = safeDecode(g[1]!);
      const run = geminiMethod(g[2]!, model, query);
      return run ? { provider: 'gemini', body: true, run } : null;
    }
    return null;
  }
  if (method !== 'GET') return null;
  const anthropic = req.headers['anthropic-version'] !== undefined;
  if (path === '/v1/models') {
    return anthropic
      ? { provider: 'anthropic', body: false, run: (ex) => ex.sendPlain(200, anthropicModelList()) }
      : { provider: 'openai', body: false, run: (ex) => ex.sendPlain(200, openaiModelList()) };
  }
  if (path.startsWith('/v1/models/')) {
    const id = safeDecode(path.slice('/v1/models/'.length));
    return anthropic
      ? { provider: 'anthropic', body: false, run: (ex) => ex.sendPlain(200, anthropicModel(id)) }
      : { provider: 'openai', body: false, run: (ex) => ex.sendPlain(200, openaiModel(id)) };
  }
  if (path === '/v1beta/models' || path === '/v1/models') return { provider: 'gemini', body: false, run: (ex) => ex.sendPlain(200, geminiModelList()) };
  return null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function geminiMethod(method: string, model: string, query: string): Route['run'] | null {
  switch (method) {
    case 'generateContent':
      return (ex, body) => handleGenerate(ex, body, model, false);
    case 'streamGenerateContent':
      // Without alt=sse Gemini streams a JSON array; the emulator only speaks SSE.
      if (!/(^|&)alt=sse(&|$)/.test(query)) return () => Promise.reject(new EmuError(400, 'The emulator supports streamGenerateContent only with ?alt=sse.'));
      return (ex, body) => handleGenerate(ex, body, model, true);
    case 'countTokens':
      return (ex, body) => handleCountTokens(ex, body, model);
    case 'embedContent':
      return (ex, body) => handleEmbed(ex, body, model, false);
    case 'batchEmbedContents':
      return (ex, body) => handleEmbed(ex, body, model, true);
    default:
      return null;
  }
}

function guessProvider(path: string, req: IncomingMessage): Provider {
  if (path.startsWith('/v1beta/')) return 'gemini';
  if (req.headers['anthropic-version'] !== undefined || req.headers['x-api-key'] !== undefined) return 'anthropic';
  return 'openai';
}

function authorized(provider: Provider, req: IncomingMessage, query: string): boolean {
  const bearer = /^Bearer\s+\S/i.test(req.headers.authorization ?? '');
  if (provider === 'openai') return bearer;
  if (provider === 'anthropic') return bearer || !!req.headers['x-api-key'];
  return !!req.headers['x-goog-api-key'] || /(^|&)key=[^&]/.test(query) || bearer;
}

const AUTH_MESSAGES: Record<Provider, string> = {
  openai: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
  anthropic: 'x-api-key header is required',
  gemini:
    "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  bedrock: 'Missing Authentication Token',
};

const BAD_JSON: Record<Provider, string> = {
  openai:
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
  anthropic: 'There was an error parsing the body of your request. The body must be valid JSON.',
  gemini: 'Invalid JSON payload received.',
  bedrock: 'Malformed input request, please reformat your input and try again.',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new EmuError(413, 'Request body too large.'));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  state: EmulatorState,
  stats: { requests: number; byPath: Map<string, number> },
): Promise<void> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  stats.requests++;
  stats.byPath.set(path, (stats.byPath.get(path) ?? 0) + 1);
  const cloud = cloudRoute(req.method ?? 'GET', path, query);
  const r = cloud ?? route(req.method ?? 'GET', path, query, req);
  const ex = new Exchange(req, res, r?.provider ?? guessProvider(path, req), state);
  try {
    if (!r) throw new EmuError(404, `Unknown request URL: ${req.method} ${path}.`, { code: 'unknown_url' });
    if (!cloud && state.requireAuth && !authorized(r.provider, req, query)) throw new EmuError(401, AUTH_MESSAGES[r.provider]);
    let body: unknown;
    if (r.body) {
      const text = await readBody(req);
      // The clouds always check credentials; SigV4 signs the body, so this comes after reading it.
      if (cloud && state.requireAuth) await cloud.auth(req, path, text, ex);
      try {
        body = JSON.parse(text);
      } catch {
        throw new EmuError(400, BAD_JSON[r.provider]);
      }
    }
    const fault = chooseFault(ex.header('x-emulator-fault'), ex.header('x-emulator-slow-ms'), state.faultRates, state.faultRand);
    if (fault?.kind === 'status') throw faultError(fault.status, exhaustedHeadersFor(fault.status, ex, state));
    ex.fault = fault;
    await r.run(ex, body);
  } catch (err) {
    ex.sendError(err instanceof EmuError ? err : new EmuError(500, 'The emulator had an internal error while processing your request.'));
  }
}

function exhaustedHeadersFor(status: number, ex: Exchange, state: EmulatorState): Record<string, string> {
  return status === 429 ? exhaustedHeaders(ex.provider, state.limiter.peek(ex.provider)) : {};
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const state = createState(options);
  const stats = { requests: 0, byPath: new Map<string, number>() };
  const server = createServer((req, res) => {
    void handle(req, res, state, stats);
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        stopBatches(state);
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    stats: () => ({ requests: stats.requests, byPath: Object.fromEntries(stats.byPath) }),
    cacheSizes: () => ({ openai: state.openaiCache.size, anthropic: state.anthropicCache.size }),
    clearCaches: () => {
      state.openaiCache.clear();
      state.anthropicCache.clear();
    },
  };
}
