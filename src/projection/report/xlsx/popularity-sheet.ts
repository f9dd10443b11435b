// The Key popularity sheet: the groups of ranks that popularity.ts sums a TTL-cache hit rate over,
// as formulas on the Inputs sheet's Zipf exponent and catalogue size. One block per request type
// and kind of key: ranks 1 … EXACT_RANKS one by one, then BUCKETS log-spaced buckets, each row a
// group's key count and the probability of one of its keys. A month row's derived rate is a
// SUMPRODUCT over a block (months-detail.ts), so changing an exponent, a catalogue size or a TTL
// recomputes every month.
import type { Workbook } from '@cj-tech-master/excelts';
import { BUCKETS, EXACT_RANKS, terms, type Popularity } from '../../popularity.js';
import type { Scenario } from '../../scenario.js';
import { FMT, STYLE, putFormula, putRow, putValue, range, ref, rel } from './cells.js';
import type { InputsLayout, MixColumn } from './inputs-sheet.js';

export const POPULARITY_SHEET = 'Key popularity';

export type KeyKind = 'exact' | 'prefix';

/** The ranges a hit-rate SUMPRODUCT reads: keys per group and the probability of one key. */
export interface PopularityBlock {
  keys: string;
  p: string;
}

export interface PopularityLayout {
  block(typeIndex: number, kind: KeyKind): PopularityBlock | undefined;
}

/** Block columns, relative to the block's first column. */
const B = { group: 0, lo: 1, hi: 2, keys: 3, weight: 4, p: 5 } as const;
const WIDTH = 7;
const PARAMS_ROW = 6;
const HEAD_ROW = 8;
const FIRST = HEAD_ROW + 1;
const LAST = FIRST + EXACT_RANKS + BUCKETS - 1;

const INPUT_COLUMNS: Record<KeyKind, { zipf: MixColumn; keys: MixColumn }> = {
  exact: { zipf: 'exactZipf', keys: 'exactKeys' },
  prefix: { zipf: 'prefixZipf', keys: 'prefixKeys' },
};

interface Block {
  typeIndex: number;
  kind: KeyKind;
  name: string;
  pop: Popularity;
}

function blocksOf(scenario: Scenario, kinds: readonly KeyKind[]): Block[] {
  const out: Block[] = [];
  scenario.types.forEach((t, i) => {
    const a = t.assumptions;
    if (a.exactPopularity && kinds.includes('exact')) out.push({ typeIndex: i, kind: 'exact', name: `${t.name}: exact-cache keys`, pop: a.exactPopularity });
    if (a.prefixPopularity && kinds.includes('prefix')) out.push({ typeIndex: i, kind: 'prefix', name: `${t.name}: shared prefixes`, pop: a.prefixPopularity });
  });
  return out;
}

export interface PopularitySheetOptions {
  /** A sensitivity variant's hidden copy, with only the kinds of key it varies. */
  variant?: { sheet: string; kinds: readonly KeyKind[] };
}

