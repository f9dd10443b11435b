// The embedded default: a catalog of emulated models at real list prices, served by the
// in-process emulator, so `npm start` works with no keys and no network.
import type { ConfigInput } from './schema.js';

const claude = { contextWindow: 200_000, tools: true, vision: true };
const gpt41 = { contextWindow: 1_047_576, tools: true, vision: true };
const gemini = { contextWindow: 1_048_576, tools: true, vision: true };

export const DEFAULT_CONFIG: ConfigInput = {
  routing: {
    routers: {
      // `model: "router/learned"`: the shipped learned router (trained on RouteLLM's MMLU outcomes)
      // choosing between the cheap and the strong model it learned about.
      learned: {
        kind: 'learned',
        model: 'default',
        candidates: { 'mistralai/Mixtral-8x7B-Instruct-v0.1': 'claude-haiku-4-5', 'gpt-4-1106-preview': 'claude-sonnet-4-5' },
      },
      // `model: "router/cascade"`: Haiku first; Sonnet only when Haiku's answer was cut off or refused.
      cascade: { kind: 'cascade', steps: ['claude-haiku-4-5', 'claude-sonnet-4-5'], checks: [{ kind: 'truncation' }, { kind: 'refusal' }] },
    },
  },
  providers: [
    { name: 'openai', kind: 'openai', baseUrl: 'emulator', apiKey: 'emulated' },
    { name: 'anthropic', kind: 'anthropic', baseUrl: 'emulator', apiKey: 'emulated' },
    { name: 'gemini', kind: 'gemini', baseUrl: 'emulator', apiKey: 'emulated' },
  ],
  models: [
    { name: 'claude-haiku-4-5', provider: 'anthropic', tier: 'cheap', capabilities: { ...claude, maxOutputTokens: 64_000 } },
    { name: 'claude-sonnet-4-5', provider: 'anthropic', tier: 'mid', capabilities: { ...claude, maxOutputTokens: 64_000 } },
    { name: 'claude-opus-4-5', provider: 'anthropic', tier: 'frontier', capabilities: { ...claude, maxOutputTokens: 64_000 } },
    { name: 'gpt-4.1-nano', provider: 'openai', tier: 'cheap', capabilities: { ...gpt41, maxOutputTokens: 32_768 } },
    { name: 'gpt-4.1-mini', provider: 'openai', tier: 'mid', capabilities: { ...gpt41, maxOutputTokens: 32_768 } },
    { name: 'gpt-4.1', provider: 'openai', tier: 'frontier', capabilities: { ...gpt41, maxOutputTokens: 32_768 } },
    { name: 'gpt-4o-mini', provider: 'openai', tier: 'cheap', capabilities: { contextWindow: 128_000, maxOutputTokens: 16_384, tools: true, vision: true } },
    { name: 'gemini-2.5-flash', provider: 'gemini', tier: 'cheap', capabilities: { ...gemini, maxOutputTokens: 65_536 } },
    { name: 'gemini-2.5-pro', provider: 'gemini', tier: 'frontier', capabilities: { ...gemini, maxOutputTokens: 65_536 } },
    { name: 'text-embedding-3-small', provider: 'openai', kind: 'embedding', capabilities: { contextWindow: 8191, tools: false, vision: false } },
    { name: 'text-embedding-3-large', provider: 'openai', kind: 'embedding', capabilities: { contextWindow: 8191, tools: false, vision: false } },
  ],
};
