import type { StepRecord } from '@deploybot/shared';
import { Markdown } from '../chat/markdown';
import { JsonView } from './json-view';

/** A step's result: its markdown report, the tail of its log, and the raw data, each expandable. */
export function StepResult({ step }: { step: StepRecord }) {
  const data = step.data as { markdown?: unknown; lastLines?: unknown } | null;
  const markdown = typeof data?.markdown === 'string' ? data.markdown : null;
  const lines = Array.isArray(data?.lastLines) ? (data.lastLines as unknown[]).map(String) : null;
  return (
    <div className="mt-1" data-testid="step-result">
      {markdown && (
        <details className="mt-1 text-sm" open>
          <summary className="cursor-pointer text-xs text-slate-700 dark:text-slate-300">Report</summary>
          <section
            className="mt-1 max-h-96 overflow-auto rounded border border-slate-200 p-2 dark:border-slate-700"
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable report must be reachable to scroll it by keyboard
            tabIndex={0}
            aria-label={`${step.title} report`}
          >
            <Markdown text={markdown} />
          </section>
        </details>
      )}
      {lines && lines.length > 0 && (
        <details className="mt-1 text-xs">
          <summary className="cursor-pointer text-slate-700 dark:text-slate-300">
            Log tail ({lines.length} lines)
          </summary>
          {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable block must be reachable to scroll it by keyboard */}
          <pre className="mt-1 max-h-48 overflow-auto rounded bg-slate-900 p-2 text-slate-100" tabIndex={0}>
            {lines.join('\n')}
          </pre>
        </details>
      )}
      <JsonView label="Result data" value={step.data} />
    </div>
  );
}
