// BucketHistogram (src/telemetry/bucket-histogram.ts) exports exactly what prom-client's Histogram
// exports for the same observations: the text format and the JSON, series in the same order.
import fc from 'fast-check';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from '../../src/telemetry/bucket-histogram.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const LABEL_NAMES = ['model', 'provider', 'outcome'] as const;
const SETS = [
  ['gpt-4.1-mini', 'emu', 'ok'],
  ['gpt-4.1-mini', 'emu', 'error'],
  ['claude "haiku"\\4-5', 'anthropic', 'ok'], // escaped in the text format
  ['gpt-4.1-mini', 'emu', 'ok'], // bound twice: one series
] as const;

interface Observation {
  series: number;
  value: number;
}

/** Both histograms, each in its own registry, fed the same observations. */
async function exported(observations: readonly Observation[], reset = false): Promise<{ ours: [string, unknown]; theirs: [string, unknown] }> {
  const ourRegistry = new Registry();
  const theirRegistry = new Registry();
  const options = { name: 'test_duration_seconds', help: 'A "test" histogram\\.', labelNames: LABEL_NAMES, buckets: BUCKETS };
  const ours = new BucketHistogram({ ...options, registers: [ourRegistry] });
  const theirs = new Histogram({ ...options, labelNames: [...LABEL_NAMES], registers: [theirRegistry] });
  const ourSeries = SETS.map((set) => ours.labels(...set));
  const theirSeries = SETS.map((set) => theirs.labels(...set));
  for (const [i, o] of observations.entries()) {
    ourSeries[o.series]!.observe(o.value);
    theirSeries[o.series]!.observe(o.value);
    if (reset && i === Math.floor(observations.length / 2)) {
      ours.reset();
      theirs.reset();
    }
  }
  return {
    ours: [await ourRegistry.metrics(), await ourRegistry.getMetricsAsJSON()],
    theirs: [await theirRegistry.metrics(), await theirRegistry.getMetricsAsJSON()],
  };
}

describe('BucketHistogram', () => {
  it('exports what prom-client exports: bounds, +Inf, sum, count, first-observed series first', async () => {
    const { ours, theirs } = await exported([
      { series: 1, value: 0.3 },
      { series: 0, value: 0.001 },
      { series: 2, value: 0.005 }, // on a bound: counted in it
      { series: 3, value: 11 }, // above every bound: +Inf only (series 3 is series 0)
      { series: 0, value: 0.0075 },
    ]);
    expect(ours).toEqual(theirs);
    expect(ours[0]).toContain('test_duration_seconds_bucket{le="+Inf",model="gpt-4.1-mini",provider="emu",outcome="ok"} 3');
  });

  it('exports nothing for a series bound but never observed, and starts again after reset', async () => {
    const { ours, theirs } = await exported([], true);
    expect(ours).toEqual(theirs);
    const after = await exported(
      [
        { series: 0, value: 1 },
        { series: 2, value: 2 },
        { series: 1, value: 3 },
      ],
      true,
    );
    expect(after.ours).toEqual(after.theirs);
  });

  it('property: any observations export the same as prom-client', async () => {
    const observation = fc.record({
      series: fc.integer({ min: 0, max: SETS.length - 1 }),
      value: fc.oneof(fc.constantFrom(...BUCKETS), fc.double({ min: -1, max: 20, noNaN: true })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(observation, { maxLength: 40 }), fc.boolean(), async (observations, reset) => {
        const { ours, theirs } = await exported(observations, reset);
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a value that is not a finite number, as prom-client does', () => {
    const series = new BucketHistogram({ name: 'x_seconds', help: 'x', labelNames: ['a'], buckets: [1], registers: [] }).labels('v');
    expect(() => series.observe(Number.NaN)).toThrow(TypeError);
    expect(() => series.observe(Infinity)).toThrow(TypeError);
  });
});
