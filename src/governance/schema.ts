// Key and team records, and the zod schemas that validate what administrators send. Unknown
// fields are rejected; errors name the field (`budgets[1].period: …`).
import { z } from 'zod';
import { GovernanceError, type FieldIssue } from './errors.js';
import { BUDGET_PERIODS, type BudgetPeriod } from './periods.js';
import { MAX_PICO, type Pico } from './pico.js';

export interface Budget {
  limitPico: Pico;
  period: BudgetPeriod;
}

export type MetadataValue = string | number | boolean | null;
export type Metadata = Readonly<Record<string, MetadataValue>>;
export type OnBudget = 'refuse' | 'downgrade';

export interface KeyRecord {
  id: string;
  name: string;
  /** Hex SHA-256 of the secret. */
  hash: string;
  /** `cw-AbC1…`, for lists and logs. */
  displayPrefix: string;
  teamId: string | null;
  tenant: string;
  /** Whether the caller's `x-costwise-tenant` header may choose the tenant. */
  allowTenantHeader: boolean;
  /** Model names or tiers the key may use; empty: all. */
  models: readonly string[];
  budgets: readonly Budget[];
  /** Requests per minute; null: unlimited. */
  rpm: number | null;
  /** Tokens per minute; null: unlimited. */
  tpm: number | null;
  tags: readonly string[];
  /** Epoch ms after which the key stops working; null: never. */
  expiresAt: number | null;
  enabled: boolean;
  /** What the gateway does when a budget would be exceeded. */
  onBudget: OnBudget;
  createdAt: number;
  revokedAt: number | null;
  metadata: Metadata;
  /** Store change version of the last write (optimistic concurrency, change polling). */
  version: number;
}

export interface TeamRecord {
  id: string;
  name: string;
  parentId: string | null;
  budgets: readonly Budget[];
  rpm: number | null;
  tpm: number | null;
  createdAt: number;
  metadata: Metadata;
  version: number;
}

const ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const idSchema = z.string().regex(ID, 'letters, digits, "_", ".", ":" and "-", at most 64 characters');
const nameSchema = z.string().trim().min(1).max(200);
const tenantSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const tagSchema = z.string().trim().min(1).max(64);

const limitPicoSchema = z
  .union([z.bigint(), z.int(), z.string().regex(/^\d{1,19}$/, 'a whole number of pico-dollars')])
  .transform((v) => BigInt(v))
  .pipe(z.bigint().min(0n, 'must not be negative').max(MAX_PICO, `at most ${MAX_PICO} pico-dollars ($4,000,000)`));

export const budgetSchema = z.strictObject({ limitPico: limitPicoSchema, period: z.enum(BUDGET_PERIODS) });

const budgetsSchema = z
  .array(budgetSchema)
  .max(4)
  .refine((list) => new Set(list.map((b) => b.period)).size === list.length, 'at most one budget per period');
const rpmSchema = z.int().positive().max(10_000_000).nullable();
const tpmSchema = z.int().positive().max(10_000_000_000).nullable();
const metadataSchema = z.record(z.string().min(1).max(100), z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]));
const uniqueTags = z
  .array(tagSchema)
  .max(20)
  .refine((tags) => new Set(tags).size === tags.length, 'tags must be unique');

const keyFields = {
  name: nameSchema,
  teamId: idSchema.nullable(),
  tenant: tenantSchema,
  allowTenantHeader: z.boolean(),
  models: z.array(z.string().trim().min(1).max(200)).max(256),
  budgets: budgetsSchema,
  rpm: rpmSchema,
  tpm: tpmSchema,
  tags: uniqueTags,
  expiresAt: z.int().positive().nullable(),
  enabled: z.boolean(),
  onBudget: z.enum(['refuse', 'downgrade']),
  metadata: metadataSchema,
};

export const keyInputSchema = z.strictObject({
  name: keyFields.name,
  teamId: keyFields.teamId.default(null),
  tenant: keyFields.tenant.default('default'),
  allowTenantHeader: keyFields.allowTenantHeader.default(false),
  models: keyFields.models.default([]),
  budgets: keyFields.budgets.default([]),
  rpm: keyFields.rpm.default(null),
  tpm: keyFields.tpm.default(null),
  tags: keyFields.tags.default([]),
  expiresAt: keyFields.expiresAt.default(null),
  enabled: keyFields.enabled.default(true),
  onBudget: keyFields.onBudget.default('refuse'),
  metadata: keyFields.metadata.default({}),
});
export const keyPatchSchema = z.strictObject(keyFields).partial();

const teamFields = {
  name: nameSchema,
  parentId: idSchema.nullable(),
  budgets: budgetsSchema,
  rpm: rpmSchema,
  tpm: tpmSchema,
  metadata: metadataSchema,
};

export const teamInputSchema = z.strictObject({
  /** Chosen by the administrator (a readable slug), or generated. */
  id: idSchema.optional(),
  name: teamFields.name,
  parentId: teamFields.parentId.default(null),
  budgets: teamFields.budgets.default([]),
  rpm: teamFields.rpm.default(null),
  tpm: teamFields.tpm.default(null),
  metadata: teamFields.metadata.default({}),
});
export const teamPatchSchema = z.strictObject(teamFields).partial();

/** What `createKey` accepts (defaults applied by the schema). */
export type KeyInput = z.input<typeof keyInputSchema>;
export type KeyPatch = z.input<typeof keyPatchSchema>;
export type TeamInput = z.input<typeof teamInputSchema>;
export type TeamPatch = z.input<typeof teamPatchSchema>;

/** Parses `value` or throws GovernanceError('invalid') listing every rejected field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues: FieldIssue[] = result.error.issues.map((issue) => ({ path: pathText(issue.path), message: issue.message }));
  throw new GovernanceError('invalid', `invalid ${what}: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`, issues);
}

function pathText(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}
