// One request/response pair: provider-specific response headers, JSON replies, paced SSE streams,
// the latency model and the `slow` / `cut` faults. Handlers only build bodies and frames.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { EmuError, badRequest, bedrockErrorType, errorBody, wireStatus, type Provider } from './errors.js';
import type { Fault } from './faults.js';
import { sleep, totalDelayMs } from './latency.js';
import { rateLimitHeaders, type RateSnapshot } from './ratelimit.js';
import type { EmulatorState } from './state.js';

/** One SSE frame (or binary event-stream message) and the output tokens it carries (for pacing). */
export interface Frame {
  data: string | Uint8Array;
  tokens: number;
}

const SSE_TYPE = 'text/event-stream; charset=utf-8';

const JSON_TYPE: Record<Provider, string> = {
  openai: 'application/json',
  anthropic: 'application/json',
  gemini: 'application/json; charset=UTF-8',
  bedrock: 'application/json',
};

export class Exchange {
  readonly started = performance.now();
  readonly requestId: string;
  fault: Fault | null = null;
  private rate: RateSnapshot | null = null;
  /** Called once, just before the response headers go out (e.g. commit cache writes). */
  onStart: (() => void) | null = null;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly provider: Provider,
    readonly state: EmulatorState,
  ) {
    this.requestId = state.nextRequestId();
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  /** Counts this request against the per-minute budget; throws a provider 429 when over it. */
  admit(inputTokens: number, outputTokens: number): void {
    const window = Number(this.header('x-emulator-context-window'));
    if (window > 0 && inputTokens > window) throw contextTooLong(this.provider, inputTokens, window);
    this.rate = this.state.limiter.take(this.provider, inputTokens, outputTokens);
  }

  /** The client left or the reply ended (a method: it changes while a reply waits). */
  private gone(): boolean {
    return this.res.writableEnded || this.res.destroyed || this.req.socket.destroyed;
  }

  private headers(contentType: string, extra?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'content-type': contentType };
    if (this.provider === 'openai') {
      h['x-request-id'] = this.requestId;
      h['openai-processing-ms'] = String(Math.round(performance.now() - this.started));
      h['openai-version'] = '2020-10-01';
    } else if (this.provider === 'anthropic') {
      h['request-id'] = this.requestId;
    } else if (this.provider === 'bedrock') {
      h['x-amzn-requestid'] = this.requestId;
    }
    if (this.provider === 'openai' || this.provider === 'anthropic')
      Object.assign(h, rateLimitHeaders(this.provider, this.rate ?? this.state.limiter.peek(this.provider)));
    if (extra) Object.assign(h, extra);
    return h;
  }

  private start(): void {
    const f = this.onStart;
    this.onStart = null;
    f?.();
  }

  private cutNow(): void {
    this.req.socket.destroy();
  }

  /** A JSON reply after the latency the output would take (plus a `slow` fault). */
  async sendJson(body: unknown, outputTokens = 0): Promise<void> {
    const slow = this.fault?.kind === 'slow' ? this.fault.ms : 0;
    const delay = totalDelayMs(this.state.latency, outputTokens, slow);
    if (delay > 0) await sleep(delay);
    if (this.gone()) return;
    if (this.fault?.kind === 'cut') {
      this.cutNow();
      return;
    }
    this.start();
    this.res.writeHead(200, this.headers(JSON_TYPE[this.provider]));
    this.res.end(typeof body === 'string' ? body : JSON.stringify(body));
  }

  /** An SSE reply: headers at once, first frame after ttft, then `perTokenMs` per token. */
  async sendStream(frames: readonly Frame[], contentType = SSE_TYPE): Promise<void> {
    const slow = this.fault?.kind === 'slow' ? this.fault.ms : 0;
    if (slow > 0) await sleep(slow);
    if (this.gone()) return;
    this.start();
    this.res.writeHead(200, this.headers(contentType, { 'cache-control': 'no-cache', connection: 'keep-alive' }));
    const { ttftMs, perTokenMs } = this.state.latency;
    const cut = this.fault?.kind === 'cut';
    if (ttftMs === 0 && perTokenMs === 0 && !cut) {
      if (frames.some((f) => typeof f.data !== 'string')) {
        this.res.end(Buffer.concat(frames.map((f) => (typeof f.data === 'string' ? Buffer.from(f.data) : f.data))));
        return;
      }
      let all = '';
      for (const f of frames) all += f.data as string;
      this.res.end(all);
      return;
    }
    this.res.flushHeaders();
    const cutAfter = cut ? Math.max(1, Math.min(3, frames.length >> 1)) : Infinity;
    let sentTokens = 0;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (i === cutAfter) {
        this.cutNow();
        return;
      }
      const wait = sentTokens === 0 && f.tokens > 0 ? ttftMs : f.tokens * perTokenMs;
      if (wait > 0) await sleep(wait);
      if (this.gone()) return;
      // Before a cut, wait until the frames really left, so the client sees them first.
      if (cut) await new Promise<void>((resolve) => this.res.write(f.data, () => resolve()));
      else this.res.write(f.data);
      sentTokens += f.tokens;
    }
    this.res.end();
  }

  sendError(err: EmuError): void {
    if (this.gone()) return;
    if (this.res.headersSent) {
      this.cutNow();
      return;
    }
    const status = wireStatus(this.provider, err.status);
    const extra =
      this.provider === 'bedrock'
        ? { 'x-amzn-errortype': `${bedrockErrorType(err)}:http://internal.amazon.com/coral/com.amazon.bedrock/`, ...err.options.headers }
        : err.options.headers;
    this.res.writeHead(status, this.headers(JSON_TYPE[this.provider], extra));
    this.res.end(errorBody(this.provider, err, this.requestId));
  }

  /** Any JSON with a status (model lists, 200s that need no latency). */
  sendPlain(status: number, body: unknown): void {
    if (this.gone()) return;
    this.res.writeHead(status, this.headers(JSON_TYPE[this.provider]));
    this.res.end(JSON.stringify(body));
  }
}

/**
 * A prompt over the context window (`x-emulator-context-window: N` plays a deployment with a
 * smaller one), in each provider's words.
 */
function contextTooLong(provider: Provider, tokens: number, window: number): EmuError {
  if (provider === 'anthropic') return badRequest(`prompt is too long: ${tokens} tokens > ${window} maximum`);
  if (provider === 'gemini') return badRequest(`The input token count (${tokens}) exceeds the maximum number of tokens allowed (${window}).`);
  return badRequest(
    `This model's maximum context length is ${window} tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
    'messages',
    'context_length_exceeded',
  );
}
