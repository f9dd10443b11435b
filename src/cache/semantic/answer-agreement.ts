// Does a fresh upstream answer agree with the cached one? Used by online verification to tell a
// right semantic hit from a wrong one. In order: equal after normalising case, punctuation and
// whitespace; else, when both state a short final answer (a choice letter, a number, yes/no), those
// must be equal; else the two answers' embeddings must be at least `minSimilarity` apart.
import { extractChoice, extractNumber } from '../../routing/cascade/extract.js';
import type { BuiltinEmbedder } from './builtin-embedder.js';

export interface AgreementOptions {
  readonly embedder: BuiltinEmbedder;
  /** Cosine similarity of two long answers that counts as the same answer (default 0.9). */
  readonly minSimilarity?: number;
}

export type Agreement = { readonly agree: boolean; readonly by: 'normalised' | 'extracted' | 'embedding' };

export function normaliseAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

const YES_NO = /^(yes|no)\b/i;
/** Past this length the last number of an answer is rarely its answer (a worked explanation). */
const MAX_NUMBER_ANSWER_CHARS = 400;

/**
 * A short final answer stated in the text: a choice letter or final number as the cascade's
 * checks extract them (routing/cascade/extract.ts), or a leading yes/no.
 */
export function extractAnswer(text: string): string | undefined {
  const choice = extractChoice(text);
  if (choice !== undefined) return 'choice:' + choice.toLowerCase();
  const yn = YES_NO.exec(text.trim());
  if (yn) return 'yn:' + yn[1]!.toLowerCase();
  if (text.length >= MAX_NUMBER_ANSWER_CHARS) return undefined;
  const num = extractNumber(text);
  return num === undefined ? undefined : 'num:' + num;
}

export function answersAgree(cached: string, fresh: string, opts: AgreementOptions): Agreement {
  if (normaliseAnswer(cached) === normaliseAnswer(fresh)) return { agree: true, by: 'normalised' };
  const a = extractAnswer(cached);
  const b = extractAnswer(fresh);
  if (a !== undefined && b !== undefined) return { agree: a === b, by: 'extracted' };
  const va = opts.embedder.embedSync(cached);
  const vb = opts.embedder.embedSync(fresh);
  let dot = 0;
  for (let i = 0; i < va.length; i++) dot += va[i]! * vb[i]!;
  return { agree: dot >= (opts.minSimilarity ?? 0.9), by: 'embedding' };
}
