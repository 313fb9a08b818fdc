import type { RunTrends } from '@deploybot/shared';
import { lazy, Suspense, useEffect, useState } from 'react';
import { errorMessage } from '../../lib/api';
import { bucketOf, fetchTrends, TREND_RANGES, type TrendRange } from './trends-api';
import { summaryLines } from './trends-format';
import { FailingStepsTable, TrendsTable } from './trends-tables';

// The chart library (uPlot) is fetched only when a workflow's trends are shown.
const TrendCharts = lazy(() => import('./trend-charts'));

type Loaded = { days: TrendRange; trends: RunTrends } | { days: TrendRange; error: string };

/**
 * A workflow's trends on its library page: success rate, p50/p95 duration and time waiting at gates over the
 * last 7, 30 or 90 days, and the steps that fail most. Everything the charts draw is also given as text (a
 * summary and a table of figures), so the section reads the same without seeing the charts.
 */
export function TrendsSection({ workflow }: { workflow: string }) {
  const [days, setDays] = useState<TrendRange>(30);
  const [loaded, setLoaded] = useState<Loaded | null>(null);

  useEffect(() => {
    let live = true;
    fetchTrends(workflow, days).then(
      (trends) => live && setLoaded({ days, trends }),
      (err) => live && setLoaded({ days, error: errorMessage(err) }),
    );
    return () => {
      live = false;
    };
  }, [workflow, days]);

  const current = loaded?.days === days ? loaded : null;
  const trends = current && 'trends' in current ? current.trends : null;
  const per = bucketOf(days);
  return (
    <section
      aria-labelledby="trends-title"
      aria-busy={current === null}
      className="flex flex-col gap-3"
      data-testid="workflow-trends"
    >
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h3 id="trends-title" className="font-semibold">
          Trends
        </h3>
        <fieldset className="flex items-center gap-1 text-sm">
          <legend className="sr-only">Range</legend>
          <span aria-hidden="true" className="mr-1">
            Range:
          </span>
          {TREND_RANGES.map((d) => (
            <label
              key={d}
              className="btn-secondary cursor-pointer has-checked:bg-slate-200 has-checked:font-semibold has-focus-visible:outline-2 dark:has-checked:bg-slate-700"
            >
              <input
                type="radio"
                name="trends-range"
                value={d}
                checked={d === days}
                onChange={() => setDays(d)}
                className="sr-only"
              />
              Last {d} days
            </label>
          ))}
        </fieldset>
      </div>
      {current === null && <p className="text-sm">Loading the trends…</p>}
      {current && 'error' in current && (
        <p role="alert" className="text-red-700 dark:text-red-400">
          Could not load the trends: {current.error}
        </p>
      )}
      {trends && (
        <>
          <ul className="flex flex-col gap-0.5 text-sm" data-testid="trends-summary">
            {summaryLines(trends.totals).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          {trends.totals.runs > 0 && (
            <Suspense fallback={<p className="text-sm">Loading the charts…</p>}>
              <TrendCharts trends={trends} />
            </Suspense>
          )}
          <h4 className="text-sm font-semibold">Steps that fail most</h4>
          <FailingStepsTable steps={trends.failingSteps} />
          <details className="text-sm">
            <summary className="cursor-pointer">Figures per {per} (the charts as a table)</summary>
            <TrendsTable trends={trends} />
          </details>
        </>
      )}
    </section>
  );
}

export default TrendsSection;
