// POST /v1/messages/count_tokens: exact from the upstream where it counts, else our tokenizer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError, toGatewayError } from '../core/errors.js';
import { parseCountTokensRequest } from '../wire/anthropic/request.js';
import { renderAnthropicError } from '../wire/anthropic/errors.js';
import { countCanonicalInputTokens } from '../tokens/count.js';
import type { AppDeps } from './deps.js';
import { parseJsonBody } from '../core/json-body.js';
import { readBody } from './body.js';
import { forwardHeadersFrom } from './caller.js';
import { newRequestId } from './ids.js';
import { sendJson } from './respond.js';

export async function handleCountTokens(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  const requestId = newRequestId();
  try {
    const request = parseCountTokensRequest(parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes)));
    const deployment = deps.catalog.get(request.model);
    if (!deployment || deployment.kind !== 'chat') {
      throw new GatewayError({ kind: 'not_found', message: `model: ${request.model}`, param: 'model' });
    }
    const adapter = deps.adapters.forKind(deployment.provider.kind);
    let inputTokens: number;
    let method: 'upstream' | 'estimate' = 'estimate';
    if (adapter.countTokens && deployment.provider.kind === 'anthropic') {
      inputTokens = await adapter.countTokens(deployment.target, request, {
        forwardHeaders: forwardHeadersFrom(req.headers),
      });
      method = 'upstream';
    } else {
      inputTokens = countCanonicalInputTokens(request, deployment.upstreamModel);
    }
    sendJson(
      res,
      200,
      { input_tokens: inputTokens },
      {
        'request-id': requestId,
        'x-costwise-request-id': requestId,
        'x-costwise-model': deployment.name,
        'x-costwise-count-method': method,
      },
    );
  } catch (e) {
    const err = toGatewayError(e);
    const { status, body } = renderAnthropicError(err, requestId);
    sendJson(res, status, body, { 'request-id': requestId, 'x-costwise-request-id': requestId });
  }
}
