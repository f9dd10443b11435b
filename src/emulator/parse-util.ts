// Small validators for request bodies; each failure is a 400 naming the offending field.
import type { CacheControl } from '../core/canonical.js';
import { badRequest } from './errors.js';

export type Obj = Record<string, unknown>;

/**
 * Any JSON value as `String()` writes it (an array joined with commas, an object as
 * "[object Object]"): how a field the emulator only measures is read, and how a bad value is
 * echoed in an error message.
 */
export function loose(v: unknown): string {
  return String(v);
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function requireObj(v: unknown, param: string): Obj {
  if (!isObj(v)) throw badRequest(`Invalid type for '${param}': expected an object.`, param, 'invalid_type');
  return v;
}

export function requireArray(v: unknown, param: string): unknown[] {
  if (!Array.isArray(v)) throw badRequest(`Invalid type for '${param}': expected an array.`, param, 'invalid_type');
  return v;
}

export function requireString(v: unknown, param: string): string {
  if (typeof v !== 'string') throw badRequest(`Invalid type for '${param}': expected a string.`, param, 'invalid_type');
  return v;
}

export function optString(v: unknown, param: string): string | undefined {
  return v === undefined || v === null ? undefined : requireString(v, param);
}

export function optPositiveInt(v: unknown, param: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw badRequest(`Invalid '${param}': expected an integer >= 1.`, param, 'invalid_value');
  }
  return v;
}

export function optNumber(v: unknown, param: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badRequest(`Invalid type for '${param}': expected a number.`, param, 'invalid_type');
  return v;
}

export function optBool(v: unknown, param: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw badRequest(`Invalid type for '${param}': expected a boolean.`, param, 'invalid_type');
  return v;
}

/** A string or an array of strings (stop sequences). */
export function optStringList(v: unknown, param: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return [v];
  const arr = requireArray(v, param);
  return arr.map((s, i) => requireString(s, `${param}[${i}]`));
}

/** Anthropic `cache_control`: `{type:"ephemeral", ttl?: "5m"|"1h"}`. */
export function optCacheControl(v: unknown, param: string): CacheControl | undefined {
  if (v === undefined || v === null) return undefined;
  const o = requireObj(v, param);
  if (o.type !== 'ephemeral') throw badRequest(`${param}.type: Input should be 'ephemeral'`, `${param}.type`);
  if (o.ttl === undefined) return { type: 'ephemeral' };
  if (o.ttl !== '5m' && o.ttl !== '1h') throw badRequest(`${param}.ttl: Input should be '5m' or '1h'`, `${param}.ttl`);
  return { type: 'ephemeral', ttl: o.ttl };
}

/** A JSON-schema object (tool parameters); anything else becomes an empty object schema. */
export function schemaOf(v: unknown): Record<string, unknown> {
  return isObj(v) ? v : { type: 'object', properties: {} };
}
