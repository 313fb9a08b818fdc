import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Bars instead of a line. */
  bars?: boolean;
  /** A dash pattern, so two lines differ by more than their colour. */
  dash?: number[];
}

export interface TrendChartProps {
  /** Each point's time, in seconds (uPlot's unit): the start of its bucket. */
  x: number[];
  /** A bucket's length in seconds: the axis reaches half of one beyond the first and last point, so no bar is cut. */
  bucketSeconds: number;
  series: ChartSeries[];
  /** How a value on the y axis reads (`50%`, `4 m 10 s`). */
  yFormat: (value: number) => string;
  /** A fixed y range (a rate from 0 to 1); otherwise from 0 to the data's top. */
  yMax?: number;
  height?: number;
}

const GRID = 'rgba(128, 128, 128, 0.25)';
/** The server groups by UTC day and week: the axis says the same dates. */
const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

/**
 * One uPlot chart on a canvas. The canvas is hidden from assistive technology (`aria-hidden`): what it shows is
 * given as text beside it (the summary and the table of figures), which is also what a keyboard user reads.
 */
export function TrendChart({ x, bucketSeconds, series, yFormat, yMax, height = 180 }: TrendChartProps) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el) return;
    // The page's text colour (light or dark mode) for the axes drawn on the canvas.
    const text = getComputedStyle(el).color;
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 240),
      height,
      tzDate: utc,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: (_u, min, max) => [min - bucketSeconds / 2, max + bucketSeconds / 2] },
        y: { range: (_u, _min, max) => [0, yMax ?? (max > 0 ? max * 1.1 : 1)] },
      },
      axes: [
        { stroke: text, grid: { stroke: GRID }, ticks: { stroke: GRID } },
        {
          stroke: text,
          grid: { stroke: GRID },
          ticks: { stroke: GRID },
          size: 70,
          values: (_u, values) => values.map(yFormat),
        },
      ],
      series: [
        {},
        ...series.map(
          (s): uPlot.Series => ({
            label: s.label,
            stroke: s.color,
            width: 2,
            ...(s.dash && { dash: s.dash }),
            ...(s.bars
              ? { fill: s.color, paths: uPlot.paths.bars?.({ size: [0.6, 48] }), points: { show: false } }
              : { points: { show: true, size: 6 }, spanGaps: false }),
          }),
        ),
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 240), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, bucketSeconds, series, yFormat, yMax, height]);
  return <div ref={host} aria-hidden="true" className="w-full overflow-hidden" />;
}
