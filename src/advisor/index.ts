export { advise, type AdviseOptions, type ChurnInput, type PricedModel } from './advise.js';
export { catalogPrices } from './catalog-prices.js';
export { renderAdviceMarkdown, renderAdviceTable } from './render.js';
export { parseShadowRoute, shadowRoute, SHADOW_TECHNIQUE, type ShadowComparison } from './shadow-route.js';
export type { AdviceReport, Recommendation, Rejected, Evidence, ModelEvidence } from './types.js';
export { wilsonInterval } from './wilson.js';
export { feedbackGrades, mergeGrades } from './grades.js';
