// A Prometheus histogram whose bound series count in plain arrays. prom-client's Histogram child
// builds a label object and a hash string and looks its series up on every observe (~1% of the
// gateway's request thread under load, one observe per upstream attempt); here a series is
// resolved once, when it is bound, and an observe is a bucket search and three additions.
// Registered in a prom-client Registry like any metric: what it exports — values, label order,
// series order (first observed first), `get()` as JSON — is what prom-client's Histogram exports
// for the same observations (test/unit/bucket-histogram.test.ts compares the two).
import type { Registry } from 'prom-client';

export interface BucketHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** One series: a label set's counts. */
interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); one past the last bound: above every bound (+Inf only). */
  readonly counts: number[];
  sum: number;
  count: number;
}

/** A value as prom-client's registry formats it: `labels` are the value's own (`le`), `sharedLabels` the series'. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  /** null on the buckets, undefined on sum and count: as prom-client has them without exemplars. */
  exemplar: null | undefined;
}

export class BucketHistogram<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly labelNames: readonly L[];
  private readonly bounds: readonly number[];
  /** Every series bound so far, by label values (two bindings of one label set share a series). */
  private readonly bound = new Map<string, Series>();
  /** The series with at least one observation, in the order of their first. */
  private observed: Series[] = [];

  constructor(opts: BucketHistogramOptions<L>) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.bounds = [...opts.buckets];
    for (const registry of opts.registers) registry.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** The series of these label values (in `labelNames` order), bound once: its `observe` only counts. */
  labels(...values: string[]): { observe(value: number): void } {
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: expected ${this.labelNames.length} label values, got ${values.length}`);
    const id = values.join('\u0000');
    let series = this.bound.get(id);
    if (series === undefined) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((name, i) => (labels[name] = values[i]!));
      series = { labels, counts: new Array<number>(this.bounds.length + 1).fill(0), sum: 0, count: 0 };
      this.bound.set(id, series);
    }
    const s = series;
    return { observe: (value) => this.observe(s, value) };
  }

  private observe(series: Series, value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    series.counts[i]! += 1;
    series.sum += value;
    if (series.count++ === 0) this.observed.push(series);
  }

  /** What the registry reads for the text format. */
  getForPromString(): Promise<{ name: string; help: string; type: string; values: ExportedValue[]; aggregator: string }> {
    const bucket = `${this.name}_bucket`;
    const values: ExportedValue[] = [];
    for (const s of this.observed) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ labels: { le: this.bounds[i]! }, sharedLabels: s.labels, value: cumulative, metricName: bucket, exemplar: null });
      }
      values.push(
        { labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: bucket, exemplar: null },
        { labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same values with each series' labels after the value's own, as prom-client's `get()`. */
  async get(): Promise<{ name: string; help: string; type: string; values: Omit<ExportedValue, 'sharedLabels'>[]; aggregator: string }> {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, ...rest }) => ({ ...rest, labels: { ...labels, ...sharedLabels } })),
    };
  }

  reset(): void {
    for (const s of this.observed) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
    this.observed = [];
  }
}
