// Adapters registered by provider kind; OpenAI-compatible upstreams reuse the OpenAI adapter.
import type { ProviderAdapter, ProviderKind } from './types.js';
import { createOpenAIAdapter } from './openai.js';
import { createAnthropicAdapter } from './anthropic.js';
import { createGeminiAdapter, type GeminiAdapterOptions } from './gemini.js';

export interface AdapterRegistry {
  forKind(kind: ProviderKind): ProviderAdapter;
  close(): Promise<void>;
}

/** `gemini`: context-cache pricing and the storage charges to bill (see src/promptcache/gemini). */
export function createAdapterRegistry(options: { gemini?: GeminiAdapterOptions } = {}): AdapterRegistry {
  const openai = createOpenAIAdapter();
  const byKind: Record<ProviderKind, ProviderAdapter> = {
    openai,
    'openai-compatible': openai,
    anthropic: createAnthropicAdapter(),
    gemini: createGeminiAdapter(options.gemini),
  };
  return {
    forKind: (kind) => byKind[kind],
    close: async () => {
      await Promise.all([byKind.openai.close(), byKind.anthropic.close(), byKind.gemini.close()]);
    },
  };
}
