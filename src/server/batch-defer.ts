// A chat request with `x-costwise-defer: <window>`: accepted at once (202) with a job id instead of
// being answered; it runs later in a provider batch at batch prices (src/batch/deferral.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deferRequest, parseWindow } from '../batch/deferral.js';
import { itemRequestId } from '../batch/plan.js';
import type { AppDeps } from './deps.js';
import { parseJsonBody, readBody } from './body.js';
import { callerFrom, forwardHeadersFrom } from './caller.js';
import { sendJson } from './respond.js';
import { originOf, sendError, service } from './batch-http.js';
import type { RequestFeatures } from '../routing/policy/features.js';
import { compileMatch } from '../routing/policy/rules.js';

export function isDeferred(req: IncomingMessage): boolean {
  return typeof req.headers['x-costwise-defer'] === 'string';
}

export async function handleDeferred(format: 'openai' | 'anthropic', req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  try {
    const windowMs = parseWindow(req.headers['x-costwise-defer'] as string);
    const body = parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes));
    await acceptDeferred(format, body, windowMs, req, res, deps);
  } catch (err) {
    sendError(res, format, err);
  }
}

/** 202 with the job: the request runs later in a provider batch. */
export async function acceptDeferred(
  format: 'openai' | 'anthropic',
  body: unknown,
  windowMs: number,
  req: IncomingMessage,
  res: ServerResponse,
  deps: AppDeps,
): Promise<void> {
  const job = await deferRequest(service(deps), { format, body, caller: callerFrom(req.headers), forwardHeaders: forwardHeadersFrom(req.headers), windowMs });
  const url = `${originOf(req)}/v1/costwise/jobs/${job.jobId}`;
  // The request id is the one the job's ledger row will have once the batch has run.
  const headers = { location: url, 'x-costwise-job-id': job.jobId, 'x-costwise-request-id': itemRequestId(job.batchId, job.jobId) };
  sendJson(res, 202, { id: job.jobId, object: 'costwise.job', status: 'queued', url, not_after: Math.floor(job.notAfter / 1000) }, headers);
}

/** A compiled deferrable route (`batch.deferral.rules`). */
export interface DeferralRule {
  name: string;
  matches(f: RequestFeatures): boolean;
  windowMs: number;
}

export function compileDeferralRules(rules: AppDeps['config']['batch']['deferral']['rules']): DeferralRule[] {
  return rules.map((r) => ({ name: r.name, matches: compileMatch(r.match), windowMs: parseWindow(r.window) }));
}

/** The window of the first deferrable route a parsed, non-streaming request matches. */
export function deferralWindow(rules: readonly DeferralRule[], f: RequestFeatures, stream: boolean): number | undefined {
  if (stream || rules.length === 0) return undefined;
  return rules.find((r) => r.matches(f))?.windowMs;
}
