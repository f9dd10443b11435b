// Item errors: kept as plain data in the store, turned back into a GatewayError to render in the
// caller's wire format.
import { GatewayError, toGatewayError } from '../core/errors.js';
import type { StoredError } from './types.js';

export function storeError(err: unknown): StoredError {
  const e = toGatewayError(err);
  return { status: e.status, kind: e.kind, message: e.message, param: e.param, code: e.code };
}

export function gatewayError(e: StoredError): GatewayError {
  return new GatewayError({ kind: e.kind, status: e.status, message: e.message, param: e.param, code: e.code });
}
