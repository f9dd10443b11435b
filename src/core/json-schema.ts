// JSON Schema compilation for the cascade's json_schema check, behind two small functions so the
// rest of the module never sees Ajv.
import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** Validates a value; returns null when it conforms, else the first problem ("/score must be number"). */
export type Validator = (value: unknown) => string | null;

// strict:false because callers' schemas carry vendor keywords (OpenAI `strict`, examples, titles);
// formats are not validated (no ajv-formats), and an unknown one must not log on every compile.
const OPTIONS: Options = { strict: false, validateFormats: false, addUsedSchema: false, logger: false };
let draft07: Ajv | undefined;
let draft2020: Ajv2020 | undefined;

// Tool and response schemas are written for 2020-12 unless they say otherwise (MCP, zod v4);
// pydantic and older zod-to-json-schema emit draft-07 and say so in `$schema`.
function ajvFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  if (/draft-0[4-7]/.test(dialect)) return (draft07 ??= new Ajv(OPTIONS));
  return (draft2020 ??= new Ajv2020(OPTIONS));
}

function describeError(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}`;
}

/** Compiles a schema; throws SchemaProblem with a JSON pointer into the schema when it is invalid. */
export function compileSchema(schema: Record<string, unknown>): Validator {
  // `$schema` is dropped: each instance knows only its own meta-schema, and the dialect is chosen above.
  const { $schema: _ignored, ...body } = schema;
  const ajv = ajvFor(schema);
  if (!ajv.validateSchema(body)) {
    const first = ajv.errors?.[0];
    throw new SchemaProblem(first?.instancePath ?? '', first?.message ?? 'invalid JSON Schema');
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(body);
  } catch (err) {
    throw new SchemaProblem('', err instanceof Error ? err.message : 'cannot compile JSON Schema');
  } finally {
    // Ajv keeps every compiled schema object in an internal cache; per-request schemas would pile up.
    ajv.removeSchema(body);
  }
  return (value) => (validate(value) ? null : validate.errors?.[0] ? describeError(validate.errors[0]) : 'does not match schema');
}

export class SchemaProblem extends Error {
  /** JSON pointer inside the schema ("" for the root). */
  readonly pointer: string;
  constructor(pointer: string, message: string) {
    super(pointer ? `${pointer}: ${message}` : message);
    this.name = 'SchemaProblem';
    this.pointer = pointer;
  }
}

const REQUEST_SCHEMA_CACHE_SIZE = 256;
const requestSchemas = new Map<string, Validator | SchemaProblem>();

/**
 * For schemas that arrive with each request (response_format, tool parameters): a new object every
 * time but usually the same text, so compiled results are cached by their JSON text (LRU, bounded).
 * Returns the SchemaProblem instead of throwing when the caller's schema cannot be compiled.
 */
export function requestSchemaValidator(schema: Record<string, unknown>): Validator | SchemaProblem {
  const key = JSON.stringify(schema);
  const hit = requestSchemas.get(key);
  if (hit !== undefined) {
    requestSchemas.delete(key);
    requestSchemas.set(key, hit);
    return hit;
  }
  let compiled: Validator | SchemaProblem;
  try {
    compiled = compileSchema(schema);
  } catch (err) {
    compiled = err instanceof SchemaProblem ? err : new SchemaProblem('', 'cannot compile JSON Schema');
  }
  requestSchemas.set(key, compiled);
  if (requestSchemas.size > REQUEST_SCHEMA_CACHE_SIZE) requestSchemas.delete(requestSchemas.keys().next().value!);
  return compiled;
}
