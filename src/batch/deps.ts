import type { Pipeline, PipelineDeps } from '../pipeline/index.js';

/** What batches run on: the pipeline's dependencies, and the pipeline that runs items without a batch API. */
export interface BatchDeps extends PipelineDeps {
  runItem: Pipeline;
}
