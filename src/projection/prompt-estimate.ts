// What a prompt costs on every chat model of a catalog, cheapest first: `costwise estimate` and the
// dashboard's estimator (POST /api/estimate) share it.
import { emptyRequest, ZERO_USAGE, type CanonicalRequest } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import type { Deployment } from '../config/catalog.js';
import { costPico } from '../cost/calculate.js';
import { formatUsd } from '../cost/money.js';
import { countCanonicalInputTokens } from '../tokens/count.js';
import { parseChatRequest } from '../wire/openai/request.js';
import { parseMessagesRequest } from '../wire/anthropic/request.js';

export interface EstimateRow {
  model: string;
  provider: string;
  tier: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: string;
  /** True when the token count is our tokenizer's estimate (Claude and Gemini tokenizers are not public). */
  estimated_tokens: boolean;
}

function looksAnthropic(body: Record<string, unknown>): boolean {
  if ('system' in body || 'stop_sequences' in body || 'top_k' in body) return true;
  // The body is the user's file: a message or a block may be anything.
  const messages: unknown[] = Array.isArray(body['messages']) ? body['messages'] : [];
  return messages.some((m) => {
    const content = (m as { content?: unknown }).content;
    return (
      Array.isArray(content) &&
      (content as Array<{ type?: unknown } | null>).some((b) => b?.type === 'tool_use' || b?.type === 'tool_result' || b?.type === 'image')
    );
  });
}

export function requestFromInput(text: string): CanonicalRequest {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`the file starts with "{" but is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    const withModel = { model: 'estimate', ...body };
    try {
      return looksAnthropic(withModel) ? parseMessagesRequest({ max_tokens: 1024, ...withModel }) : parseChatRequest(withModel);
    } catch (err) {
      if (err instanceof GatewayError) throw new Error(`request body: ${err.param ? err.param + ': ' : ''}${err.message}`, { cause: err });
      throw err;
    }
  }
  return { ...emptyRequest('openai'), model: 'estimate', messages: [{ role: 'user', content: [{ type: 'text', text }] }] };
}

/** The output assumed when the request sets no max tokens is capped at this. */
export const DEFAULT_OUTPUT_CAP = 500;

/** The output tokens an estimate assumes: given, else the request's max tokens, capped. */
export function assumedOutput(request: CanonicalRequest, outputTokens: number | undefined): number {
  return outputTokens ?? Math.min(request.maxTokens ?? DEFAULT_OUTPUT_CAP, DEFAULT_OUTPUT_CAP);
}

/** What the request costs on each chat model (primary deployments), cheapest first. */
export function estimateOnCatalog(request: CanonicalRequest, models: readonly Deployment[], outputTokens: number | undefined): EstimateRow[] {
  const output = assumedOutput(request, outputTokens);
  const rows: Array<EstimateRow & { pico: number }> = [];
  for (const d of models) {
    if (d.kind !== 'chat') continue;
    const upstream = d.upstreamModel;
    const input = countCanonicalInputTokens(request, upstream);
    const pico = costPico({ ...ZERO_USAGE, inputTokens: input, outputTokens: output }, d.pricing);
    rows.push({
      model: d.name,
      provider: d.provider.kind,
      tier: d.tier ?? null,
      input_tokens: input,
      output_tokens: output,
      cost_usd: formatUsd(pico),
      estimated_tokens: !/^(gpt-|o\d|text-embedding)/.test(upstream),
      pico,
    });
  }
  rows.sort((a, b) => a.pico - b.pico || a.model.localeCompare(b.model));
  return rows.map(({ pico: _pico, ...row }) => row);
}
