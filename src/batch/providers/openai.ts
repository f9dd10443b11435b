// OpenAI's Batch API as costwise uses it: upload the JSONL (multipart, purpose=batch), create the
// batch with costwise's id in its metadata, poll it, and read its output and error files.
import { randomBytes } from 'node:crypto';
import { toChatRequestBody } from '../../wire/openai/request.js';
import { parseChatCompletion } from '../../wire/openai/response.js';
import { parseOpenAIError } from '../../wire/openai/errors.js';
import { storeError } from '../errors.js';
import { jsonLines, sendJson, sendText } from './http.js';
import type { NativeBatchClient, NativeResult } from './types.js';

const ENDPOINT = '/v1/chat/completions';
const ENDED = new Set(['completed', 'failed', 'expired', 'cancelled']);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function multipart(filename: string, content: string): { body: string; contentType: string } {
  const boundary = `costwise-${randomBytes(12).toString('hex')}`;
  const body =
    `--${boundary}\r\ncontent-disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="${filename}"\r\ncontent-type: application/jsonl\r\n\r\n${content}\r\n` +
    `--${boundary}--\r\n`;
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

function resultOf(line: unknown, provider: string): NativeResult | null {
  if (!isObj(line) || typeof line.custom_id !== 'string') return null;
  const customId = line.custom_id;
  const err = line.error;
  if (isObj(err) && err.code === 'batch_expired') return { customId, outcome: { type: 'expired' } };
  const response = line.response;
  if (isObj(response) && response.status_code === 200) {
    try {
      return { customId, outcome: { type: 'succeeded', response: parseChatCompletion(response.body, provider) } };
    } catch (e) {
      return { customId, outcome: { type: 'errored', error: storeError(e) } };
    }
  }
  if (isObj(response) && typeof response.status_code === 'number') {
    return { customId, outcome: { type: 'errored', error: storeError(parseOpenAIError(response.status_code, response.body, {}, provider)) } };
  }
  const message = isObj(err) && typeof err.message === 'string' ? err.message : 'the provider returned no result for this request';
  return {
    customId,
    outcome: {
      type: 'errored',
      error: { status: 500, kind: 'upstream_error', message, param: null, code: isObj(err) && typeof err.code === 'string' ? err.code : null },
    },
  };
}

export const openAIBatchClient: NativeBatchClient = {
  toUpstreamBody: (request, upstreamModel, warnings) => toChatRequestBody(request, upstreamModel, warnings, { stream: false }),

  async create(provider, items, options) {
    const jsonl = items.map((i) => JSON.stringify({ custom_id: i.customId, method: 'POST', url: ENDPOINT, body: i.body })).join('\n') + '\n';
    const form = multipart(`${options.tag}.jsonl`, jsonl);
    const file = await sendJson({
      provider,
      method: 'POST',
      endpoint: 'files',
      body: form.body,
      contentType: form.contentType,
      headers: options.forwardHeaders,
    });
    const batch = await sendJson({
      provider,
      method: 'POST',
      endpoint: 'batches',
      contentType: 'application/json',
      headers: options.forwardHeaders,
      body: JSON.stringify({ input_file_id: file.id, endpoint: ENDPOINT, completion_window: '24h', metadata: { costwise_batch: options.tag } }),
    });
    return String(batch.id);
  },

  async find(provider, q) {
    const list = await sendJson({ provider, method: 'GET', endpoint: 'batches?limit=100' });
    const data: unknown[] = Array.isArray(list.data) ? list.data : [];
    const hit = data.find((b) => isObj(b) && isObj(b.metadata) && b.metadata.costwise_batch === q.tag);
    return isObj(hit) && typeof hit.id === 'string' ? hit.id : null;
  },

  async poll(provider, upstreamId) {
    const b = await sendJson({ provider, method: 'GET', endpoint: `batches/${encodeURIComponent(upstreamId)}` });
    const status = String(b.status);
    if (!ENDED.has(status)) return { ended: false, status };
    const results: NativeResult[] = [];
    for (const fileId of [b.output_file_id, b.error_file_id]) {
      if (typeof fileId !== 'string') continue;
      const text = await sendText({ provider, method: 'GET', endpoint: `files/${encodeURIComponent(fileId)}/content` });
      for (const line of jsonLines(text)) {
        const r = resultOf(line, provider.name);
        if (r) results.push(r);
      }
    }
    const errors = isObj(b.errors) && Array.isArray(b.errors.data) ? b.errors.data : [];
    const first = errors.find(isObj);
    if (status === 'failed') {
      const message = first && typeof first.message === 'string' ? first.message : 'the provider failed the batch';
      return {
        ended: true,
        status,
        results,
        failure: { status: 502, kind: 'upstream_error', message: `provider batch failed: ${message}`, param: null, code: null },
      };
    }
    return { ended: true, status, results };
  },

  async cancel(provider, upstreamId) {
    await sendJson({ provider, method: 'POST', endpoint: `batches/${encodeURIComponent(upstreamId)}/cancel`, contentType: 'application/json', body: '{}' });
  },
};
