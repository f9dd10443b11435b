// The wire formats callers speak to costwise, each as one descriptor: parse in, render out.
import type { CanonicalRequest, CanonicalResponse, StreamEvent, WireFormat } from '../core/canonical.js';
import type { GatewayError } from '../core/errors.js';
import { parseChatRequest } from './openai/request.js';
import { renderChatCompletion, renderChatCompletionJson } from './openai/response.js';
import { OpenAIStreamWriter, errorFrame as openAIErrorFrame } from './openai/stream.js';
import { renderOpenAIError } from './openai/errors.js';
import { parseMessagesRequest } from './anthropic/request.js';
import { renderMessage } from './anthropic/response.js';
import { AnthropicStreamWriter, errorFrame as anthropicErrorFrame } from './anthropic/stream.js';
import { renderAnthropicError } from './anthropic/errors.js';

export interface StreamWriter {
  write(event: StreamEvent): string;
  end(): string;
}

export interface IngressFormat {
  readonly format: WireFormat;
  parse(body: unknown): CanonicalRequest;
  render(response: CanonicalResponse, publicModel: string, requestId: string): Record<string, unknown>;
  /** `JSON.stringify(render(…))`, the way the hot path wants it. */
  renderJson(response: CanonicalResponse, publicModel: string, requestId: string): string;
  streamWriter(opts: { publicModel: string; requestId: string; includeUsage: boolean }): StreamWriter;
  renderError(err: GatewayError, requestId: string): { status: number; body: Record<string, unknown> };
  errorFrame(err: GatewayError, requestId: string): string;
}

export const openAIIngress: IngressFormat = {
  format: 'openai',
  parse: parseChatRequest,
  render: renderChatCompletion,
  renderJson: renderChatCompletionJson,
  streamWriter: (opts) => new OpenAIStreamWriter(opts),
  renderError: (err) => renderOpenAIError(err),
  errorFrame: (err) => openAIErrorFrame(err),
};

export const anthropicIngress: IngressFormat = {
  format: 'anthropic',
  parse: parseMessagesRequest,
  render: renderMessage,
  renderJson: (response, publicModel, requestId) => JSON.stringify(renderMessage(response, publicModel, requestId)),
  streamWriter: (opts) => new AnthropicStreamWriter(opts),
  renderError: (err, requestId) => renderAnthropicError(err, requestId),
  errorFrame: (err, requestId) => anthropicErrorFrame(err, requestId),
};

/** The descriptor of a caller's wire format (Gemini is spoken to upstreams only). */
export function ingressFor(format: WireFormat): IngressFormat {
  if (format === 'openai') return openAIIngress;
  if (format === 'anthropic') return anthropicIngress;
  throw new Error(`costwise: callers cannot speak the ${format} format`);
}
