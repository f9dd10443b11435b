// GET /v1/costwise/jobs/{id}: a deferred request's state and, once it has ended, its response in
// the format it was sent in (src/batch/deferral.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppDeps } from './deps.js';
import { sendJson } from './respond.js';
import { callerOf, service } from './batch-http.js';
import { jobView } from '../batch/deferral.js';
import { GatewayError } from '../core/errors.js';

export async function handleJob(req: IncomingMessage, res: ServerResponse, deps: AppDeps, id: string): Promise<void> {
  const view = await jobView(service(deps), id, callerOf(req, deps).keyId);
  if (!view) throw new GatewayError({ kind: 'not_found', message: `No such job: ${id}`, param: 'job_id' });
  sendJson(res, 200, view);
}
