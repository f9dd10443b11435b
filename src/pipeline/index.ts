// The request pipelines, each one list of stages over one RequestContext (context.ts). A stage runs
// `(ctx, next)` (stage.ts): it does its part and calls `next` for the rest, or answers the request
// itself and returns; the first stage is the outermost. Settling runs in a `finally`, so every exit
// — answered, failed, cut off by the caller — leaves exactly one ledger row.
//
// The chat pipeline (POST /v1/chat/completions, POST /v1/messages, POST /v1/responses):
//
// | stage             | reads                                        | writes                                                   |
// |-------------------|----------------------------------------------|----------------------------------------------------------|
// | settle            | exit, settlement, outcome, cachePlan         | the ledger row, the response-cache entry, prefix churn;  |
// |                   |                                              | telemetry: in flight, the request's span (ctx.trace)     |
// | respond           | outcome, or the error a stage threw          | the caller's response (responder); exit                  |
// | authenticate      | headers                                      | caller                                                   |
// | parse             | body; parser (the Responses API's own)       | body (JSON), request (canonical)                         |
// | defer             | x-costwise-defer, batch.deferral.rules       | outcome: deferred (202 with a job; no row until it runs) |
// |                   |                                              | or serviceTier: flex (a `via: flex` rule)                |
// | response cache    | x-costwise-cache(-ttl), request, caller      | cachePlan, cacheResult; on a hit: outcome, settlement    |
// | route             | request, features                            | deployment, routeReason, requestedDeployment, technique, |
// |                   |                                              | cascade                                                  |
// | prompt optimize   | request, deployment, promptOptimization rules | request (rewritten), promptTokensRemoved, technique      |
// | prompt-cache plan | features, promptCache rules                  | promptCacheMode (dispatch applies it per attempt)        |
// | dispatch          | deployment or cascade, request, serviceTier  | outcome, deployment (the one that served), attempts,     |
// |                   |                                              | upstreamHeaders, settlement (a stream's as it ends)      |
//
// Authenticate runs before parse: a caller without a valid credential costs no body parsing.
// Batch items (src/batch/pipeline-runner.ts) run the same list without authenticate, parse, defer
// and the response cache: their caller is the batch's, their request was parsed at submission,
// and their responder stores the result. Embeddings run settle → respond → authenticate → parse →
// embedding model → embed.
import type { PipelineDeps } from './deps.js';
import { admitStage } from './admit.js';
import { authenticateStage } from './authenticate.js';
import { responseCacheStage } from './cache.js';
import { deferStage, type DeferralDeps } from './defer.js';
import { dispatchStage } from './dispatch-stage.js';
import { embeddingModelStage, embedStage } from './embeddings.js';
import { parseEmbeddingsStage, parseStage } from './parse.js';
import { promptCachePlanStage } from './prompt-cache.js';
import { promptOptimizeStage } from './prompt-optimize.js';
import { reserveStage } from './reserve.js';
import { respondStage } from './respond.js';
import { routeStage } from './route.js';
import { settleStage } from './settle.js';
import { compose, type Next } from './stage.js';

export type Pipeline = Next;

export function chatPipeline(deps: PipelineDeps & DeferralDeps): Pipeline {
  return compose([
    settleStage(deps),
    respondStage(deps),
    authenticateStage(deps.governance),
    parseStage(),
    admitStage(deps),
    deferStage(deps),
    responseCacheStage(deps),
    routeStage(deps),
    reserveStage(deps),
    promptOptimizeStage(deps.promptOptimization, deps.promptCache),
    promptCachePlanStage(deps.promptCache),
    dispatchStage(deps),
  ]);
}

export function batchItemPipeline(deps: PipelineDeps): Pipeline {
  return compose([
    settleStage(deps),
    respondStage(deps),
    routeStage(deps),
    promptOptimizeStage(deps.promptOptimization, deps.promptCache),
    promptCachePlanStage(deps.promptCache),
    dispatchStage(deps),
  ]);
}

export function embeddingsPipeline(deps: PipelineDeps): Pipeline {
  return compose([
    settleStage(deps),
    respondStage(deps),
    authenticateStage(deps.governance),
    parseEmbeddingsStage(),
    admitStage(deps),
    embeddingModelStage(deps),
    reserveStage(deps),
    embedStage(deps),
  ]);
}

export type { PipelineDeps } from './deps.js';
export type { DeferralDeps } from './defer.js';
export {
  createContext,
  type RequestContext,
  type Responder,
  type Exit,
  type Outcome,
  type Inbound,
  type Caller,
  type Seal,
  type BodyParser,
} from './context.js';
