// A config file overrides the embedded default key by key, so a file that only moves the ledger
// still serves the embedded catalog. Rules (docs/configuration.md#extending-the-embedded-default):
// objects merge key by key; arrays and scalars replace; `null` removes the default's value; an object
// whose `kind` differs from the default's replaces it whole (its other keys belong to the old kind).
import type { ConfigInput } from './schema.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    if (value === null) Reflect.deleteProperty(out, key);
    else if (isObject(value) && isObject(prior) && (value['kind'] === undefined || value['kind'] === prior['kind'])) out[key] = merge(prior, value);
    else out[key] = value;
  }
  return out;
}

/**
 * The file laid over the defaults. `providers` and `models` replace the embedded catalog when given
 * (`addProviders` / `addModels` extend it instead); the embedded named routers come with the embedded
 * models, so a file with its own `models` starts without them.
 */
export function withDefaults(file: unknown, defaults: ConfigInput): unknown {
  if (!isObject(file)) return file;
  const base = structuredClone(defaults) as unknown as Json;
  if (file['models'] !== undefined && isObject(base['routing'])) delete base['routing']['routers'];
  return merge(base, file);
}
