// Hand-written field checks for the ingress hot path (no schema library: one pass, no allocations
// beyond the result). Messages follow Anthropic's own (Pydantic) wording; paths use costwise's
// `messages[1].content[0].type` style and are set as the error's `param`.
import { invalidRequest, type GatewayError } from '../../core/errors.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `path.key`, or `key` at the top level. */
export function field(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function item(path: string, index: number): string {
  return `${path}[${index}]`;
}

/** A 400 whose message is `path: message`, as Anthropic words it. */
export function invalid(path: string, message: string): GatewayError {
  return path === '' ? invalidRequest(message, null) : invalidRequest(`${path}: ${message}`, path);
}

export function unsupported(path: string, what: string): GatewayError {
  return invalid(path, `${what} is not supported by costwise`);
}

export function requireObject(v: unknown, path: string): JsonObject {
  if (v === undefined) throw invalid(path, 'Field required');
  if (!isObject(v)) throw invalid(path, 'Input should be a valid dictionary');
  return v;
}

export function requireArray(v: unknown, path: string): unknown[] {
  if (v === undefined) throw invalid(path, 'Field required');
  if (!Array.isArray(v)) throw invalid(path, 'Input should be a valid list');
  return v;
}

export function requireString(v: unknown, path: string): string {
  if (v === undefined) throw invalid(path, 'Field required');
  if (typeof v !== 'string') throw invalid(path, 'Input should be a valid string');
  return v;
}

/** `null` and absent are both "not given". */
export function optionalString(v: unknown, path: string): string | undefined {
  return v === undefined || v === null ? undefined : requireString(v, path);
}

export function optionalBoolean(v: unknown, path: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw invalid(path, 'Input should be a valid boolean');
  return v;
}

export interface NumberBounds {
  min?: number;
  max?: number;
}

export function optionalNumber(v: unknown, path: string, bounds: NumberBounds): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(path, 'Input should be a valid number');
  return checkBounds(v, path, bounds);
}

export function requireInteger(v: unknown, path: string, bounds: NumberBounds): number {
  if (v === undefined) throw invalid(path, 'Field required');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw invalid(path, 'Input should be a valid integer');
  return checkBounds(v, path, bounds);
}

export function optionalInteger(v: unknown, path: string, bounds: NumberBounds): number | undefined {
  return v === undefined || v === null ? undefined : requireInteger(v, path, bounds);
}

function checkBounds(v: number, path: string, bounds: NumberBounds): number {
  if (bounds.min !== undefined && v < bounds.min) throw invalid(path, `Input should be greater than or equal to ${bounds.min}`);
  if (bounds.max !== undefined && v > bounds.max) throw invalid(path, `Input should be less than or equal to ${bounds.max}`);
  return v;
}

/** Rejects keys outside `allowed`, as Anthropic does ("Extra inputs are not permitted"). */
export function checkKeys(o: JsonObject, allowed: ReadonlySet<string>, path: string): void {
  for (const key in o) {
    if (!allowed.has(key)) throw invalid(field(path, key), 'Extra inputs are not permitted');
  }
}
