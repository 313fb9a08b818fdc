import { ENVIRONMENT_RE, type InputSpec, type JobDto } from '@deploybot/shared';
import { RunCancelledError } from '../engine/errors';
import type { StepContext } from '../engine/types';
import type { Fleet } from '../fleet/fleet';

/** What the built-in workflows need from the rest of the controller. */
export interface WorkflowDeps {
  fleet: Fleet;
  /** The exact command that starts an agent for `hostname` with `token`, shown to the operator. */
  enrollCommand: (hostname: string, token: string) => string;
  /** How long check_connectivity waits for the new agent to connect. Default 10 min. */
  connectTimeoutMs: number;
  /** How long suggest_fix waits for an offline agent to come back before retrying. Default 10 min. */
  agentReturnTimeoutMs: number;
  /**
   * Writes a short explanation of a step's measured facts (the troubleshoot diagnosis, the health report):
   * a model when one is configured, a template otherwise. It is stored next to the facts, never instead.
   */
  explain?: (
    topic: 'troubleshoot' | 'health',
    facts: unknown,
    signal: AbortSignal,
  ) => Promise<{ text: string; source: 'model' | 'template' }>;
}

/** A signal that aborts with `message` after `ms`, or when `parent` aborts. */
export function withTimeout(parent: AbortSignal, ms: number, message: string): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(message)), ms);
  timer.unref();
  parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
  controller.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  return controller.signal;
}

export function formatMs(ms: number | null): string {
  if (ms === null) return 'n/a';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

export const shortSha = (sha: string) => sha.slice(0, 7);

/** `key=value, key2=value2` → a labels object; throws with a clear message on anything else. */
export function parseLabels(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text.trim() === '') return {};
  const labels: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const match = /^\s*([a-z][a-z0-9_.-]{0,63})\s*=\s*([^=,]{0,256}?)\s*$/.exec(pair);
    if (!match) throw new Error(`labels must look like "key=value, key2=value2"; "${pair.trim()}" does not`);
    labels[match[1]!] = match[2]!;
  }
  return labels;
}

/**
 * Waits for a job to end. If a person cancels the run meanwhile, the job is cancelled too, so nothing deploys
 * behind their back; a controller shutting down leaves it running (the step is re-run, and waits again, after
 * the restart).
 */
export async function followJob(fleet: Fleet, jobId: string, ctx: StepContext): Promise<JobDto> {
  try {
    return await fleet.jobs.waitForEnd(jobId, ctx.signal);
  } catch (err) {
    const cancelled = ctx.signal.reason;
    if (cancelled instanceof RunCancelledError) {
      // In the canceller's name and words: the job's error and its log say who stopped it and why.
      const run = `workflow run ${ctx.runId.slice(0, 8)}`;
      await fleet.jobs
        .cancel(
          jobId,
          cancelled.by ?? run,
          cancelled.reason ? `${cancelled.reason} (${run} cancelled)` : `${run} cancelled`,
        )
        .catch(() => {});
    }
    throw err;
  }
}

/** The optional `environment` input two workflows share (an agent's environment, e.g. production). */
export const ENVIRONMENT_INPUT: InputSpec = {
  key: 'environment',
  label: 'Environment',
  type: 'text',
  required: false,
  placeholder: 'production',
  pattern: ENVIRONMENT_RE.source,
};