/** Adds the sheet when some request type has a key popularity; otherwise returns a layout with no blocks. */
export function addPopularitySheet(wb: Workbook, scenario: Scenario, inputs: InputsLayout, opts: PopularitySheetOptions = {}): PopularityLayout {
  const blocks = blocksOf(scenario, opts.variant?.kinds ?? ['exact', 'prefix']);
  const at = new Map<string, PopularityBlock>();
  if (blocks.length === 0) return { block: () => undefined };
  const sheet = opts.variant?.sheet ?? POPULARITY_SHEET;
  const ws = wb.addWorksheet(sheet, { views: [{ state: 'frozen', ySplit: HEAD_ROW }], ...(opts.variant ? { state: 'hidden' as const } : {}) });
  putValue(ws, 1, 1, 'Key popularity: the groups of ranks each derived hit rate is summed over', { style: STYLE.title });
  putValue(
    ws,
    1,
    2,
    `Keys are drawn with p_i ∝ i^(−s) over the catalogue. Ranks 1–${EXACT_RANKS} one by one, the rest in ${BUCKETS} log-spaced buckets weighted at their geometric middle. Every cell follows the Inputs sheet.`,
    { style: STYLE.note },
  );

  blocks.forEach((b, k) => {
    const c0 = 1 + k * WIDTH;
    const col = (offset: number): number => c0 + offset;
    const cell = (offset: number, row: number): string => rel(col(offset), row);
    const zipf = inputs.mix(b.typeIndex, INPUT_COLUMNS[b.kind].zipf);
    const size = inputs.mix(b.typeIndex, INPUT_COLUMNS[b.kind].keys);
    const t = terms(b.pop);
    const n = Math.max(1, Math.floor(b.pop.catalogueSize));
    const weightSum = t.weight.reduce((s, w, i) => s + w * t.count[i]!, 0);

    putValue(ws, c0, 4, b.name, { style: { font: { bold: true } } });
    putRow(ws, PARAMS_ROW - 1, ['keys', 'Zipf exponent', 'bucket ratio', 'weight sum'], { style: STYLE.head }, c0);
    const nCell = ref(col(0), PARAMS_ROW);
    const sCell = ref(col(1), PARAMS_ROW);
    const ratioCell = ref(col(2), PARAMS_ROW);
    const sumCell = ref(col(3), PARAMS_ROW);
    putFormula(ws, col(0), PARAMS_ROW, `MAX(1,INT(${size}))`, n, { fmt: FMT.int });
    putFormula(ws, col(1), PARAMS_ROW, zipf, b.pop.zipfExponent);
    const ratio = n > EXACT_RANKS ? Math.pow(n / EXACT_RANKS, 1 / BUCKETS) : 1;
    putFormula(ws, col(2), PARAMS_ROW, `IF(${nCell}>${EXACT_RANKS},(${nCell}/${EXACT_RANKS})^(1/${BUCKETS}),1)`, ratio);
    putFormula(ws, col(3), PARAMS_ROW, `SUMPRODUCT(${range(col(B.keys), FIRST, LAST)},${range(col(B.weight), FIRST, LAST)})`, weightSum);
    putRow(ws, HEAD_ROW, ['group', 'ranks after', 'ranks up to', 'keys', 'weight', 'p (one key)'], { style: STYLE.head }, c0);

    const ranked = Math.min(n, EXACT_RANKS);
    const idle = Math.max(n, EXACT_RANKS);
    for (let g = 1; g <= EXACT_RANKS + BUCKETS; g++) {
      const row = FIRST + g - 1;
      // The engine's terms: ranks first, then the buckets in order; a group past them is empty.
      const i = g <= EXACT_RANKS ? (g <= ranked ? g - 1 : -1) : ranked + (g - EXACT_RANKS) - 1;
      const live = i >= 0 && i < t.p.length;
      putValue(ws, col(B.group), row, g);
      if (g <= EXACT_RANKS) {
        putValue(ws, col(B.lo), row, g - 1);
        putValue(ws, col(B.hi), row, g);
        putFormula(ws, col(B.keys), row, `IF(${cell(B.hi, row)}<=${nCell},1,0)`, live ? 1 : 0);
        putFormula(ws, col(B.weight), row, `IF(${cell(B.keys, row)}>0,${cell(B.hi, row)}^(-${sCell}),0)`, live ? t.weight[i]! : 0);
      } else {
        const bucket = g - EXACT_RANKS;
        const lo = bucket === 1 ? `${EXACT_RANKS}` : cell(B.hi, row - 1);
        const hi =
          bucket === BUCKETS
            ? `IF(${cell(B.lo, row)}>=${nCell},${cell(B.lo, row)},${nCell})`
            : `IF(${cell(B.lo, row)}>=${nCell},${cell(B.lo, row)},MIN(${nCell},MAX(${cell(B.lo, row)}+1,INT(${EXACT_RANKS}*${ratioCell}^${bucket}))))`;
        putFormula(ws, col(B.lo), row, lo, live ? t.lo[i]! : idle);
        putFormula(ws, col(B.hi), row, hi, live ? t.hi[i]! : idle);
        putFormula(ws, col(B.keys), row, `${cell(B.hi, row)}-${cell(B.lo, row)}`, live ? t.count[i]! : 0);
        putFormula(ws, col(B.weight), row, `IF(${cell(B.keys, row)}>0,SQRT((${cell(B.lo, row)}+1)*${cell(B.hi, row)})^(-${sCell}),0)`, live ? t.weight[i]! : 0);
      }
      putFormula(ws, col(B.p), row, `${cell(B.weight, row)}/${sumCell}`, live ? t.p[i]! : 0);
    }
    for (let o = 0; o < WIDTH - 1; o++) ws.getColumn(col(o)).width = 13;
    at.set(`${b.typeIndex}:${b.kind}`, {
      keys: range(col(B.keys), FIRST, LAST, sheet),
      p: range(col(B.p), FIRST, LAST, sheet),
    });
  });
  return { block: (typeIndex, kind) => at.get(`${typeIndex}:${kind}`) };
}
