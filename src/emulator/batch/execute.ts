// Runs one batch item through the emulator's normal request handler (the same code that answers
// the synchronous API) and captures the JSON it would have sent, or the error it would have
// rendered. Batch items skip the latency model and the per-minute rate limits (real batches have
// their own queue), but use the same prompt caches, seed and reply generator.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { badRequest, EmuError, errorBody, wireStatus, type Provider } from '../errors.js';
import { Exchange } from '../exchange.js';
import type { EmulatorState } from '../state.js';
import type { Outcome } from './job.js';

export type Handler = (ex: Exchange, body: unknown) => Promise<void> | void;

/** The emulator headers a batch create request may carry that apply to every item. */
export const ITEM_DIRECTIVE_HEADERS = ['x-emulator-output-tokens', 'x-emulator-echo'] as const;

/** Header name → value, for the ITEM_DIRECTIVE_HEADERS the create request carried. */
export type Directives = ReadonlyMap<string, string>;

// Never read or written: every method of Exchange that touches the socket is overridden below.
let detached: { req: IncomingMessage; res: ServerResponse } | null = null;
function detachedPair(): { req: IncomingMessage; res: ServerResponse } {
  if (!detached) {
    const req = new IncomingMessage(new Socket());
    detached = { req, res: new ServerResponse(req) };
  }
  return detached;
}

class CaptureExchange extends Exchange {
  body: unknown = undefined;

  constructor(
    state: EmulatorState,
    provider: Provider,
    private readonly directives: Directives,
  ) {
    const { req, res } = detachedPair();
    super(req, res, provider, state);
  }

  override header(name: string): string | undefined {
    return this.directives.get(name);
  }

  override admit(): void {}

  override sendJson(body: unknown): Promise<void> {
    return new Promise((resolve) => {
      const commit = this.onStart;
      this.onStart = null;
      commit?.();
      this.body = typeof body === 'string' ? (JSON.parse(body) as unknown) : body;
      resolve();
    });
  }

  override sendStream(): Promise<void> {
    return Promise.reject(badRequest('stream: streaming is not supported in batch requests.', 'stream', 'invalid_value'));
  }

  override sendPlain(_status: number, body: unknown): void {
    this.body = body;
  }

  override sendError(): void {}
}

export interface ItemRun {
  state: EmulatorState;
  provider: Provider;
  handler: Handler;
  body: unknown;
  directives: Directives;
  customId: string;
}

export async function runItem(r: ItemRun): Promise<Outcome> {
  const ex = new CaptureExchange(r.state, r.provider, r.directives);
  const injected = injectedFault(r.customId);
  try {
    if (injected) throw injected;
    await r.handler(ex, r.body);
    if (ex.body === undefined) throw new Error('handler sent nothing');
    return { type: 'succeeded', requestId: ex.requestId, body: ex.body };
  } catch (err) {
    const e = err instanceof EmuError ? err : new EmuError(500, 'The emulator had an internal error while processing your request.');
    return {
      type: 'errored',
      status: wireStatus(r.provider, e.status),
      requestId: ex.requestId,
      body: JSON.parse(errorBody(r.provider, e, ex.requestId)) as unknown,
    };
  }
}

const FAULT_ID = /^emulator-fail(?:-(\d{3}))?(?:[-_]|$)/;

/**
 * Fault injection per item: a `custom_id` starting with `emulator-fail` errors with 500, and
 * `emulator-fail-NNN…` with status NNN (400–599), in the provider's error shape.
 */
export function injectedFault(customId: string): EmuError | null {
  const m = FAULT_ID.exec(customId);
  if (!m) return null;
  const wanted = Number(m[1] ?? 500);
  const status = wanted >= 400 && wanted <= 599 ? wanted : 500;
  return new EmuError(status, `Emulated batch item fault (${status}).`);
}
