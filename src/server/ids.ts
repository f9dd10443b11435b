import { randomBytes } from 'node:crypto';

// Request ids: time-ordered (base-36 milliseconds) + a random per-process prefix + a counter, so they
// are unique across processes and restarts and cost one string concatenation to make.
const processTag = randomBytes(5).toString('hex');
let counter = 0;

// The time-and-process prefix is made once per millisecond, not once per request.
let prefixAt = -1;
let prefix = '';

export function newRequestId(): string {
  counter = (counter + 1) % 1_679_616; // 36^4
  const now = Date.now();
  if (now !== prefixAt) {
    prefixAt = now;
    prefix = `cw_${now.toString(36)}${processTag}`;
  }
  return `${prefix}${counter.toString(36).padStart(4, '0')}`;
}

/** Whether `id` is one newRequestId made (a gateway request's, not a batch item's or a sub-call's). */
export function isRequestId(id: string): boolean {
  return REQUEST_ID.test(id);
}
const REQUEST_ID = /^cw_[0-9a-z]+$/;
