// Canonical embeddings ⇄ Gemini `batchEmbedContents`.
import type { EmbeddingRequest, EmbeddingResponse } from '../../core/canonical.js';
import { GatewayError } from '../../core/errors.js';

/** `gemini-embedding-001` or `models/gemini-embedding-001` → `models/gemini-embedding-001`. */
export function modelResource(upstreamModel: string): string {
  return upstreamModel.startsWith('models/') ? upstreamModel : `models/${upstreamModel}`;
}

/**
 * One request per input. `dimensions` → `outputDimensionality`. `encodingFormat` is not an
 * upstream concern (the caller's wire encodes floats to base64 itself); `user` has no Gemini
 * field and is not sent (the embed path has no warnings channel).
 */
export function toBatchEmbedBody(req: EmbeddingRequest, upstreamModel: string): Record<string, unknown> {
  const model = modelResource(upstreamModel);
  return {
    requests: req.input.map((text) => ({
      model,
      content: { parts: [{ text }] },
      ...(req.dimensions !== undefined ? { outputDimensionality: req.dimensions } : {}),
    })),
  };
}

/**
 * `{embeddings:[{values:[…]}]}` → canonical. Gemini's embed responses carry NO usage, so the
 * caller passes the input token count it computed (an estimate), and the model name to report.
 */
export function parseBatchEmbedResponse(body: unknown, inputTokens: number, model: string): EmbeddingResponse {
  const list = typeof body === 'object' && body !== null ? (body as { embeddings?: unknown }).embeddings : undefined;
  if (!Array.isArray(list)) throw malformed('embeddings is not an array');
  const embeddings = list.map((item, i) => {
    const values = typeof item === 'object' && item !== null ? (item as { values?: unknown }).values : undefined;
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'number')) {
      throw malformed(`embeddings[${i}].values is not an array of numbers`);
    }
    return values;
  });
  return { model, embeddings, usage: { inputTokens } };
}

function malformed(what: string): GatewayError {
  return new GatewayError({ kind: 'upstream_error', message: `malformed gemini embedding response: ${what}` });
}
