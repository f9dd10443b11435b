// POST /api/feedback: scores of answers by ledger request id, stored in the ledger's database
// (storage/labels) for the advisor's grades and `router train --from-ledger`. The whole body is
// checked before anything is written, and written in one transaction: a 400 names the exact field
// (`feedback[3].score`) and leaves nothing stored.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseJsonBody } from '../core/json-body.js';
import { formatPath } from '../config/issues.js';
import type { Feedback } from '../storage/labels/types.js';
import type { ApiErrorResponse, Agrees, Assert, FeedbackItem, FeedbackResponse } from './admin-api.js';
import { readBody } from './body.js';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';

/** Items one body may carry. */
export const MAX_FEEDBACK_ITEMS = 1_000;
const MAX_ID_CHARS = 256;
const MAX_COMMENT_CHARS = 4_000;
/** 1,000 items of the longest id and comment, with room for JSON escapes. */
const MAX_BODY_BYTES = 16 << 20;

const text = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

const item = z.strictObject({
  request_id: text(MAX_ID_CHARS).min(1),
  score: z
    .union([z.boolean(), z.number()], { error: 'expected a number from 0 to 1, or true / false' })
    .transform((v) => (typeof v === 'boolean' ? Number(v) : v))
    .pipe(z.number().min(0, 'must be at least 0').max(1, 'must be at most 1')),
  comment: text(MAX_COMMENT_CHARS).nullable().optional(),
});
const batch = z.strictObject({ feedback: z.array(item).min(1, 'give at least one item').max(MAX_FEEDBACK_ITEMS, `at most ${MAX_FEEDBACK_ITEMS} items`) });

// The bodies the schemas take are the ones admin-api.ts declares.
type _Item = Assert<Agrees<z.input<typeof item>, FeedbackItem>>;

export async function handleFeedback(req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    fail(res, 405, `method ${req.method} not allowed on /api/feedback (POST)`);
    return;
  }
  let body: unknown;
  try {
    body = parseJsonBody(await readBody(req, MAX_BODY_BYTES));
  } catch (err) {
    fail(res, (err as { kind?: unknown }).kind === 'request_too_large' ? 413 : 400, (err as Error).message);
    return;
  }
  const many = typeof body === 'object' && body !== null && !Array.isArray(body) && 'feedback' in body;
  const parsed = many ? batch.safeParse(body) : item.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    // An unknown key is named itself, not the object holding it.
    const at = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
    const path = at.length ? formatPath(at) : null;
    fail(res, 400, `${path ?? '(body)'}: ${issue.message}`, path);
    return;
  }
  const ts = deps.clock();
  const items = 'feedback' in parsed.data ? parsed.data.feedback : [parsed.data];
  const feedback: Feedback[] = items.map((f) => ({ requestId: f.request_id, score: f.score, comment: f.comment ?? null, ts }));
  await deps.labels.putFeedback(feedback);
  sendJson(res, 200, { stored: new Set(feedback.map((f) => f.requestId)).size } satisfies FeedbackResponse);
}

function fail(res: ServerResponse, status: number, message: string, param: string | null = null): void {
  sendJson(res, status, { error: { message, type: 'invalid_request_error', param, code: null } } satisfies ApiErrorResponse);
}
