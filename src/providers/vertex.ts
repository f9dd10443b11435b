// Vertex AI: Claude through `rawPredict` / `streamRawPredict` (the Anthropic Messages wire, with
// `anthropic_version` in the body instead of `model`) and Gemini through `generateContent` /
// `streamGenerateContent` under `projects/{p}/locations/{l}/publishers/{publisher}/models/{m}`.
// Both reuse their direct adapters; only the endpoint and the service-account auth differ. The
// publisher follows from the model id (`claude-…` is Anthropic's).
import type { ProviderAdapter, UpstreamTarget } from './types.js';
import { createAnthropicAdapter, type AnthropicEndpoint } from './anthropic.js';
import { createGeminiAdapter, type GeminiEndpoint } from './gemini.js';
import { regionalProvider, regionOf } from './cloud-endpoint.js';
import { googleAuthorization, vertexProject } from './google-auth.js';

/** The `anthropic_version` Vertex requires in the body. */
export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

function modelPath(target: UpstreamTarget, publisher: 'anthropic' | 'google'): string {
  const provider = target.provider;
  return `/v1/projects/${encodeURIComponent(vertexProject(provider))}/locations/${encodeURIComponent(regionOf(target))}/publishers/${publisher}/models/${encodeURIComponent(target.upstreamModel)}`;
}

const claudeEndpoint: AnthropicEndpoint = {
  async resolve(target, stream) {
    const authorization = await googleAuthorization(target.provider);
    return {
      provider: regionalProvider(target),
      path: `${modelPath(target, 'anthropic')}:${stream ? 'streamRawPredict' : 'rawPredict'}`,
      auth: { authorization },
    };
  },
  body({ model: _model, ...rest }) {
    return { anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest };
  },
};

const geminiEndpoint: GeminiEndpoint = {
  async resolve(target, method) {
    const authorization = await googleAuthorization(target.provider);
    return { provider: regionalProvider(target), path: `${modelPath(target, 'google')}:${method}`, auth: { authorization } };
  },
};

export function isVertexClaude(upstreamModel: string): boolean {
  return upstreamModel.startsWith('claude-');
}

export function createVertexAdapter(): ProviderAdapter {
  const claude = createAnthropicAdapter(claudeEndpoint);
  const gemini = createGeminiAdapter({ endpoint: geminiEndpoint });
  const pick = (target: UpstreamTarget): ProviderAdapter => (isVertexClaude(target.upstreamModel) ? claude : gemini);
  return {
    format: 'gemini',
    complete: (target, request, warnings, options) => pick(target).complete(target, request, warnings, options),
    stream: (target, request, warnings, options) => pick(target).stream(target, request, warnings, options),
    close: () => Promise.resolve(),
  };
}
