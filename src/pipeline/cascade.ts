// Stage (instead of dispatch) for a cascade router: ask the cheapest step, check its answer, and
// escalate to the next step only when a check fails; the last step answers whatever is left.
// Earlier steps are asked without streaming (a check needs the whole answer); an accepted answer
// is replayed to a streaming caller as a normal stream. Every rejected answer and judge call is
// billed on its own ledger row, so the cascade's net saving — or loss — is measured.
import type { CanonicalRequest, CanonicalResponse } from '../core/canonical.js';
import { replay, responseEvents } from '../core/response-stream.js';
import { consistencyVerdict, judgeRequest, judgeVerdict, runLocalChecks, type CheckVerdict, type RemoteCheck } from '../routing/cascade/checks.js';
import type { Deployment } from '../config/catalog.js';
import type { DurableStore } from '../storage/types.js';
import { candidateDeployments } from './candidates.js';
import type { RequestContext } from './context.js';
import { callWithFallbacks, dispatch, type DispatchDeps } from './dispatch.js';
import { recordSubCall } from './ledger.js';

export interface CascadeDeps extends DispatchDeps {
  store: DurableStore;
}

export async function runCascade(ctx: RequestContext, deps: CascadeDeps): Promise<void> {
  const plan = ctx.cascade!;
  const { router, steps } = plan;
  const features = ctx.features!;
  const baseline = ctx.requestedDeployment ?? steps.at(-1)!;
  const quiet: CanonicalRequest = ctx.request.stream ? { ...ctx.request, stream: false, streamUsage: false } : ctx.request;
  const escalations: string[] = (ctx.escalations = []);
  const via = plan.via === 'requested' ? '' : `${plan.via}; `;
  let judged = 0;

  for (let i = 0; i < steps.length - 1; i++) {
    const step = steps[i]!;
    const t0 = performance.now();
    let answer: { deployment: Deployment; response: CanonicalResponse; headers: Record<string, string>; warnings: string[] };
    try {
      const served = await callWithFallbacks(ctx, quiet, candidateDeployments(step, quiet, features, deps.catalog, deps.resilience), deps, 'cascade_step');
      if (served.value.kind !== 'complete') throw new Error('cascade step answered with a stream');
      answer = { deployment: served.deployment, response: served.value.response, headers: served.value.headers, warnings: served.value.warnings };
    } catch (err) {
      if (ctx.abort.signal.aborted) throw err;
      escalations.push(`${step.name}:unavailable`);
      continue;
    }

    let verdict: CheckVerdict = runLocalChecks(router.checks, ctx.request, answer.response);
    for (const check of router.checks) {
      if (!verdict.pass || (check.kind !== 'judge' && check.kind !== 'consistency')) continue;
      verdict = await remoteCheck(ctx, deps, check, router.judges.get(check)!, answer.response, `judge${++judged}`, via);
    }

    if (verdict.pass) {
      ctx.deployment = answer.deployment;
      ctx.requestedDeployment = baseline;
      ctx.upstreamHeaders = answer.headers;
      for (const w of answer.warnings) ctx.warnings.push(w);
      ctx.routeReason = `${via}cascade:${router.name}:accepted->${answer.deployment.name}`;
      ctx.outcome = ctx.request.stream ? { kind: 'stream', events: replay(responseEvents(answer.response)) } : { kind: 'complete', response: answer.response };
      return;
    }
    escalations.push(`${step.name}:${verdict.detail}`);
    recordSubCall(ctx, deps.store, {
      label: `step${i + 1}`,
      deployment: answer.deployment,
      usage: answer.response.usage,
      latencyMs: performance.now() - t0,
      route: `${via}cascade:${router.name}:rejected(${verdict.check ?? 'check'})->${answer.deployment.name}`,
    });
  }

  const last = steps.at(-1)!;
  ctx.deployment = last;
  ctx.requestedDeployment = baseline;
  ctx.routeReason = `${via}cascade:${router.name}:escalated->${last.name}`;
  await dispatch(ctx, deps);
}

/**
 * A judge call on the answer, or a second model's own answer to compare (self-consistency); billed
 * as its own sub-call row. A call that fails escalates.
 */
async function remoteCheck(
  ctx: RequestContext,
  deps: CascadeDeps,
  check: RemoteCheck,
  model: Deployment,
  response: CanonicalResponse,
  label: string,
  via: string,
): Promise<CheckVerdict> {
  const quiet: CanonicalRequest = { ...ctx.request, model: model.name, stream: false, streamUsage: false };
  const request = check.kind === 'judge' ? judgeRequest(check, ctx.request, response) : quiet;
  const t0 = performance.now();
  try {
    const served = await callWithFallbacks(ctx, request, candidateDeployments(model, request, ctx.features!, deps.catalog, deps.resilience), deps, 'judge');
    if (served.value.kind !== 'complete') throw new Error('judge answered with a stream');
    recordSubCall(ctx, deps.store, {
      label,
      deployment: served.deployment,
      usage: served.value.response.usage,
      latencyMs: performance.now() - t0,
      route: `${via}cascade:${ctx.cascade!.router.name}:${check.kind}->${served.deployment.name}`,
    });
    return check.kind === 'judge' ? judgeVerdict(check, served.value.response) : consistencyVerdict(check, response, served.value.response);
  } catch (err) {
    if (ctx.abort.signal.aborted) throw err;
    return { pass: false, check: check.kind, detail: `${check.kind}:unavailable` };
  }
}
