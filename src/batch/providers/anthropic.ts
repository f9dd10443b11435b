// Anthropic's Message Batches as costwise uses them: create, poll, read the results (through the
// provider's base URL, not its results_url: the base URL is what costwise is configured to trust).
import { toMessagesRequestBody } from '../../wire/anthropic/request-body.js';
import { parseMessage } from '../../wire/anthropic/response.js';
import { parseAnthropicError } from '../../wire/anthropic/errors.js';
import { storeError } from '../errors.js';
import { jsonLines, sendJson, sendText } from './http.js';
import type { NativeBatchClient, NativeResult } from './types.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Anthropic's error types → HTTP status (a batch result line carries the type only). */
const STATUS_BY_TYPE: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

function resultOf(line: unknown, provider: string): NativeResult | null {
  if (!isObj(line) || typeof line.custom_id !== 'string' || !isObj(line.result)) return null;
  const customId = line.custom_id;
  const r = line.result;
  switch (r.type) {
    case 'succeeded':
      try {
        return { customId, outcome: { type: 'succeeded', response: parseMessage(r.message, { provider }) } };
      } catch (e) {
        return { customId, outcome: { type: 'errored', error: storeError(e) } };
      }
    case 'expired':
    case 'canceled':
      return { customId, outcome: { type: r.type } };
    default: {
      const body = r.error;
      const inner = isObj(body) && isObj(body.error) ? body.error : body;
      const type = isObj(inner) && typeof inner.type === 'string' ? inner.type : 'api_error';
      return { customId, outcome: { type: 'errored', error: storeError(parseAnthropicError(STATUS_BY_TYPE[type] ?? 500, body, {}, provider)) } };
    }
  }
}

export const anthropicBatchClient: NativeBatchClient = {
  toUpstreamBody: (request, upstreamModel, warnings) => toMessagesRequestBody(request, upstreamModel, warnings, { stream: false }),

  async create(provider, items, options) {
    const b = await sendJson({
      provider,
      method: 'POST',
      endpoint: 'messages/batches',
      contentType: 'application/json',
      headers: options.forwardHeaders,
      body: JSON.stringify({ requests: items.map((i) => ({ custom_id: i.customId, params: i.body })) }),
    });
    return String(b.id);
  },

  // Message batches carry no metadata: the batch a lost create made is the one created since
  // then, with as many requests, that costwise does not know yet. Two such batches → none is
  // adopted (and the items are submitted again) rather than a wrong one.
  async find(provider, q) {
    const list = await sendJson({ provider, method: 'GET', endpoint: 'messages/batches?limit=100' });
    const data = Array.isArray(list.data) ? list.data.filter(isObj) : [];
    const matches = data.filter((b) => {
      if (typeof b.id !== 'string' || q.known.has(b.id)) return false;
      const created = typeof b.created_at === 'string' ? Date.parse(b.created_at) : NaN;
      const c = isObj(b.request_counts) ? b.request_counts : {};
      const total = ['processing', 'succeeded', 'errored', 'canceled', 'expired'].reduce((s, k) => s + (typeof c[k] === 'number' ? c[k] : 0), 0);
      return created >= q.createdAfterMs - 5_000 && total === q.items;
    });
    return matches.length === 1 ? String(matches[0]!.id) : null;
  },

  async poll(provider, upstreamId) {
    const b = await sendJson({ provider, method: 'GET', endpoint: `messages/batches/${encodeURIComponent(upstreamId)}` });
    const status = String(b.processing_status);
    if (status !== 'ended') return { ended: false, status };
    const text = await sendText({ provider, method: 'GET', endpoint: `messages/batches/${encodeURIComponent(upstreamId)}/results` });
    const results = jsonLines(text)
      .map((l) => resultOf(l, provider.name))
      .filter((r): r is NativeResult => r !== null);
    return { ended: true, status, results };
  },

  async cancel(provider, upstreamId) {
    await sendJson({
      provider,
      method: 'POST',
      endpoint: `messages/batches/${encodeURIComponent(upstreamId)}/cancel`,
      contentType: 'application/json',
      body: '{}',
    });
  },
};
