import type { JobFailureCause, JobStatusUpdate } from '@deploybot/shared';
import { GitAborted } from './git';
import { LineSplitter } from './line-splitter';
import type { LogStream } from './log-batcher';

/** How a job (a deploy or an activation) talks to the rest of the agent, and how it ends. */

/** Why a job was aborted from outside; carried as the AbortSignal's reason. */
export type AbortKind = 'cancelled' | 'shutdown';

export interface JobIo {
  log: (stream: LogStream, line: string) => void;
  /** Intermediate `running` updates (current step, release dir) for the live view. */
  progress: (update: Pick<JobStatusUpdate, 'step' | 'releaseDir'>) => void;
  /** Aborted with an {@link AbortKind} as reason. */
  signal: AbortSignal;
}

export type JobOutcome = Omit<JobStatusUpdate, 'jobId' | 'status'> & {
  status: 'success' | 'failed' | 'cancelled';
};

const MAX_ERROR_LENGTH = 4000;

/** A failure the job itself diagnosed, with the cause the controller groups it by. */
export class JobFailure extends Error {
  constructor(
    message: string,
    readonly failure: JobFailureCause,
    readonly exitCode: number | null = null,
  ) {
    super(message);
  }
}

/** Writes `line` to the job's log as `system` lines (split and bounded like a step's output). */
export function systemLog(io: Pick<JobIo, 'log'>): (line: string) => void {
  return (line) => {
    for (const part of new LineSplitter().push(`${line}\n`)) io.log('system', part);
  };
}

/**
 * How a job that threw ended. `signal` is the job's own (cancel, shutdown or its deadline): an abort wins over
 * whatever error it provoked on its way out (a killed git, a killed step).
 */
export function classify(
  error: unknown,
  signal: AbortSignal,
  timeoutSec: number,
  step: string | null,
  releaseDir: string | null,
): JobOutcome {
  const base = { step, releaseDir, exitCode: null as number | null };
  if (signal.aborted && !(error instanceof JobFailure && error.failure !== 'internal')) {
    const reason = signal.reason as AbortKind | 'timeout';
    if (reason === 'timeout') {
      return { ...base, status: 'failed', cause: 'timeout', error: `job timed out after ${timeoutSec}s` };
    }
    const why = reason === 'shutdown' ? 'the agent is shutting down' : 'cancelled by the controller';
    return { ...base, status: 'cancelled', cause: 'cancelled', error: why };
  }
  if (error instanceof JobFailure) {
    return {
      ...base,
      status: 'failed',
      cause: error.failure,
      exitCode: error.exitCode,
      error: truncate(error.message),
    };
  }
  if (error instanceof GitAborted) {
    return { ...base, status: 'failed', cause: 'internal', error: 'git was interrupted' };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ...base, status: 'failed', cause: 'internal', error: truncate(`internal error: ${message}`) };
}

export function truncate(text: string): string {
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
