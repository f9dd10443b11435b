// A time-series line chart (uPlot), sized to its container and redrawn when the data changes.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  values: number[];
  color: string;
  /** Filled area under the line. */
  fill?: boolean;
}

export interface TimeChartProps {
  /** Bucket starts, epoch ms. */
  t: number[];
  series: Series[];
  format: (value: number) => string;
  height?: number;
  testId?: string;
}

export const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#65a30d', '#db2777', '#475569'];

export function TimeChart({ t, series, format, height = 240, testId }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          ...(s.fill ? { fill: `${s.color}22` } : {}),
          value: (_u: uPlot, v: number | null) => (v === null ? '–' : format(v)),
        })),
      ],
      axes: [
        {},
        {
          values: (_u, splits) => splits.map((v) => format(v)),
          // Wide enough for the longest label (uPlot's default width cuts "$0.000015").
          // (uPlot calls it with null before the first labels, whatever its typings say.)
          size: (_u, values: string[] | null) => 16 + 7.5 * Math.max(4, ...(values ?? []).map((v) => v.length)),
        },
      ],
      scales: { x: { time: true } },
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
    };
    const data: uPlot.AlignedData = [t.map((ms) => ms / 1000), ...series.map((s) => s.values)];
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [t, series, height, format]);
  return <div class="chart" ref={box} data-testid={testId} />;
}
