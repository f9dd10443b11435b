// Hand-written checks for OpenAI-format INGRESS bodies (the hot path: no schema library, no
// closures). Every failure is a 400 naming the exact field path, in OpenAI's wording.
import { invalidRequest, type GatewayError } from '../../core/errors.js';
import type { CacheControl } from '../../core/canonical.js';

export type Json = Record<string, unknown>;

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON type name as an error message shows it. */
export function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 60 ? `${value.slice(0, 60)}…` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return typeName(value);
}

export function missing(path: string): GatewayError {
  return invalidRequest(`Missing required parameter: '${path}'.`, path);
}

export function invalidType(path: string, expected: string, value: unknown): GatewayError {
  return invalidRequest(`Invalid type for '${path}': expected ${expected}, got ${typeName(value)}.`, path);
}

export function invalidValue(path: string, expected: string, value: unknown): GatewayError {
  return invalidRequest(`Invalid value for '${path}': expected ${expected}, got ${show(value)}.`, path);
}

export function unsupported(path: string, message: string): GatewayError {
  return invalidRequest(message, path, 'unsupported_parameter');
}

// Optional readers: `undefined` and `null` both mean "not given" (OpenAI accepts null for every
// optional field). A present value of the wrong type is a 400 naming the field.

export function optString(obj: Json, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalidType(path, 'a string', v);
  return v;
}

export function reqString(obj: Json, key: string, path: string): string {
  const v = obj[key];
  if (v === undefined || v === null) throw missing(path);
  if (typeof v !== 'string') throw invalidType(path, 'a string', v);
  return v;
}

export function optBoolean(obj: Json, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalidType(path, 'a boolean', v);
  return v;
}

export function optNumber(obj: Json, key: string, path: string, min: number, max: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalidType(path, 'a number', v);
  if (v < min || v > max) throw invalidValue(path, `a number between ${min} and ${max}`, v);
  return v;
}

export function optInteger(obj: Json, key: string, path: string, min: number): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalidType(path, 'an integer', v);
  if (v < min) throw invalidValue(path, `an integer >= ${min}`, v);
  return v;
}

export function optRecord(obj: Json, key: string, path: string): Json | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!isRecord(v)) throw invalidType(path, 'an object', v);
  return v;
}

/**
 * `cache_control` on a content part: not part of OpenAI's API, but the de-facto extension
 * (LiteLLM, OpenRouter) for asking a Claude upstream to cache a prefix from an OpenAI-format client.
 */
export function optCacheControl(obj: Json, path: string): CacheControl | undefined {
  const v = obj.cache_control;
  if (v === undefined || v === null) return undefined;
  const p = `${path}.cache_control`;
  if (!isRecord(v)) throw invalidType(p, 'an object', v);
  if (v.type !== 'ephemeral') throw invalidValue(`${p}.type`, "'ephemeral'", v.type);
  const ttl = v.ttl;
  if (ttl === undefined || ttl === null) return { type: 'ephemeral' };
  if (ttl !== '5m' && ttl !== '1h') throw invalidValue(`${p}.ttl`, "one of '5m', '1h'", ttl);
  return { type: 'ephemeral', ttl };
}
