// Stage: authenticate. Who is calling: tenant, a short id of their credential, and tags for spend
// reports (`x-costwise-tenant`, `x-costwise-tags`).
import { createHash } from 'node:crypto';
import type { Caller } from './context.js';
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

export function callerFrom(headers: Headers): Caller {
  const auth = headers['authorization'];
  const apiKey = headers['x-api-key'] ?? headers['x-goog-api-key'];
  const secret = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : typeof apiKey === 'string' ? apiKey : '';
  const tenantHeader = headers['x-costwise-tenant'];
  const tagsHeader = headers['x-costwise-tags'];
  const tags =
    typeof tagsHeader === 'string'
      ? [
          ...new Set(
            tagsHeader
              .split(',')
              .map((t) => t.trim())
              .filter((t) => t.length > 0 && t.length <= 64),
          ),
        ].slice(0, 20)
      : [];
  return {
    tenant: typeof tenantHeader === 'string' && tenantHeader ? tenantHeader.slice(0, 128) : 'default',
    keyId: secret ? keyIdOf(secret) : 'anonymous',
    tags,
  };
}


export function authenticateStage(): Stage {
  return {
    name: 'authenticate',
    run(ctx, next) {
      ctx.caller = callerFrom(ctx.inbound.headers);
      return next(ctx);
    },
  };
}
