// Decisive-detail features of a (query, candidate) pair for the verifier: what differs in numbers,
// names, negation, comparison, question type, quantifiers and informative content words.
import type { IdfTable } from './builtin-embedder.js';
import { isStop, tokenize, type Token } from './text.js';

const NUMBER_WORDS: Readonly<Record<string, string>> = {
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
  ten: '10',
  eleven: '11',
  twelve: '12',
  thirteen: '13',
  fourteen: '14',
  fifteen: '15',
  sixteen: '16',
  seventeen: '17',
  eighteen: '18',
  nineteen: '19',
  twenty: '20',
  thirty: '30',
  forty: '40',
  fifty: '50',
  sixty: '60',
  seventy: '70',
  eighty: '80',
  ninety: '90',
  hundred: '100',
  thousand: '1000',
  million: '1000000',
  billion: '1000000000',
  first: '1st',
  second: '2nd',
  third: '3rd',
  fourth: '4th',
  fifth: '5th',
  half: '0.5',
  twice: '2x',
  double: '2x',
  triple: '3x',
};
const NEGATORS: ReadonlySet<string> = new Set(['not', 'no', 'never', 'nor', 'none', 'nobody', 'nothing', 'nowhere', 'without', 'cannot', 'neither']);
/** Each group holds mutually exclusive comparison words; two texts using different members differ. */
const COMPARISON_GROUPS: readonly (readonly string[])[] = [
  ['best', 'worst', 'good', 'bad'],
  ['most', 'least'],
  ['more', 'less', 'fewer'],
  ['better', 'worse'],
  ['highest', 'lowest'],
  ['higher', 'lower'],
  ['biggest', 'largest', 'smallest'],
  ['bigger', 'larger', 'smaller'],
  ['fastest', 'slowest'],
  ['easiest', 'hardest'],
  ['cheapest', 'expensive'],
  ['before', 'after'],
  ['advantages', 'disadvantages'],
  ['pros', 'cons'],
  ['increase', 'decrease'],
  ['start', 'stop'],
  ['buy', 'sell'],
  ['men', 'women'],
  ['boy', 'girl'],
  ['male', 'female'],
];
const COMPARISON_INDEX = new Map<string, number>();
COMPARISON_GROUPS.forEach((g, i) => g.forEach((w) => COMPARISON_INDEX.set(w, i)));
const QUANTIFIERS: ReadonlySet<string> = new Set(['all', 'every', 'some', 'any', 'many', 'few', 'each', 'only', 'always', 'sometimes', 'often', 'rarely']);
const WH: ReadonlySet<string> = new Set(['who', 'what', 'when', 'where', 'why', 'how', 'which', 'whom', 'whose']);
/** Question types that a paraphrase may swap freely ("how can I" ~ "what is the best way to"). */
const WH_FAMILY: Readonly<Record<string, string>> = {
  what: 'what',
  which: 'what',
  how: 'what',
  who: 'who',
  whom: 'who',
  whose: 'who',
  when: 'when',
  where: 'where',
  why: 'why',
};
const PERSON: Readonly<Record<string, string>> = { i: '1', me: '1', my: '1', mine: '1', we: '1', us: '1', our: '1', you: '2', your: '2', yours: '2' };

export interface PairFeatures {
  /** Numbers present in one text only. */
  readonly numbers: string[];
  /** Names / acronyms present in one text only (not found anywhere in the other text). */
  readonly entities: string[];
  readonly negationDiffers: boolean;
  /** Comparison groups where the two texts pick different members. */
  readonly comparisons: string[];
  readonly quantifiers: string[];
  /** Question families (who/what/when/where/why, yes-no) of each text, when they differ. */
  readonly questionType: string | null;
  /** First vs second person ("my" vs "your") differs. */
  readonly personDiffers: boolean;
  /** IDF mass of content stems of the query missing in the candidate, and vice versa. */
  readonly unmatchedQuery: number;
  readonly unmatchedCandidate: number;
  /** Largest IDF of one unmatched content stem on either side. */
  readonly unmatchedMax: number;
  /** Share of the pair's content IDF mass that is shared (weighted Jaccard on content stems). */
  readonly contentOverlap: number;
  /** Number of questions (`?`-terminated sentences) differs. */
  readonly clauseDiffers: boolean;
}

interface Parsed {
  readonly tokens: Token[];
  readonly stems: Set<string>;
  readonly content: Set<string>;
  readonly numbers: Set<string>;
  readonly entities: Map<string, string>;
  readonly negations: number;
  readonly comparisons: Map<number, string>;
  readonly quantifiers: Set<string>;
  readonly family: string;
  readonly persons: Set<string>;
  readonly questions: number;
}

