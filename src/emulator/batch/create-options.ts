// Emulator request headers read when a batch is created (both providers):
//   x-emulator-output-tokens / x-emulator-echo   apply to every item of the batch
//   x-emulator-batch-expire-after-ms: N          this batch's completion window (default
//                                                batch.expireAfterMs); items not done by then expire
import { badRequest } from '../errors.js';
import type { Exchange } from '../exchange.js';
import { directives } from '../reply.js';
import { ITEM_DIRECTIVE_HEADERS, type Directives } from './execute.js';

export function itemDirectives(ex: Exchange): Directives {
  directives((h) => ex.header(h)); // a bad value is a 400 now rather than in every item
  const out = new Map<string, string>();
  for (const h of ITEM_DIRECTIVE_HEADERS) {
    const v = ex.header(h);
    if (v !== undefined) out.set(h, v);
  }
  return out;
}

export function expireAfterMs(ex: Exchange): number {
  const raw = ex.header('x-emulator-batch-expire-after-ms');
  if (raw === undefined) return ex.state.batch.expireAfterMs;
  if (!/^\s*\d+\s*$/.test(raw)) throw badRequest('x-emulator-batch-expire-after-ms must be an integer number of milliseconds >= 0.');
  return Number(raw);
}
