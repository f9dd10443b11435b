// The second stage of a semantic lookup: reject a near neighbour whose decisive details differ.
//
// Decision rule (documented in models/README.md, tuned on the QQP tuning split only):
//   reject if numbers differ, a name / acronym of one text is absent from the other, negation parity
//   differs, a comparison picks a different member of an exclusive group (best/worst, more/less, ...),
//   or the question family differs (who | what/which/how | when | where | why | yes-no);
//   otherwise accept iff contentOverlap >= minOverlap and unmatchedMax <= maxUnmatchedIdf.
// Quantifier and person (my/your) differences are reported but do not reject by default: on the
// tuning split rejecting them cost recall without raising precision.
import { createBuiltinEmbedder, type IdfTable } from './builtin-embedder.js';
import { pairFeatures, type PairFeatures } from './verifier-features.js';

export interface VerifyResult {
  readonly accept: boolean;
  /** Weighted content overlap in [0, 1] (1 = same informative words). */
  readonly score: number;
  /** Why the pair was rejected (empty when accepted). */
  readonly reasons: string[];
}

export interface VerifierRule {
  readonly minOverlap: number;
  readonly maxUnmatchedIdf: number;
  readonly reject: {
    readonly numbers: boolean;
    readonly entities: boolean;
    readonly negation: boolean;
    readonly comparison: boolean;
    readonly questionType: boolean;
    readonly quantifiers: boolean;
    readonly person: boolean;
  };
}

/** Tuned on the QQP tuning split (rows whose FNV-1a(a + "\n" + b) is even); see models/README.md. */
export const DEFAULT_VERIFIER_RULE: VerifierRule = {
  minOverlap: 0.7,
  maxUnmatchedIdf: 4.0,
  reject: { numbers: true, entities: true, negation: true, comparison: true, questionType: true, quantifiers: false, person: false },
};

export interface Verifier {
  verify(query: string, candidate: string): VerifyResult;
}

export interface VerifierOptions {
  /** IDF of word stems (default: the built-in embedder's table). */
  readonly idf?: IdfTable;
  readonly rule?: Partial<Omit<VerifierRule, 'reject'>> & { readonly reject?: Partial<VerifierRule['reject']> };
}

export function decide(f: PairFeatures, rule: VerifierRule): VerifyResult {
  const reasons: string[] = [];
  if (rule.reject.numbers && f.numbers.length) reasons.push(`numbers differ: ${f.numbers.join(', ')}`);
  if (rule.reject.entities && f.entities.length) reasons.push(`names differ: ${f.entities.join(', ')}`);
  if (rule.reject.negation && f.negationDiffers) reasons.push('negation differs');
  if (rule.reject.comparison && f.comparisons.length) reasons.push(`comparison differs: ${f.comparisons.join(', ')}`);
  if (rule.reject.questionType && f.questionType) reasons.push(`question type differs: ${f.questionType}`);
  if (rule.reject.quantifiers && f.quantifiers.length) reasons.push(`quantifiers differ: ${f.quantifiers.join(', ')}`);
  if (rule.reject.person && f.personDiffers) reasons.push('person differs (my/your)');
  if (f.contentOverlap < rule.minOverlap) reasons.push(`content overlap ${f.contentOverlap.toFixed(2)} < ${rule.minOverlap}`);
  if (f.unmatchedMax > rule.maxUnmatchedIdf) reasons.push(`an informative word is unmatched (idf ${f.unmatchedMax.toFixed(1)} > ${rule.maxUnmatchedIdf})`);
  return { accept: reasons.length === 0, score: f.contentOverlap, reasons };
}

export function createVerifier(opts: VerifierOptions = {}): Verifier {
  const idf = opts.idf ?? createBuiltinEmbedder().idf;
  const rule: VerifierRule = {
    minOverlap: opts.rule?.minOverlap ?? DEFAULT_VERIFIER_RULE.minOverlap,
    maxUnmatchedIdf: opts.rule?.maxUnmatchedIdf ?? DEFAULT_VERIFIER_RULE.maxUnmatchedIdf,
    reject: { ...DEFAULT_VERIFIER_RULE.reject, ...opts.rule?.reject },
  };
  return { verify: (query, candidate) => decide(pairFeatures(query, candidate, idf), rule) };
}

let defaultVerifier: Verifier | undefined;

/** Verify with the default rule and the built-in IDF table. */
export function verify(query: string, candidate: string): VerifyResult {
  defaultVerifier ??= createVerifier();
  return defaultVerifier.verify(query, candidate);
}
