// The Anthropic Messages wire format ⇄ canonical types. Pure functions, no I/O.
export { parseCountTokensRequest, parseMessagesRequest } from './request.js';
export { DEFAULT_MAX_TOKENS, toCountTokensRequestBody, toMessagesRequestBody, type MessagesBodyOptions } from './request-body.js';
export { parseMessage, renderMessage, type ParseMessageOptions } from './response.js';
export { AnthropicStreamWriter, anthropicEventsToCanonical, errorFrame } from './stream.js';
export type { AnthropicEventsOptions, AnthropicStreamWriterOptions } from './stream.js';
export { parseAnthropicError, parseAnthropicStreamError, renderAnthropicError } from './errors.js';
