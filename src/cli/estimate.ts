// `costwise estimate`: what a prompt costs on every model in the catalog.
import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import { emptyRequest, ZERO_USAGE, type CanonicalRequest } from '../core/canonical.js';
import { GatewayError } from '../core/errors.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { resolvePricing } from '../cost/prices.js';
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

const DEFAULT_OUTPUT_CAP = 500;

function looksAnthropic(body: Record<string, unknown>): boolean {
  if ('system' in body || 'stop_sequences' in body || 'top_k' in body) return true;
  const messages = Array.isArray(body['messages']) ? body['messages'] : [];
  return messages.some(
    (m) =>
      Array.isArray((m as { content?: unknown }).content) &&
      ((m as { content: Array<{ type?: string }> }).content).some((b) => b?.type === 'tool_use' || b?.type === 'tool_result' || b?.type === 'image'),
  );
}

export function requestFromInput(text: string): CanonicalRequest {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(trimmed) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`the file starts with "{" but is not valid JSON: ${(err as Error).message}`);
    }
    const withModel = { model: 'estimate', ...body };
    try {
      return looksAnthropic(withModel)
        ? parseMessagesRequest({ max_tokens: 1024, ...withModel })
        : parseChatRequest(withModel);
    } catch (err) {
      if (err instanceof GatewayError) throw new Error(`request body: ${err.param ? err.param + ': ' : ''}${err.message}`);
      throw err;
    }
  }
  return { ...emptyRequest('openai'), model: 'estimate', messages: [{ role: 'user', content: [{ type: 'text', text }] }] };
}

export function estimateAll(request: CanonicalRequest, configFile: string | undefined, outputTokens: number | undefined): EstimateRow[] {
  const { config } = loadConfig(configFile);
  const providers = new Map(config.providers.map((p) => [p.name, p]));
  const output = outputTokens ?? Math.min(request.maxTokens ?? DEFAULT_OUTPUT_CAP, DEFAULT_OUTPUT_CAP);
  const rows: Array<EstimateRow & { pico: number }> = [];
  for (const m of config.models) {
    if (m.kind !== 'chat') continue;
    const provider = providers.get(m.provider)!;
    const upstream = m.upstreamModel ?? m.name;
    const pricing = resolvePricing(provider.kind, upstream, m.pricing)!;
    const input = countCanonicalInputTokens(request, upstream);
    const pico = costPico({ ...ZERO_USAGE, inputTokens: input, outputTokens: output }, pricing);
    rows.push({
      model: m.name,
      provider: provider.kind,
      tier: m.tier ?? null,
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

export async function runEstimate(file: string, opts: { outputTokens?: number; config?: string; format: string }): Promise<void> {
  if (opts.format !== 'table' && opts.format !== 'json') {
    process.stderr.write(`costwise estimate: --format must be table or json, got "${opts.format}"\n`);
    process.exit(2);
  }
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    process.stderr.write(`costwise estimate: cannot read ${file}: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let rows: EstimateRow[];
  try {
    rows = estimateAll(requestFromInput(text), opts.config, opts.outputTokens);
  } catch (err) {
    const msg = err instanceof ConfigError ? err.message : `${file}: ${(err as Error).message}`;
    process.stderr.write(`costwise estimate: ${msg}\n`);
    process.exit(2);
  }
  if (opts.format === 'json') {
    process.stdout.write(JSON.stringify({ models: rows }) + '\n');
    return;
  }
  const table = new Table({ head: ['model', 'provider', 'tier', 'input tok', 'output tok', 'cost (USD)', 'vs cheapest'], colAligns: ['left', 'left', 'left', 'right', 'right', 'right', 'right'] });
  const cheapest = Number(rows[0]?.cost_usd ?? 0);
  for (const r of rows) {
    const ratio = cheapest > 0 ? `${(Number(r.cost_usd) / cheapest).toFixed(1)}×` : '-';
    table.push([r.model, r.provider, r.tier ?? '', `${r.input_tokens}${r.estimated_tokens ? '*' : ''}`, r.output_tokens, r.cost_usd, ratio]);
  }
  process.stdout.write(table.toString() + '\n');
  process.stdout.write('* estimated with an OpenAI tokenizer: the provider\'s own tokenizer is not public.\n');
}
