import type { RunTrends } from '@deploybot/shared';
import { type ReactNode, useMemo } from 'react';
import { formatDuration } from '../../fleet/log-groups';
import { type ChartSeries, TrendChart } from './trend-chart';

const percent = (v: number) => `${Math.round(v * 100)}%`;
const duration = (v: number) => formatDuration(v);

/** A chart with its title, and a line saying where its figures are as text. */
function Figure({
  id,
  title,
  legend,
  children,
}: {
  id: string;
  title: string;
  legend: string;
  children: ReactNode;
}) {
  return (
    <figure
      aria-labelledby={id}
      className="flex min-w-0 flex-col gap-1 rounded border border-slate-200 p-2 dark:border-slate-700"
    >
      <figcaption id={id} className="text-sm font-semibold">
        {title}
        <span className="block text-xs font-normal text-slate-700 dark:text-slate-300">{legend}</span>
      </figcaption>
      {children}
    </figure>
  );
}

/** The three charts of a workflow's trends: success rate, p50/p95 duration, time waiting at gates. Loaded lazily. */
export default function TrendCharts({ trends }: { trends: RunTrends }) {
  const per = trends.bucket === 'week' ? 'week' : 'day';
  const bucketSeconds = per === 'week' ? 7 * 86_400 : 86_400;
  const {
    x,
    rate,
    duration: durations,
    waits,
  } = useMemo(() => {
    const b = trends.buckets;
    return {
      x: b.map((p) => Date.parse(p.start) / 1000),
      rate: [
        { label: 'Success rate', values: b.map((p) => p.successRate), color: '#15803d' },
      ] as ChartSeries[],
      duration: [
        { label: 'p50', values: b.map((p) => p.durationP50Ms), color: '#1d4ed8' },
        { label: 'p95', values: b.map((p) => p.durationP95Ms), color: '#b45309', dash: [6, 4] },
      ] as ChartSeries[],
      waits: [
        {
          label: 'Time waiting at gates',
          values: b.map((p) => (p.gateWaits === 0 ? null : p.gateWaitTotalMs)),
          color: '#7c3aed',
          bars: true,
        },
      ] as ChartSeries[],
    };
  }, [trends]);
  return (
    <div className="grid gap-3 lg:grid-cols-3" data-testid="trends-charts">
      <Figure
        id="trend-rate"
        title={`Success rate per ${per}`}
        legend="Completed of completed or failed runs; the figures are in the table below."
      >
        <TrendChart x={x} bucketSeconds={bucketSeconds} series={rate} yFormat={percent} yMax={1} />
      </Figure>
      <Figure
        id="trend-duration"
        title={`Duration per ${per}`}
        legend="Solid: p50, dashed: p95, of completed or failed runs."
      >
        <TrendChart x={x} bucketSeconds={bucketSeconds} series={durations} yFormat={duration} />
      </Figure>
      <Figure
        id="trend-gates"
        title={`Time waiting at gates per ${per}`}
        legend="All waits that ended, added up."
      >
        <TrendChart x={x} bucketSeconds={bucketSeconds} series={waits} yFormat={duration} />
      </Figure>
    </div>
  );
}
