// A deterministic arguments object for a tool's JSON schema: every `required` property gets the
// simplest value of its type (enum → first value, const → the const, string → "example",
// number/integer → 1, boolean → true, array → one item, object → recurse). Gemini's upper-case
// type names (STRING, OBJECT…) are accepted.

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function schemaType(schema: Record<string, unknown>): string | undefined {
  const t = schema.type;
  if (typeof t === 'string') return t.toLowerCase();
  if (Array.isArray(t)) {
    const first: unknown = t.find((x) => typeof x === 'string' && x.toLowerCase() !== 'null');
    return typeof first === 'string' ? first.toLowerCase() : 'null';
  }
  if (isRecord(schema.properties)) return 'object';
  if (schema.items !== undefined) return 'array';
  return undefined;
}

export function valueForSchema(schema: unknown, depth = 0): Json {
  if (!isRecord(schema) || depth > 8) return 'example';
  if ('const' in schema) return schema.const as Json;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0] as Json;
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const alts = schema[key];
    if (Array.isArray(alts) && alts.length > 0) {
      const pick: unknown = alts.find((a) => !(isRecord(a) && a.type === 'null')) ?? alts[0];
      return valueForSchema(pick, depth + 1);
    }
  }
  switch (schemaType(schema)) {
    case 'string':
      return 'example';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? Math.ceil(schema.minimum) : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [valueForSchema(schema.items, depth + 1)];
    case 'object':
      return objectForSchema(schema, depth);
    default:
      return 'example';
  }
}

function objectForSchema(schema: Record<string, unknown>, depth: number): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  const props = isRecord(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const name of required) {
    if (typeof name !== 'string') continue;
    out[name] = valueForSchema(props[name], depth + 1);
  }
  return out;
}

/** JSON text of the arguments for a tool with this parameters schema. */
export function argumentsForSchema(parameters: unknown): string {
  const value = isRecord(parameters) ? objectForSchema(parameters, 0) : {};
  return JSON.stringify(value);
}
