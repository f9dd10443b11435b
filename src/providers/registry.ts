// Adapters registered by provider kind; OpenAI-compatible and Azure OpenAI upstreams reuse the OpenAI adapter.
import type { ProviderAdapter, ProviderKind } from './types.js';
import { createOpenAIAdapter } from './openai.js';
import { createAnthropicAdapter } from './anthropic.js';
import { createGeminiAdapter, type GeminiAdapterOptions } from './gemini.js';
import { createBedrockAdapter } from './bedrock.js';
import { createVertexAdapter } from './vertex.js';

export interface AdapterRegistry {
  forKind(kind: ProviderKind): ProviderAdapter;
  close(): Promise<void>;
}

/** `gemini.contextCaches`: Gemini explicit context caching (src/promptcache/gemini builds them). */
export function createAdapterRegistry(options: { gemini?: GeminiAdapterOptions } = {}): AdapterRegistry {
  const openai = createOpenAIAdapter();
  const byKind: Record<ProviderKind, ProviderAdapter> = {
    openai,
    'openai-compatible': openai,
    anthropic: createAnthropicAdapter(),
    gemini: createGeminiAdapter(options.gemini),
    'azure-openai': openai,
    bedrock: createBedrockAdapter(),
    vertex: createVertexAdapter(),
  };
  return {
    forKind: (kind) => byKind[kind],
    close: async () => {
      await Promise.all([byKind.openai.close(), byKind.anthropic.close(), byKind.gemini.close(), byKind.bedrock.close(), byKind.vertex.close()]);
    },
  };
}
