// Scraping GET /metrics in tests with a strict parser of the Prometheus text format (0.0.4):
// every sample must belong to a family declared by # HELP and # TYPE, use only that type's
// suffixes, have well-formed labels and a number; counters end in _total; a histogram's buckets
// never decrease and its +Inf bucket equals its _count. A malformed exposition throws.
const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

type Labels = Record<string, string>;

export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const SUFFIXES: Record<MetricFamily['type'], readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** As Go's ParseFloat reads it (Prometheus does): infinities and NaN in any letter case. */
function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`not a number in: ${line}`);
  return n;
}

function parseLabels(text: string, line: string): Labels {
  const labels: Labels = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const m = LABEL.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    if (m[1]! in labels) throw new Error(`label ${m[1]} twice in: ${line}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

function parseSample(line: string): Sample {
  const brace = line.indexOf('{');
  let name: string;
  let labels: Labels = {};
  let rest: string;
  if (brace >= 0) {
    const close = line.lastIndexOf('}');
    if (close < brace) throw new Error(`unclosed labels: ${line}`);
    name = line.slice(0, brace);
    labels = parseLabels(line.slice(brace + 1, close), line);
    rest = line.slice(close + 1).trim();
  } else {
    const space = line.indexOf(' ');
    name = line.slice(0, space);
    rest = line.slice(space + 1).trim();
  }
  if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
  const [value, timestamp, extra] = rest.split(/\s+/);
  if (extra !== undefined || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`bad sample: ${line}`);
  return { name, labels, value: parseValue(value ?? '', line) };
}

export function parseExposition(text: string): Scrape {
  const families = new Map<string, MetricFamily>();
  const help = new Map<string, string>();
  let current: MetricFamily | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) ([^ ]+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      if (kind === 'HELP') help.set(name, rest);
      else {
        if (families.has(name)) throw new Error(`${name} declared twice`);
        if (!(rest in SUFFIXES)) throw new Error(`unknown type: ${line}`);
        current = { name, help: help.get(name) ?? '', type: rest as MetricFamily['type'], samples: [] };
        families.set(name, current);
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = parseSample(line);
    if (current === undefined || !SUFFIXES[current.type].some((s) => sample.name === current!.name + s))
      throw new Error(`sample outside its declared family: ${line}`);
    current.samples.push(sample);
  }
  for (const f of families.values()) check(f);
  return new Scrape(families);
}

function check(f: MetricFamily): void {
  if (f.help === '') throw new Error(`${f.name} has no HELP`);
  if (f.type === 'counter' && !f.name.endsWith('_total')) throw new Error(`counter ${f.name} does not end in _total`);
  if (f.type !== 'histogram') return;
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name.endsWith('_bucket')) entry.buckets.push([parseValue(le ?? '', s.name), s.value]);
    else if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    for (let i = 1; i < buckets.length; i++)
      if (buckets[i]![0] <= buckets[i - 1]![0] || buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${f.name}${key}: buckets out of order`);
    if (buckets.at(-1)?.[0] !== Infinity || buckets.at(-1)![1] !== count) throw new Error(`${f.name}${key}: +Inf bucket is not _count`);
  }
}

export class Scrape {
  constructor(readonly families: ReadonlyMap<string, MetricFamily>) {}

  family(name: string): MetricFamily {
    const f = this.families.get(name);
    if (f === undefined) throw new Error(`no metric ${name} in the scrape`);
    return f;
  }

  /** The sum of the family's plain samples whose labels include `labels` (0 when none). */
  value(name: string, labels: Labels = {}): number {
    return this.sum(name, name, labels);
  }

  /** A histogram's observation count over the series whose labels include `labels`. */
  count(name: string, labels: Labels = {}): number {
    return this.sum(name, `${name}_count`, labels);
  }

  private sum(family: string, sample: string, labels: Labels): number {
    let sum = 0;
    for (const s of this.families.get(family)?.samples ?? []) if (s.name === sample && matches(s.labels, labels)) sum += s.value;
    return sum;
  }
}

function matches(have: Labels, want: Labels): boolean {
  for (const [k, v] of Object.entries(want)) if (have[k] !== v) return false;
  return true;
}

export async function scrape(baseUrl: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${baseUrl}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${await res.text()}`);
  const type = res.headers.get('content-type') ?? '';
  if (!type.startsWith('text/plain; version=0.0.4')) throw new Error(`GET /metrics content-type ${type}`);
  return parseExposition(await res.text());
}

/** USD from an exported float → pico-dollars, exact for the amounts of a test (< $9,000). */
export function usdToPicoNumber(usd: number): number {
  return Math.round(usd * 1e12);
}
