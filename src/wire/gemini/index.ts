// Public surface of the Gemini wire format (egress: the gateway calling Gemini upstreams).
export { toGenerateContentBody, toSystemInstruction, type GenerateContentOptions } from './request.js';
export { toGeminiContents, type ContentsOptions } from './contents.js';
export { parseGenerateContentResponse } from './response.js';
export { geminiChunksToEvents } from './stream.js';
export { parseGeminiError } from './errors.js';
export { toBatchEmbedBody, parseBatchEmbedResponse, modelResource } from './embeddings.js';
export { toGeminiSchema, type SchemaConversion } from './schema.js';
export { mapFinishReason } from './finish-reason.js';
export { mapUsage } from './usage.js';
