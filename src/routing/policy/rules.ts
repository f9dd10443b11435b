// Routing rules: "requests matching X go to Y". Matched in order; the first match wins.
import { z } from 'zod';
import type { RequestFeatures } from './features.js';

/** `pattern` or `/pattern/flags` (e.g. `/refund|return/i`). */
export function toRegExp(source: string): RegExp {
  const m = /^\/(.*)\/([dgimsuy]*)$/s.exec(source);
  return m ? new RegExp(m[1]!, m[2]) : new RegExp(source);
}

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const ruleMatchSchema = z
  .strictObject({
    /** Any of these tags. */
    tags: oneOrMany.optional(),
    tenant: oneOrMany.optional(),
    /** The model (or router name) the caller asked for. */
    model: oneOrMany.optional(),
    minPromptTokens: z.number().int().nonnegative().optional(),
    maxPromptTokens: z.number().int().nonnegative().optional(),
    tools: z.boolean().optional(),
    images: z.boolean().optional(),
    jsonSchema: z.boolean().optional(),
    /** A regular expression (`pattern` or `/pattern/flags`) tested against the last user message. */
    lastUserMessage: z
      .string()
      .refine((s) => {
        try {
          toRegExp(s);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
  })
  .refine((m) => Object.keys(m).length > 0, 'a rule must match on at least one feature');

export const routeTargetSchema = z.union([
  z.strictObject({ model: z.string().min(1) }),
  z.strictObject({ tier: z.enum(['cheap', 'mid', 'frontier']) }),
  z.strictObject({ router: z.string().min(1) }),
]);

export const ruleSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, "_", "." and "-" only'),
  match: ruleMatchSchema,
  route: routeTargetSchema,
});

export type Rule = z.output<typeof ruleSchema>;
export type RouteTarget = z.output<typeof routeTargetSchema>;

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
export function compileMatch(m: z.output<typeof ruleMatchSchema>): (f: RequestFeatures) => boolean {
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
