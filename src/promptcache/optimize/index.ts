// Prompt optimisation: shorter prompts with the same content (docs/prompt-optimisation.md).
export { optimizeLossless, type LosslessOptions } from './lossless.js';
export { losslessEquivalent } from './equivalence.js';
export { compactJson } from './json-compact.js';
export { collapseWhitespace } from './whitespace.js';
export { evaluateLossless, type OptimizeEvalRow, type OptimizeEvalTotals } from './eval.js';
export { elideOldToolResults, type Elision } from './elide.js';
export { elisionNetPico, type ElisionCase } from './elision-gate.js';
export { capMessageTokens } from './cap-message.js';
export { keepHistoryBudget } from './history-budget.js';
