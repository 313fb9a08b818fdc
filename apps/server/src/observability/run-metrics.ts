import type { WorkflowEvent } from '@deploybot/shared';
import type { Counter, Histogram } from 'prom-client';

/** The run, step and gate metrics that committed workflow events move. */
export interface RunMetricSet {
  runsStarted: Counter<'workflow'>;
  runsFinished: Counter<'workflow' | 'outcome'>;
  stepDuration: Histogram<'workflow' | 'kind' | 'outcome'>;
  gateWait: Histogram<'workflow'>;
  transitions: Counter;
}

const FINISHED = {
  'run.completed': 'completed',
  'run.failed': 'failed',
  'run.cancelled': 'cancelled',
} as const;
const AWAITING = new Set(['step.awaiting_approval', 'step.awaiting_input']);
const DECIDED = new Set(['step.approved', 'step.rejected', 'step.input_received']);

const seconds = (from: string, to: string) => (Date.parse(to) - Date.parse(from)) / 1000;

/**
 * Turns each committed event into metric observations. Only events this controller committed reach it, so
 * every controller counts its own share and Prometheus sums them; nothing here reads the database.
 */
export class RunMetrics {
  /** runId → stepId → when it began to wait for a person (ms), until decided or the run ends. */
  private readonly waitingSince = new Map<string, Map<string, number>>();

  constructor(private readonly m: RunMetricSet) {}

  observe(event: WorkflowEvent): void {
    const workflow = event.run.name;
    this.m.transitions.inc();
    // A queued run was started by someone too: it counts when created, so started - finished is what is in flight.
    if (event.type === 'run.started' || event.type === 'run.queued') {
      this.m.runsStarted.inc({ workflow });
      return;
    }
    if (event.type in FINISHED) {
      this.m.runsFinished.inc({ workflow, outcome: FINISHED[event.type as keyof typeof FINISHED] });
      this.waitingSince.delete(event.runId);
      return;
    }
    if (!event.stepId) return;
    const step = event.run.steps.find((s) => s.id === event.stepId);
    if (AWAITING.has(event.type)) {
      const waits = this.waitingSince.get(event.runId) ?? new Map<string, number>();
      // A gate that also asks for input stays one wait: its first moment counts.
      if (!waits.has(event.stepId)) waits.set(event.stepId, Date.parse(event.at));
      this.waitingSince.set(event.runId, waits);
    } else if (DECIDED.has(event.type)) {
      const waits = this.waitingSince.get(event.runId);
      const since = waits?.get(event.stepId);
      waits?.delete(event.stepId);
      if (waits?.size === 0) this.waitingSince.delete(event.runId);
      // After a restart the moment it began to wait is gone: its start is the nearest known point.
      const from = since ?? (step?.startedAt ? Date.parse(step.startedAt) : undefined);
      const waited = from === undefined ? Number.NaN : (Date.parse(event.at) - from) / 1000;
      if (Number.isFinite(waited)) this.m.gateWait.observe({ workflow }, Math.max(0, waited));
    } else if ((event.type === 'step.completed' || event.type === 'step.failed') && step) {
      this.waitingSince.get(event.runId)?.delete(event.stepId);
      const took = step.startedAt && step.finishedAt ? seconds(step.startedAt, step.finishedAt) : Number.NaN;
      if (Number.isFinite(took)) {
        const outcome = event.type === 'step.completed' ? 'completed' : 'failed';
        this.m.stepDuration.observe({ workflow, kind: step.kind, outcome }, Math.max(0, took));
      }
    }
  }

  /** Runs with a step waiting for a person (for tests: the map must not grow with finished runs). */
  get trackedRuns(): number {
    return this.waitingSince.size;
  }
}
