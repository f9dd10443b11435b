// Text normalisation shared by the built-in embedder and the verifier: one tokenizer, one stemmer,
// one stop-word list, so "what's" / "what is" and "phones" / "phone" agree in both stages.

/** A word token: `norm` is lower-cased (contractions expanded), `stem` a light suffix-stripped form. */
export interface Token {
  readonly raw: string;
  readonly norm: string;
  readonly stem: string;
  /** Starts with an upper-case letter in the original text. */
  readonly capitalised: boolean;
  /** Position in the sentence (0-based, over word tokens). */
  readonly pos: number;
}

const CONTRACTIONS: readonly [RegExp, string][] = [
  [/\bcan['’]t\b/gi, 'can not'],
  [/\bwon['’]t\b/gi, 'will not'],
  [/\bshan['’]t\b/gi, 'shall not'],
  [/n['’]t\b/gi, ' not'],
  [/\b(what|who|where|when|why|how|that|there|it|he|she)['’]s\b/gi, '$1 is'],
  [/['’]re\b/gi, ' are'],
  [/['’]ve\b/gi, ' have'],
  [/['’]ll\b/gi, ' will'],
  [/['’]m\b/gi, ' am'],
  [/['’]d\b/gi, ' would'],
  [/['’]s\b/gi, ''],
];

// Symbols that carry meaning in technical questions and would vanish with punctuation.
const SYMBOL_WORDS: readonly [RegExp, string][] = [
  [/\bc\+\+/gi, ' cplusplus '],
  [/\bc#/gi, ' csharp '],
  [/\bf#/gi, ' fsharp '],
  [/(^|\s)\.net\b/gi, ' dotnet '],
  [/%/g, ' percent '],
  [/\$/g, ' dollar '],
  [/₹/g, ' rupee '],
  [/&/g, ' and '],
];

const WORD_RE = /[\p{L}\p{N}]+(?:[.,:][\p{N}]+)*/gu;

/** Expand contractions and meaningful symbols; keep case (the verifier needs capitals). */
export function expand(text: string): string {
  let s = text.normalize('NFKC');
  for (const [re, to] of SYMBOL_WORDS) s = s.replace(re, to);
  for (const [re, to] of CONTRACTIONS) s = s.replace(re, to);
  return s;
}

/** Tokenize into word tokens (letters/digits; numbers keep inner `.`, `,` and `:`). */
export function tokenize(text: string): Token[] {
  const s = expand(text);
  const out: Token[] = [];
  let pos = 0;
  for (const m of s.matchAll(WORD_RE)) {
    const raw = m[0];
    const norm = raw.toLowerCase();
    const first = raw.codePointAt(0) ?? 0;
    const ch = String.fromCodePoint(first);
    out.push({ raw, norm, stem: stem(norm), capitalised: ch !== ch.toLowerCase(), pos: pos++ });
  }
  return out;
}

const IRREGULAR: Readonly<Record<string, string>> = {
  men: 'man',
  women: 'woman',
  children: 'child',
  people: 'person',
  mice: 'mouse',
  teeth: 'tooth',
  feet: 'foot',
  geese: 'goose',
  better: 'good',
  best: 'good',
  worse: 'bad',
  worst: 'bad',
  am: 'be',
  is: 'be',
  are: 'be',
  was: 'be',
  were: 'be',
  been: 'be',
  being: 'be',
  does: 'do',
  did: 'do',
  done: 'do',
  doing: 'do',
  has: 'have',
  had: 'have',
  having: 'have',
  went: 'go',
  gone: 'go',
  goes: 'go',
  got: 'get',
  gotten: 'get',
  made: 'make',
  took: 'take',
  taken: 'take',
  gave: 'give',
  given: 'give',
  knew: 'know',
  known: 'know',
  thought: 'think',
  bought: 'buy',
  sold: 'sell',
  said: 'say',
  told: 'tell',
  found: 'find',
  came: 'come',
  became: 'become',
  began: 'begin',
  begun: 'begin',
  wrote: 'write',
  written: 'write',
  ate: 'eat',
  eaten: 'eat',
  saw: 'see',
  seen: 'see',
  lost: 'lose',
  won: 'win',
  paid: 'pay',
  learnt: 'learn',
  spent: 'spend',
  felt: 'feel',
  kept: 'keep',
  left: 'leave',
  meant: 'mean',
  met: 'meet',
  ran: 'run',
  sent: 'send',
  stood: 'stand',
  taught: 'teach',
  understood: 'understand',
  can: 'can',
  could: 'can',
  would: 'will',
  should: 'shall',
  might: 'may',
  must: 'must',
  u: 'you',
  ur: 'your',
  pls: 'please',
  plz: 'please',
};

function isVowel(c: string | undefined): boolean {
  return c === 'a' || c === 'e' || c === 'i' || c === 'o' || c === 'u';
}

/** A light English stemmer (plurals, -ing, -ed, -ly, -ness, -ment); numbers and short words pass through. */
export function stem(word: string): string {
  const irregular = IRREGULAR[word];
  if (irregular !== undefined) return irregular;
  if (word.length <= 3 || /\d/.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = w.slice(0, -3) + 'y';
  else if (/(ss|sh|ch|x|z)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) w = w.slice(0, -1);
  if (w.length > 5 && w.endsWith('ing')) w = undouble(w.slice(0, -3));
  else if (w.length > 4 && w.endsWith('ied')) w = w.slice(0, -3) + 'y';
  else if (w.length > 4 && w.endsWith('ed') && !w.endsWith('eed')) w = undouble(w.slice(0, -2));
  if (w.length > 6 && w.endsWith('ness')) w = w.slice(0, -4);
  else if (w.length > 5 && w.endsWith('ly')) w = w.slice(0, -2);
  else if (w.length > 7 && w.endsWith('ment')) w = w.slice(0, -4);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && w.endsWith('y') && !isVowel(w[w.length - 2])) w = w.slice(0, -1) + 'i';
  return w;
}

function undouble(w: string): string {
  const n = w.length;
  if (n >= 3 && w[n - 1] === w[n - 2] && !isVowel(w[n - 1]) && !'lsz'.includes(w[n - 1] ?? '')) return w.slice(0, -1);
  return w;
}

/** Function words: low weight in the embedder, ignored by the verifier's content-word check. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a an the and or but if then so of to in on at by for with from into onto about as than that this these those ' +
    'it its i me my mine we us our you your yours he him his she her they them their there here be is are was were ' +
    'been being am do does did doing done have has had having will would shall should can could may might must ' +
    'what which who whom whose when where why how whats some any each every all both either neither one ones get got ' +
    'getting just also very really too such own same other another more most much many few less least ' +
    'up down out over under again further once only not no nor yes way ways thing things possible ' +
    'please know tell anyone someone something like good best better should quora'
  ).split(' '),
);

export function isStop(norm: string): boolean {
  return STOP_WORDS.has(norm);
}

/** FNV-1a 32-bit hash of a string (UTF-16 code units), as an unsigned integer. */
export function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
