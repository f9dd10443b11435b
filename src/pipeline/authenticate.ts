// Stage: authenticate. Who is calling. With `auth: keys` (src/pipeline/governance.ts decides), the
// caller's credential — `Authorization: Bearer cw-…` (OpenAI clients) or `x-api-key: cw-…`
// (Anthropic clients) — must be a live virtual key; the tenant, team and tags come from it, and a
// caller's `x-costwise-tenant` is honoured only when the key allows it. With `auth: open`, anyone
// is served: the tenant is the header's, and the key id a short hash of whatever credential came.
import { createHash } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import { headerValue } from '../core/headers.js';
import { resolveTenant, type AuthFailure } from '../governance/index.js';
import type { Caller } from './context.js';
import type { Governance } from './governance.js';
import type { Stage } from './stage.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const keyIds = new Map<string, string>();

function keyIdOf(secret: string): string {
  let id = keyIds.get(secret);
  if (!id) {
    id = 'key_' + createHash('sha256').update(secret).digest('hex').slice(0, 12);
    if (keyIds.size > 10_000) keyIds.clear();
    keyIds.set(secret, id);
  }
  return id;
}

/** The credential a caller sent, in either provider's style; '' when none. */
export function secretFrom(headers: Headers): string {
  const auth = headers['authorization'];
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7).trim();
  const apiKey = headers['x-api-key'] ?? headers['x-goog-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : '';
}

function tagsFrom(headers: Headers): string[] {
  const tagsHeader = headers['x-costwise-tags'];
  if (typeof tagsHeader !== 'string') return [];
  const tags = new Set<string>();
  for (const raw of tagsHeader.split(',')) {
    const t = raw.trim();
    if (t.length > 0 && t.length <= 64) tags.add(t);
  }
  return [...tags].slice(0, 20);
}

/** The caller without virtual keys (`auth: open`). */
export function callerFrom(headers: Headers): Caller {
  const secret = secretFrom(headers);
  const tenantHeader = headers['x-costwise-tenant'];
  return {
    tenant: typeof tenantHeader === 'string' && tenantHeader ? tenantHeader.slice(0, 128) : 'default',
    keyId: secret ? keyIdOf(secret) : 'anonymous',
    tags: tagsFrom(headers),
  };
}

const REFUSED: Record<AuthFailure, string> = {
  unknown: 'Incorrect API key provided. costwise needs a virtual key (cw-…) created with `costwise keys create`.',
  revoked: 'This API key has been revoked.',
  expired: 'This API key has expired.',
  disabled: 'This API key is disabled.',
};

/**
 * The caller a request runs as, or the 401/403 that says why not. Used by the authenticate stage
 * and by the routes outside the pipeline (files, batches, jobs).
 */
export function authenticateCaller(headers: Headers, governance: Governance): Caller {
  if (governance.authMode() === 'open') return callerFrom(headers);
  const secret = secretFrom(headers);
  if (secret === '') {
    throw new GatewayError({
      kind: 'authentication',
      message: 'Missing API key: send your costwise key as `Authorization: Bearer cw-…` or `x-api-key: cw-…`.',
      code: 'missing_api_key',
    });
  }
  const auth = governance.resolver.authenticate(secret);
  if (!auth.ok)
    throw new GatewayError({
      kind: 'authentication',
      message: REFUSED[auth.reason],
      code: auth.reason === 'unknown' ? 'invalid_api_key' : `key_${auth.reason}`,
    });
  const tenant = resolveTenant({ key: auth.key, header: headerValue(headers, 'x-costwise-tenant') });
  if (!tenant.ok) {
    throw new GatewayError({
      kind: tenant.reason === 'tenant_header_not_allowed' ? 'permission' : 'invalid_request',
      message:
        tenant.reason === 'tenant_header_not_allowed'
          ? 'x-costwise-tenant: this key may not choose its tenant (its tenant is fixed when the key is made).'
          : 'x-costwise-tenant: expected 1 to 128 printable ASCII characters without spaces.',
      param: 'x-costwise-tenant',
    });
  }
  const tags = tagsFrom(headers);
  for (const t of auth.key.tags) if (!tags.includes(t)) tags.push(t);
  return { tenant: tenant.tenant, keyId: auth.key.id, tags, key: auth.key, teams: auth.teams };
}

export function authenticateStage(governance: Governance): Stage {
  return {
    name: 'authenticate',
    run(ctx, next) {
      ctx.caller = authenticateCaller(ctx.inbound.headers, governance);
      return next(ctx);
    },
  };
}
