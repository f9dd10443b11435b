import type { Sql } from 'postgres';
import type { Config } from '../config/schema.js';
import { deferralHook } from './deferral.js';
import type { BatchDeps } from './deps.js';
import { openBatchStore } from './open.js';
import { BatchService, type BatchLoop } from './service.js';

export interface BatchServiceOptions {
  loop?: BatchLoop;
  /** The gateway's shared client for a PostgreSQL ledger. */
  postgres?: Sql;
}

/** The gateway's batch service, started (recovery included) and with deferral hooked in. */
export async function startBatchService(config: Config, deps: BatchDeps, opts: BatchServiceOptions = {}): Promise<BatchService> {
  const svc = new BatchService(config.batch, await openBatchStore(config, opts.postgres), deps, undefined, opts.loop ?? 'timer');
  svc.afterTick.push(deferralHook(svc));
  await svc.start();
  return svc;
}
