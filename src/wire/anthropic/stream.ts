// Anthropic streaming, both directions.
export { AnthropicStreamWriter, errorFrame, type AnthropicStreamWriterOptions } from './stream-writer.js';
export { anthropicEventsToCanonical, type AnthropicEventsOptions } from './stream-reader.js';
