// Which BPE encoding a model uses, and lazy access to gpt-tokenizer's per-encoding entry points.
// Loading an encoding's rank table costs ~0.3 s, so nothing is loaded until the first count for a
// model that needs it; each encoding is then kept for the life of the process. `createRequire`
// keeps the first call synchronous (a dynamic `import()` would force every caller to be async).
import { createRequire } from 'node:module';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** The subset of a gpt-tokenizer encoding module that we use. */
export interface Encoder {
  encode(text: string, options?: { disallowedSpecial?: Set<string> }): number[];
  /** `encode(text, options).length`, without building the array. */
  countTokens(text: string, options?: { disallowedSpecial?: Set<string> }): number;
  decode(tokens: Iterable<number>): string;
}

const requireCjs = createRequire(import.meta.url);
const loaded = new Map<EncodingName, Encoder>();
const byModel = new Map<string, EncodingName>();

/**
 * o200k_base for gpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1/o3/o4* (and anything unknown);
 * cl100k_base for gpt-3.5*, gpt-4 / gpt-4-turbo / gpt-4-32k and text-embedding-*.
 * claude-* and gemini-* have no public tokenizer: o200k_base is used as an estimate.
 */
export function encodingForModel(model: string): EncodingName {
  let name = byModel.get(model);
  if (name === undefined) {
    name = resolveEncoding(model.toLowerCase());
    if (byModel.size < 1000) byModel.set(model, name);
  }
  return name;
}

function resolveEncoding(m: string): EncodingName {
  if (m.startsWith('text-embedding-') || m.startsWith('gpt-3.5')) return 'cl100k_base';
  // gpt-4, gpt-4-0613, gpt-4-32k, gpt-4-turbo…; but not gpt-4o*, gpt-4.1*, gpt-4.5*.
  if (m === 'gpt-4' || m.startsWith('gpt-4-')) return 'cl100k_base';
  return 'o200k_base';
}

export function getEncoder(name: EncodingName): Encoder {
  let enc = loaded.get(name);
  if (!enc) {
    enc = requireCjs(`gpt-tokenizer/encoding/${name}`) as Encoder;
    loaded.set(name, enc);
  }
  return enc;
}
