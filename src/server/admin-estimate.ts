// POST /api/estimate: what a prompt costs on every chat model of the catalog, cheapest first (the
// endpoint behind the dashboard's estimator; `costwise estimate` does the same from a file).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { assumedOutput, estimateOnCatalog, requestFromInput, type EstimateRow } from '../projection/prompt-estimate.js';
import { formatPath } from '../config/load.js';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';
import { parseJsonBody } from '../core/json-body.js';
import { readBody } from './body.js';
import { ParamError } from './admin-dashboard-params.js';
import type { Agrees, Assert, EstimateModel, EstimateRequest, EstimateResponse } from './admin-api.js';

const estimateSchema = z.strictObject({
  /** Plain text (one user message), or an OpenAI / Anthropic request body as JSON text. */
  prompt: z.string().min(1).max(2_000_000),
  output_tokens: z.number().int().min(0).max(1_000_000).optional(),
});

// The body taken and the rows sent are the ones admin-api.ts declares.
type _Body = Assert<Agrees<z.output<typeof estimateSchema>, EstimateRequest>>;
type _Row = Assert<Agrees<EstimateRow, EstimateModel>>;

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
  const models = estimateOnCatalog(request, deps.catalog.list(), parsed.data.output_tokens);
  sendJson(res, 200, { output_tokens: assumedOutput(request, parsed.data.output_tokens), models } satisfies EstimateResponse);
}
