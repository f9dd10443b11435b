// Azure OpenAI: the OpenAI wire format under deployment-name URLs, with its own auth header and
// content-filter refusals. Only what differs from OpenAI lives here.
import { GatewayError } from '../core/errors.js';
import { parseOpenAIError } from '../wire/openai/errors.js';
import type { ProviderConfig, UpstreamTarget } from './types.js';

/** `/openai/deployments/{deployment}/chat/completions?api-version=…` below the resource URL. */
export function azurePath(target: UpstreamTarget, endpoint: string): string {
  const deployment = encodeURIComponent(target.deployment ?? target.upstreamModel);
  return `/openai/deployments/${deployment}/${endpoint}?api-version=${encodeURIComponent(target.provider.apiVersion ?? '')}`;
}

/** An Entra ID bearer token when configured, else the resource key in `api-key`. */
export function azureAuthHeaders(provider: ProviderConfig, headers: Record<string, string>): void {
  delete headers.authorization;
  if (provider.entraToken) headers.authorization = `Bearer ${provider.entraToken}`;
  else if (provider.apiKey) headers['api-key'] = provider.apiKey;
}

/**
 * OpenAI's error shape, except that a prompt refused by Azure's content filter (400
 * `content_filter`) says so and names the categories that tripped, so the caller knows to change
 * the prompt rather than retry.
 */
export function parseAzureError(status: number, body: unknown, headers: Record<string, string>, provider: string): GatewayError {
  const err = parseOpenAIError(status, body, headers, provider);
  if (err.code !== 'content_filter') return err;
  const categories = filteredCategories(body);
  return new GatewayError({
    kind: 'invalid_request',
    status: 400,
    message: `the prompt was blocked by the content filter of Azure OpenAI provider ${provider}${categories.length ? ` (${categories.join(', ')})` : ''}: ${err.message}`,
    param: 'messages',
    code: 'content_filter',
    retryable: false,
    provider,
    ...(err.upstreamRequestId !== undefined ? { upstreamRequestId: err.upstreamRequestId } : {}),
  });
}

/** `innererror.content_filter_result`: the categories marked `filtered: true`. */
function filteredCategories(body: unknown): string[] {
  const inner = (body as { error?: { innererror?: { content_filter_result?: unknown } } } | null)?.error?.innererror?.content_filter_result;
  if (typeof inner !== 'object' || inner === null) return [];
  return Object.entries(inner)
    .filter(([, v]) => (v as { filtered?: unknown } | null)?.filtered === true)
    .map(([k]) => k);
}
