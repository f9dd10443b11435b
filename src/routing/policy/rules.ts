// Routing rules: "requests matching X go to Y". Matched in order; the first match wins.
import { toRegExp, type Rule, type RuleMatch, type RouteTarget } from '../../config/rule-schema.js';
import type { RequestFeatures } from './features.js';

export interface CompiledRule {
  name: string;
  route: RouteTarget;
  matches(f: RequestFeatures): boolean;
}

const list = (v: string | string[] | undefined): string[] | undefined => (v === undefined ? undefined : Array.isArray(v) ? v : [v]);

/** Compiles a rule once (regexes, sets) so matching allocates nothing. */
export function compileRule(rule: Rule): CompiledRule {
  return { name: rule.name, route: rule.route, matches: compileMatch(rule.match) };
}

/** A rule's `match`, compiled: shared by routing rules and cache rules. */
export function compileMatch(m: RuleMatch): (f: RequestFeatures) => boolean {
  const tags = list(m.tags);
  const tenants = list(m.tenant) ? new Set(list(m.tenant)) : undefined;
  const models = list(m.model) ? new Set(list(m.model)) : undefined;
  const regex = m.lastUserMessage !== undefined ? toRegExp(m.lastUserMessage) : undefined;
  return (f) => {
    if (tags && !tags.some((t) => f.tags.includes(t))) return false;
    if (tenants && !tenants.has(f.tenant)) return false;
    if (models && !models.has(f.model)) return false;
    if (m.minPromptTokens !== undefined && f.promptTokens < m.minPromptTokens) return false;
    if (m.maxPromptTokens !== undefined && f.promptTokens > m.maxPromptTokens) return false;
    if (m.tools !== undefined && f.hasTools !== m.tools) return false;
    if (m.images !== undefined && f.hasImages !== m.images) return false;
    if (m.jsonSchema !== undefined && f.hasJsonSchema !== m.jsonSchema) return false;
    if (regex && !regex.test(f.lastUserText)) return false;
    return true;
  };
}

/** The first matching rule, or undefined. */
export function firstMatch(rules: readonly CompiledRule[], f: RequestFeatures): CompiledRule | undefined {
  for (const rule of rules) if (rule.matches(f)) return rule;
  return undefined;
}
