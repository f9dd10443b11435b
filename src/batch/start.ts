import type { Config } from '../config/schema.js';
import { deferralHook } from './deferral.js';
import type { BatchDeps } from './deps.js';
import { openBatchStore } from './open.js';
import { BatchService, type BatchLoop } from './service.js';

/** The gateway's batch service, started (recovery included) and with deferral hooked in. */
export async function startBatchService(config: Config, deps: BatchDeps, loop: BatchLoop = 'timer'): Promise<BatchService> {
  const svc = new BatchService(config.batch, await openBatchStore(config), deps, undefined, loop);
  svc.afterTick.push(deferralHook(svc));
  await svc.start();
  return svc;
}
