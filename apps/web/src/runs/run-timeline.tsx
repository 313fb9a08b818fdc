import { StepIo } from './step-io';
import { TimeAxis } from './time-axis';
import { useTimeline } from './timeline-data';
import { TimelineEntries } from './timeline-entries';

/** The run page's timeline: the time axis, every transition with who and when, and each step's input and output. */
export function RunTimeline({ runId, seq }: { runId: string; seq: number }) {
  const { timeline, error } = useTimeline(runId, seq);
  return (
    <section
      aria-labelledby="run-timeline-title"
      className="flex flex-col gap-3 rounded-lg border border-slate-200 p-3 dark:border-slate-700"
      data-testid="run-timeline"
    >
      <h3 id="run-timeline-title" className="text-base font-semibold">
        Timeline
      </h3>
      {error && (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          Could not load the timeline: {error}
        </p>
      )}
      {!timeline && !error && <p className="text-sm">Loading the timeline…</p>}
      {timeline && (
        <>
          <TimeAxis timeline={timeline} />
          <div className="grid gap-4 lg:grid-cols-2">
            <div>
              <h4 className="mb-1 text-sm font-semibold">Transitions</h4>
              <TimelineEntries entries={timeline.entries} start={timeline.start} />
            </div>
            <div>
              <h4 className="mb-1 text-sm font-semibold">What each step received and returned</h4>
              <StepIo steps={timeline.steps} />
            </div>
          </div>
        </>
      )}
    </section>
  );
}
