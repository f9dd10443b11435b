// A chat request with `x-costwise-defer: <window>`: accepted at once (202) with a job id instead of
// being answered; it runs later in a provider batch at batch prices (src/batch/deferral.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deferRequest, parseWindow } from '../batch/deferral.js';
import type { AppDeps } from './deps.js';
import { parseJsonBody, readBody } from './body.js';
import { callerFrom, forwardHeadersFrom } from './caller.js';
import { sendJson } from './respond.js';
import { originOf, sendError, service } from './batch-http.js';

export function isDeferred(req: IncomingMessage): boolean {
  return typeof req.headers['x-costwise-defer'] === 'string';
}

export async function handleDeferred(format: 'openai' | 'anthropic', req: IncomingMessage, res: ServerResponse, deps: AppDeps): Promise<void> {
  try {
    const windowMs = parseWindow(req.headers['x-costwise-defer'] as string);
    const body = parseJsonBody(await readBody(req, deps.config.server.maxBodyBytes));
    const job = await deferRequest(service(deps), { format, body, caller: callerFrom(req.headers), forwardHeaders: forwardHeadersFrom(req.headers), windowMs });
    const url = `${originOf(req)}/v1/costwise/jobs/${job.jobId}`;
    sendJson(res, 202, { id: job.jobId, object: 'costwise.job', status: 'queued', url, not_after: Math.floor(job.notAfter / 1000) }, { location: url, 'x-costwise-job-id': job.jobId });
  } catch (err) {
    sendError(res, format, err);
  }
}
