// Config shape of one cascade check: the test run on the cheap model's answer that decides whether
// to escalate. Validated once at start-up: regexes and JSON Schemas must compile here, not per request.
import { z } from 'zod';
import { compileSchema, SchemaProblem } from '../core/json-schema.js';

/** A JSON field name ("score", or a dotted path "result.score"), also looked for as "Score: 7" lines. */
const fieldName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[^\r\n:]+$/, 'one line, no ":"');

const unit = z.number().min(0).max(1);

const truncation = z.strictObject({ kind: z.literal('truncation') });

const refusal = z.strictObject({
  kind: z.literal('refusal'),
  /** Phrases (not regexes) that replace the default list; matched case-insensitively. */
  patterns: z.array(z.string().trim().min(1)).min(1).optional(),
});

const jsonSchema = z
  .strictObject({
    kind: z.literal('json_schema'),
    /** Omitted: the request's own response_format schema (or plain JSON validity). */
    schema: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((check, ctx) => {
    if (check.schema === undefined) return;
    try {
      compileSchema(check.schema);
    } catch (err) {
      const problem = err instanceof SchemaProblem ? err : new SchemaProblem('', String(err));
      ctx.addIssue({ code: 'custom', message: `invalid JSON Schema: ${problem.message}`, path: ['schema', ...pointerPath(problem.pointer)] });
    }
  });

const confidence = z.strictObject({
  kind: z.literal('confidence'),
  /** 0..1; a percentage the model writes ("72%") is read as 0.72. */
  min: unit,
  field: fieldName.optional(),
});

const scoreBand = z.strictObject({
  kind: z.literal('score_band'),
  field: fieldName.optional(),
  /** Inclusive [lo, hi] in the score's own units; a score inside it is the "ambiguous case". */
  ambiguous: z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo <= hi, 'lo must not exceed hi'),
});

const regex = z
  .strictObject({
    kind: z.literal('regex'),
    pattern: z.string().min(1),
    // g and y make RegExp.test stateful across requests.
    flags: z
      .string()
      .regex(/^[imsuv]*$/, 'only i, m, s, u and v flags are allowed')
      .optional(),
    /** Default true: fail when the answer does NOT match. False: fail when it does. */
    mustMatch: z.boolean().optional(),
  })
  .superRefine((check, ctx) => {
    try {
      new RegExp(check.pattern, check.flags);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(err as Error).message}`, path: ['pattern'] });
    }
  });

const judge = z.strictObject({
  kind: z.literal('judge'),
  /** Catalog name of the judge model. */
  model: z.string().min(1),
  /** 0..1; the judge's score must reach it. */
  min: unit,
  /** Replaces the default rating criteria in the judge prompt. */
  instructions: z.string().trim().min(1).optional(),
});

const extractMode = z.enum(['auto', 'choice', 'number', 'code', 'text']);

/** The answer must contain one of `extract`: a choice letter, a final number, or code that parses. */
const answer = z.strictObject({
  kind: z.literal('answer'),
  extract: z.enum(['choice', 'number', 'code']),
});

/** Self-consistency: a second (cheap) model answers too; the extracted answers must agree. */
const consistency = z.strictObject({
  kind: z.literal('consistency'),
  /** Catalog name of the second model. */
  model: z.string().min(1),
  extract: extractMode.default('auto'),
});

export const cascadeCheckSchema = z.discriminatedUnion('kind', [truncation, refusal, jsonSchema, confidence, scoreBand, regex, answer, judge, consistency]);

export type CascadeCheck = z.output<typeof cascadeCheckSchema>;
export type JudgeCheck = Extract<CascadeCheck, { kind: 'judge' }>;
export type ConsistencyCheck = Extract<CascadeCheck, { kind: 'consistency' }>;
/** Checks that call another model, run by the pipeline after the local ones pass. */
export type RemoteCheck = JudgeCheck | ConsistencyCheck;

function pointerPath(pointer: string): Array<string | number> {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