function parse(text: string): Parsed {
  const tokens = tokenize(text);
  const stems = new Set<string>();
  const content = new Set<string>();
  const numbers = new Set<string>();
  const entities = new Map<string, string>();
  const comparisons = new Map<number, string>();
  const quantifiers = new Set<string>();
  const persons = new Set<string>();
  let negations = 0;
  let family = '';
  for (const t of tokens) {
    stems.add(t.stem);
    stems.add(t.norm);
    if (!isStop(t.norm) && !isStop(t.stem)) content.add(t.stem);
    if (/\d/.test(t.norm)) numbers.add(t.norm.replace(/[,]/g, '').replace(/^0+(?=\d)/, ''));
    const nw = NUMBER_WORDS[t.norm];
    if (nw !== undefined && t.norm !== 'one' && t.norm !== 'second') numbers.add(nw);
    if (NEGATORS.has(t.norm)) negations++;
    const g = COMPARISON_INDEX.get(t.norm);
    if (g !== undefined) comparisons.set(g, t.norm);
    if (QUANTIFIERS.has(t.norm)) quantifiers.add(t.norm);
    const p = PERSON[t.norm];
    if (p !== undefined) persons.add(p);
    const acronym = t.raw.length >= 2 && t.raw === t.raw.toUpperCase() && /\p{Lu}/u.test(t.raw);
    if ((t.capitalised && t.pos > 0 && t.norm !== 'i') || acronym) {
      if (!isStop(t.norm) && !WH.has(t.norm)) entities.set(t.stem, t.raw);
    }
    if (!family && WH.has(t.norm)) family = WH_FAMILY[t.norm] ?? t.norm;
  }
  if (
    !family ||
    (tokens[0] &&
      !WH.has(tokens[0].norm) &&
      tokens[0].pos === 0 &&
      /^(is|are|was|were|do|does|did|can|could|should|would|will|has|have|am)$/.test(tokens[0].norm))
  ) {
    family = 'yesno';
  }
  const questions = (text.match(/\?+/g) ?? []).length;
  return { tokens, stems, content, numbers, entities, negations, comparisons, quantifiers, family, persons, questions };
}

function setDiff<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): T[] {
  return [...a].filter((x) => !b.has(x));
}

/** Features of a query / candidate pair (symmetric except for the two directed unmatched masses). */
export function pairFeatures(query: string, candidate: string, idf: IdfTable): PairFeatures {
  const q = parse(query);
  const c = parse(candidate);
  const numbers = [...setDiff(q.numbers, c.numbers), ...setDiff(c.numbers, q.numbers)];
  const entities: string[] = [];
  for (const [s, raw] of q.entities) if (!c.stems.has(s) && !c.stems.has(raw.toLowerCase())) entities.push(raw);
  for (const [s, raw] of c.entities) if (!q.stems.has(s) && !q.stems.has(raw.toLowerCase())) entities.push(raw);
  const comparisons: string[] = [];
  for (const [g, w] of q.comparisons) {
    const other = c.comparisons.get(g);
    if (other !== undefined && other !== w) comparisons.push(`${w}/${other}`);
  }
  const quantifiers = [...setDiff(q.quantifiers, c.quantifiers), ...setDiff(c.quantifiers, q.quantifiers)];
  let unmatchedQuery = 0;
  let unmatchedCandidate = 0;
  let unmatchedMax = 0;
  let shared = 0;
  for (const s of q.content) {
    const w = idf.get(s);
    if (c.content.has(s) || c.stems.has(s)) shared += w;
    else {
      unmatchedQuery += w;
      unmatchedMax = Math.max(unmatchedMax, w);
    }
  }
  for (const s of c.content) {
    if (q.content.has(s) || q.stems.has(s)) continue;
    const w = idf.get(s);
    unmatchedCandidate += w;
    unmatchedMax = Math.max(unmatchedMax, w);
  }
  const total = shared + unmatchedQuery + unmatchedCandidate;
  return {
    numbers,
    entities,
    negationDiffers: q.negations % 2 !== c.negations % 2,
    comparisons,
    quantifiers,
    questionType: q.family === c.family ? null : `${q.family}/${c.family}`,
    personDiffers: q.persons.size > 0 && c.persons.size > 0 && [...q.persons].join() !== [...c.persons].join(),
    unmatchedQuery,
    unmatchedCandidate,
    unmatchedMax,
    contentOverlap: total > 0 ? shared / total : 1,
    clauseDiffers: Math.min(q.questions, 2) !== Math.min(c.questions, 2),
  };
}
