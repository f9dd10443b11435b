// Routing rules in the config: "requests matching X go to Y" (compiled in src/routing/policy/rules.ts).
import { z } from 'zod';

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
export type RuleMatch = z.output<typeof ruleMatchSchema>;
export type RouteTarget = z.output<typeof routeTargetSchema>;
