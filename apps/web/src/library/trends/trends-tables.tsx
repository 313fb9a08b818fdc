import type { FailingStep, RunTrends } from '@deploybot/shared';
import { bucketLabel, durationText, percentText } from './trends-format';

/** The steps that failed in most runs of the range. */
export function FailingStepsTable({ steps }: { steps: FailingStep[] }) {
  if (steps.length === 0) return <p className="text-sm">No step failed in this range.</p>;
  return (
    <table className="w-full text-left text-sm" data-testid="trends-failing-steps">
      <caption className="sr-only">Steps that fail most, most failures first</caption>
      <thead>
        <tr className="border-b border-slate-300 dark:border-slate-600">
          <th scope="col" className="py-1 pr-3">
            Step
          </th>
          <th scope="col" className="py-1 pr-3">
            Failed in
          </th>
          <th scope="col" className="py-1">
            Share of runs
          </th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <tr key={s.stepId} className="border-b border-slate-200 dark:border-slate-700">
            <th scope="row" className="py-1 pr-3 font-normal">
              {s.title} <span className="font-mono text-xs">({s.stepId})</span>
            </th>
            <td className="py-1 pr-3">
              {s.failures} {s.failures === 1 ? 'run' : 'runs'}
            </td>
            <td className="py-1">{percentText(s.share)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every bucket's figures: the charts' data as text. */
export function TrendsTable({ trends }: { trends: RunTrends }) {
  const per = trends.bucket === 'week' ? 'Week' : 'Day';
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm" data-testid="trends-table">
        <caption className="sr-only">Figures per {per.toLowerCase()}, oldest first (UTC)</caption>
        <thead>
          <tr className="border-b border-slate-300 dark:border-slate-600">
            {[
              per,
              'Runs',
              'Completed',
              'Failed',
              'Cancelled',
              'Success rate',
              'p50',
              'p95',
              'Waiting at gates',
              'Median wait',
            ].map((h) => (
              <th key={h} scope="col" className="py-1 pr-3 whitespace-nowrap">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {trends.buckets.map((b) => (
            <tr key={b.start} className="border-b border-slate-200 dark:border-slate-700">
              <th scope="row" className="py-1 pr-3 font-normal whitespace-nowrap">
                <time dateTime={b.start}>{bucketLabel(b.start, trends.bucket)}</time>
              </th>
              <td className="py-1 pr-3">{b.runs}</td>
              <td className="py-1 pr-3">{b.completed}</td>
              <td className="py-1 pr-3">{b.failed}</td>
              <td className="py-1 pr-3">{b.cancelled}</td>
              <td className="py-1 pr-3">{percentText(b.successRate)}</td>
              <td className="py-1 pr-3">{durationText(b.durationP50Ms)}</td>
              <td className="py-1 pr-3">{durationText(b.durationP95Ms)}</td>
              <td className="py-1 pr-3">
                {b.gateWaits === 0 ? '—' : `${durationText(b.gateWaitTotalMs)} (${b.gateWaits})`}
              </td>
              <td className="py-1">{durationText(b.gateWaitP50Ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
