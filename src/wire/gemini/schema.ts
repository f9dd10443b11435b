// JSON Schema → the OpenAPI-3.0 subset Gemini accepts in `functionDeclarations[].parameters`.
//
// Gemini's `Schema` object rejects unknown keys with a 400 ("Unknown name ... Cannot find field"),
// so everything outside the subset is removed and NAMED back to the caller (as a warning), never
// dropped silently. What can be translated is translated:
//   type: [T, "null"]         → type: T, nullable: true   (several non-null types → anyOf)
//   anyOf: [S, {type:"null"}] → S with nullable: true
//   oneOf                     → anyOf (Gemini reads them the same way)
//   const: "x"                → enum: ["x"]
//   allOf: [S]                → S
//   $ref: "#/$defs/X"         → inlined (local refs only; a cycle is cut and reported)
// Response schemas do not go through here: they are sent as `responseJsonSchema`, which takes
// JSON Schema as is (see ./request.ts).

type Json = Record<string, unknown>;

const KEPT = new Set([
  'type',
  'title',
  'description',
  'nullable',
  'enum',
  'properties',
  'required',
  'items',
  'minItems',
  'maxItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'propertyOrdering',
  'default',
  'example',
]);
/** Keys removed without a warning: metadata with no effect on what the model may produce. */
const SILENT = new Set(['$schema', '$id', '$comment', '$defs', 'definitions', 'examples']);
const FORMATS = new Set(['date-time', 'enum', 'float', 'double', 'int32', 'int64']);
const MAX_REF_DEPTH = 16;

export interface SchemaConversion {
  schema: Json;
  /** JSON Schema keywords that were removed, each once, in first-seen order. */
  dropped: string[];
}

export function toGeminiSchema(schema: Json): SchemaConversion {
  const dropped = new Set<string>();
  const out = convert(schema, { root: schema, dropped, refs: [] });
  return { schema: out, dropped: [...dropped] };
}

interface Ctx {
  root: Json;
  dropped: Set<string>;
  /** The $ref chain being expanded, to cut cycles. */
  refs: string[];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function convert(node: unknown, ctx: Ctx): Json {
  if (!isObject(node)) return {}; // boolean schemas (`true` = anything) have no Gemini form
  if (typeof node.$ref === 'string') return convertRef(node, node.$ref, ctx);

  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    switch (key) {
      case 'type':
        applyType(out, value, ctx);
        break;
      case 'properties':
        if (isObject(value)) {
          out.properties = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, ctx)]));
        }
        break;
      case 'items':
        if (Array.isArray(value)) ctx.dropped.add('items (tuple form)');
        else out.items = convert(value, ctx);
        break;
      case 'anyOf':
      case 'oneOf':
        if (Array.isArray(value)) applyAnyOf(out, value, ctx);
        break;
      case 'allOf':
        if (Array.isArray(value) && value.length === 1) Object.assign(out, convert(value[0], ctx));
        else ctx.dropped.add('allOf');
        break;
      case 'const':
        if (typeof value === 'string') out.enum = [value];
        else ctx.dropped.add('const');
        break;
      case 'enum':
        applyEnum(out, value, ctx);
        break;
      case 'format':
        if (typeof value === 'string' && FORMATS.has(value)) out.format = value;
        else ctx.dropped.add(`format: ${String(value)}`);
        break;
      default:
        if (KEPT.has(key)) out[key] = value;
        else if (!SILENT.has(key)) ctx.dropped.add(key);
    }
  }
  return out;
}

function applyType(out: Json, value: unknown, ctx: Ctx): void {
  if (typeof value === 'string') {
    if (value === 'null') out.nullable = true;
    else out.type = value;
    return;
  }
  if (!Array.isArray(value)) {
    ctx.dropped.add('type');
    return;
  }
  const types = value.filter((t): t is string => typeof t === 'string' && t !== 'null');
  if (types.length < value.length) out.nullable = true;
  if (types.length === 1) out.type = types[0];
  else if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
}

function applyAnyOf(out: Json, variants: unknown[], ctx: Ctx): void {
  const isNull = (v: unknown): boolean => isObject(v) && v.type === 'null' && Object.keys(v).length === 1;
  const rest = variants.filter((v) => !isNull(v));
  if (rest.length < variants.length) out.nullable = true;
  if (rest.length === 1) Object.assign(out, convert(rest[0], ctx));
  else if (rest.length > 1) out.anyOf = rest.map((v) => convert(v, ctx));
}

function applyEnum(out: Json, value: unknown, ctx: Ctx): void {
  if (!Array.isArray(value)) {
    ctx.dropped.add('enum');
    return;
  }
  const values = value.filter((v) => v !== null);
  if (values.length < value.length) out.nullable = true;
  // Gemini enums are string-only (`format: enum` on a STRING).
  if (values.every((v) => typeof v === 'string')) out.enum = values;
  else ctx.dropped.add('enum (non-string values)');
}

function convertRef(node: Json, ref: string, ctx: Ctx): Json {
  const target = resolveLocalRef(ctx.root, ref);
  if (target === undefined || ctx.refs.includes(ref) || ctx.refs.length >= MAX_REF_DEPTH) {
    ctx.dropped.add(target === undefined ? '$ref (not a local $defs reference)' : '$ref (recursive)');
    const { $ref: _ignored, ...siblings } = node;
    return convert(siblings, ctx);
  }
  const { $ref: _ignored, ...siblings } = node;
  const expanded = convert(target, { ...ctx, refs: [...ctx.refs, ref] });
  // Sibling keywords next to $ref (usually `description`) win over the referenced definition.
  return { ...expanded, ...convert(siblings, ctx) };
}

function resolveLocalRef(root: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(cur)) return undefined;
    cur = cur[key];
  }
  return cur;
}
