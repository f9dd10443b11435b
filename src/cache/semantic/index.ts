// Public surface of the semantic cache core. Everything else in this folder is internal.
export type { Embedder, EmbeddingsApiFn, ApiEmbedderOptions, LocalModelEmbedderOptions, EmbedderSpec } from './embedder.js';
export { createApiEmbedder, createLocalModelEmbedder, EmbedderError } from './embedder.js';
export { createBuiltinEmbedder, BuiltinEmbedder, loadEmbedderModel, defaultEmbedderModelPath, type EmbedderModel } from './builtin-embedder.js';
export { NamespacedVectorIndex, INVERTED_FROM, type VectorIndexOptions, type VectorHit, type IndexMemory } from './vector-index.js';
export { verify, createVerifier, DEFAULT_VERIFIER_RULE, type Verifier, type VerifierRule, type VerifyResult } from './verifier.js';
export { SemanticMatcher, DEFAULT_SIMILARITY_THRESHOLD, DEFAULT_CANDIDATES, type MatcherOptions, type LookupResult, type CandidateReport } from './matcher.js';
export { evaluatePairs, parsePairs, splitOf, type EvalReport, type CurvePoint, type LabelledPair, type Split } from './evaluate.js';
