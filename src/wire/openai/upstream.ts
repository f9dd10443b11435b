// Minimal readers for EGRESS bodies (what an OpenAI-format upstream sent back): only the fields
// read are checked, and anything malformed is an upstream_error (502) naming what was wrong.
import { GatewayError } from '../../core/errors.js';

export function malformed(what: string, provider: string | undefined): GatewayError {
  return new GatewayError({
    kind: 'upstream_error',
    message: `upstream ${provider ?? 'openai'} returned a malformed response: ${what}`,
    ...(provider !== undefined ? { provider } : {}),
  });
}

/** A non-negative count; absent or null → 0; anything else is malformed. */
export function count(obj: Record<string, unknown>, key: string, where: string, provider: string | undefined): number {
  const v = obj[key];
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw malformed(`${where}.${key} is not a token count`, provider);
  return v;
}
