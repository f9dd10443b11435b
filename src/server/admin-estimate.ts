// POST /api/estimate: what a prompt costs on every chat model of the catalog, cheapest first (the
// endpoint behind the dashboard's estimator; `costwise estimate` does the same from a file).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { formatUsd } from '../cost/money.js';
import { costPico } from '../cost/calculate.js';
import { ZERO_USAGE } from '../core/canonical.js';
import { countCanonicalInputTokens } from '../tokens/count.js';
import { requestFromInput } from '../cli/estimate.js';
import { formatPath } from '../config/load.js';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';
import { parseJsonBody, readBody } from './body.js';
import { ParamError } from './admin-dashboard-params.js';

const estimateSchema = z.strictObject({
  /** Plain text (one user message), or an OpenAI / Anthropic request body as JSON text. */
  prompt: z.string().min(1).max(2_000_000),
  output_tokens: z.number().int().min(0).max(1_000_000).optional(),
});

const DEFAULT_OUTPUT_CAP = 500;

export async function estimate(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  let body: unknown;
  try {
    body = parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes));
  } catch (err) {
    throw new ParamError('body', (err as Error).message);
  }
  const parsed = estimateSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ParamError(issue.path.length ? formatPath(issue.path) : 'body', issue.message);
  }
  let request;
  try {
    request = requestFromInput(parsed.data.prompt);
  } catch (err) {
    throw new ParamError('prompt', (err as Error).message);
  }
  const output = parsed.data.output_tokens ?? Math.min(request.maxTokens ?? DEFAULT_OUTPUT_CAP, DEFAULT_OUTPUT_CAP);
  const rows = deps.catalog.list()
    .filter((d) => d.kind === 'chat')
    .map((d) => {
      const input = countCanonicalInputTokens(request, d.upstreamModel);
      const pico = costPico({ ...ZERO_USAGE, inputTokens: input, outputTokens: output }, d.pricing);
      return { d, input, pico };
    })
    .sort((a, b) => a.pico - b.pico || a.d.name.localeCompare(b.d.name));
  sendJson(res, 200, {
    output_tokens: output,
    models: rows.map(({ d, input, pico }) => ({
      model: d.name,
      provider: d.provider.kind,
      tier: d.tier ?? null,
      input_tokens: input,
      output_tokens: output,
      cost_usd: formatUsd(pico),
      // Claude's and Gemini's tokenizers are not public: their counts come from an OpenAI encoding.
      estimated_tokens: !/^(gpt-|o\d|text-embedding)/.test(d.upstreamModel),
    })),
  });
}
