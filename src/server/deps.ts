import type { Config } from '../config/schema.js';
import type { SharedState } from '../storage/types.js';
import type { Pipeline, PipelineDeps } from '../pipeline/index.js';
import type { BatchService } from '../batch/service.js';
import type { RunningGovernance } from './governance.js';
import type { ChurnReports } from '../promptcache/churn-reports.js';
import type { ResponseStore } from '../storage/responses/types.js';
import type { LabelStore } from '../storage/labels/types.js';

/** Everything a route handler may use; built once at start-up (gateway.ts). */
export interface AppDeps extends PipelineDeps {
  config: Config;
  state: SharedState;
  /** Batch processing (src/batch). */
  batches: BatchService;
  /** Keys and teams: administration and the store (the pipeline's part is `governance`). */
  governanceAdmin: Omit<RunningGovernance, 'close' | 'governance'>;
  /** The prefix-churn report GET /api/promptcache answers: every replica's with a PostgreSQL ledger. */
  churnReports: ChurnReports;
  /** Stored Responses API answers (`store: true`), per tenant and key. */
  responses: ResponseStore;
  /** Feedback scores and captured prompts (POST /api/feedback, the advisor, router training). */
  labels: LabelStore;
  /** The request pipelines (src/pipeline/index.ts). */
  pipelines: { chat: Pipeline; embeddings: Pipeline };
}
